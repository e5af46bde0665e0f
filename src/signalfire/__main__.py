"""Allow ``python -m signalfire``."""

from signalfire.cli import app

app()
