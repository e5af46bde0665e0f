"""Repository-level pytest settings: doctests run over src/, except Alembic's scripts."""

collect_ignore = ["src/signalfire/migrations"]
