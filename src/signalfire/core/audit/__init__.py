"""The tamper-evident audit trail: an append-only, SHA-256 hash-chained log."""
