"""Pure geographic helpers (no web, no SQL)."""
