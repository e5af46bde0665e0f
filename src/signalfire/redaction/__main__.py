"""``python -m signalfire.redaction``: the ``signalfire redact`` command on its own,
without loading the rest of the platform's command line (a quicker start on a clip)."""

from __future__ import annotations

import typer

from signalfire.redaction.cli import redact

if __name__ == "__main__":
    typer.run(redact)
