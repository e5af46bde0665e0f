"""Recordings: the segment writer, recordings and evidence holds, clips and clip exports,
retention, and where a camera's files lie on disk."""
