"""Score reports on disk: ``score.json`` for machines, ``score.html`` for people."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from signalfire.sim.scoring import UNIT_TYPES, ScoreReport

TEMPLATES = Path(__file__).parent / "templates"
JSON_NAME = "score.json"
NONE = "n/a"
HTML_NAME = "score.html"


def seconds(value: float | None) -> str:
    """A duration in seconds for people; an en dash when there is none.

    >>> seconds(45.0), seconds(62.5), seconds(None)
    ('45 s', '62.5 s', 'n/a')
    """
    return NONE if value is None else f"{value:g} s"


def percent(fraction: float | None) -> str:
    """A fraction as a whole percentage.

    >>> percent(0.75), percent(2 / 3), percent(None)
    ('75 %', '67 %', 'n/a')
    """
    return NONE if fraction is None else f"{fraction * 100:.0f} %"


def when(moment: datetime) -> str:
    """A timestamp to the second, with its UTC offset.

    >>> from datetime import UTC
    >>> when(datetime(2026, 12, 5, 21, 0, 7, 123, tzinfo=UTC))
    '2026-12-05 21:00:07 +0000'
    """
    return moment.strftime("%Y-%m-%d %H:%M:%S %z").strip()


def measure(value: float | None, check: str) -> str:
    """A check's value or target: seconds for time checks, a plain count otherwise.

    >>> measure(42.0, "call processing"), measure(3.0, UNIT_TYPES), measure(None, UNIT_TYPES)
    ('42 s', '3', 'n/a')
    """
    if check != UNIT_TYPES:
        return seconds(value)
    return NONE if value is None else f"{value:g}"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(seconds=seconds, percent=percent, when=when, measure=measure)
    return env


def render_html(report: ScoreReport) -> str:
    """The report as one standalone HTML page: inline CSS, no scripts, no external assets."""
    duration = report.ended_at - report.started_at
    template = _environment().get_template(HTML_NAME)
    return template.render(report=report, minutes=round(duration.total_seconds() / 60, 1))


def write_reports(report: ScoreReport, directory: Path) -> tuple[Path, Path]:
    """Write ``score.json`` and ``score.html`` into ``directory`` (made if missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path, html_path = directory / JSON_NAME, directory / HTML_NAME
    json_path.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    html_path.write_text(render_html(report), encoding="utf-8")
    return json_path, html_path
