"""Simulated city life: calls, autonomous units, training scenarios, load."""
