"""Dispatch: response plans, assigning units to incidents, following their progress."""
