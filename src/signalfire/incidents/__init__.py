"""Incidents: intake, location, nature and priority, duplicates, timeline, closure."""
