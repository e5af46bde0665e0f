"""On-demand benchmarks (``make bench``); each writes its figures to docs/benchmarks.md."""
