"""Alerts from alarm receivers and camera analytics, for dispatchers to act on."""
