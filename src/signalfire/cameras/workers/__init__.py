"""Analysis workers: the supervisor and its camera leases, local and Ray pools, the worker
process and runner, the worker messages, retry back-off, and the ingest that stores what
workers report."""
