"""Signalfire: an open, self-hosted public-safety operations platform."""

__version__ = "0.1.0"
