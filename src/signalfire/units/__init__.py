"""Stations, units, unit statuses and live positions (AVL)."""
