"""Score reports on disk: JSON that reads back, HTML that stands alone and escapes input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from signalfire.sim.report import render_html, write_reports
from signalfire.sim.scenario import parse_scenario
from signalfire.sim.scoring import CallOutcome, ScoreReport, score

T0 = datetime(2026, 12, 5, 21, 0, tzinfo=UTC)

SCENARIO = """\
name: Report <test> & co
duration: "20:00"
calls:
  - id: crash
    at: 30
    nature: TC-INJURY
    location: {address: Mannerheimintie & Kaivokatu}
    text: Three cars crashed.
    expect_units: {engine: 1, als_ambulance: 2}
  - id: crash-again
    at: 100
    nature: TC-INJURY
    location: {address: Kaivokatu 8}
    text: A crash by the station.
    duplicate_of: crash
"""


def make_report(trainee: str = "Ada Lovelace") -> ScoreReport:
    received = T0 + timedelta(seconds=30)
    crash = CallOutcome(
        call_id="crash",
        incident_id=41,
        received_at=received,
        answered_at=received + timedelta(seconds=15),
        first_dispatch_at=received + timedelta(seconds=87.5),  # processing 72.5 s: over
        unit_types_sent={"engine": 1, "als_ambulance": 1},
        linked_to=frozenset({"crash-again"}),
    )
    again = CallOutcome(
        call_id="crash-again",
        incident_id=42,
        received_at=T0 + timedelta(seconds=100),
        answered_at=T0 + timedelta(seconds=115),
        first_dispatch_at=None,
        unit_types_sent={},
        linked_to=frozenset({"crash"}),
    )
    return score(
        parse_scenario(SCENARIO),
        [crash, again],
        trainee=trainee,
        started_at=T0,
        ended_at=T0 + timedelta(minutes=20),
    )


class _Collector(HTMLParser):
    """Tags, attributes and visible text of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.text.append(" ".join(data.split()))


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


def test_report_numbers() -> None:
    report = make_report()
    assert (report.points, report.possible, report.score) == (2, 4, 50.0)


def test_html_shows_score_people_times_and_checks() -> None:
    html = render_html(make_report())
    text = " | ".join(parse(html).text)
    assert html.startswith("<!DOCTYPE html>")
    assert "50.0" in text
    assert "Ada Lovelace" in text
    assert "Report <test> & co" in text  # the parser unescapes what the page escaped
    assert "2 of 4" in text
    assert "2026-12-05 21:00:00 +0000" in text
    assert "2026-12-05 21:20:00 +0000 (20.0 min)" in text
    for shown in ("72.5 s", "87.5 s", "60 s", "90 s", "missing 1 als_ambulance"):
        assert shown in text, shown
    assert "incident 41" in text
    assert "duplicate of crash" in text
    assert "linked to call 'crash'" in text
    assert text.count("✓") == 2  # time to first dispatch, duplicate linked
    assert text.count("✗") == 2  # call processing, unit types


def test_html_summary_figures() -> None:
    text = " | ".join(parse(render_html(make_report())).text)
    assert "Call processing within target | 0 %" in text
    assert "Call processing, 90th percentile | 72.5 s | 60 s" in text
    assert "Mean time to first dispatch | 87.5 s | 90 s" in text
    assert "Original calls dispatched | 1 | 1" in text


def test_html_is_standalone() -> None:
    page = parse(render_html(make_report()))
    assert "script" not in page.tags
    assert "link" not in page.tags
    assert "img" not in page.tags
    assert "style" in page.tags
    assert not [value for name, value in page.attrs if name in {"src", "href"}]


def test_html_escapes_the_trainee_name() -> None:
    html = render_html(make_report(trainee="<script>alert('x')</script>"))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "script" not in parse(html).tags


def test_write_reports_makes_both_files(tmp_path: Path) -> None:
    report = make_report()
    target = tmp_path / "runs" / "ada"
    json_path, html_path = write_reports(report, target)
    assert (json_path, html_path) == (target / "score.json", target / "score.html")
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["score"] == 50.0
    assert data["trainee"] == "Ada Lovelace"
    assert data["summary"]["call_processing_p90_s"] == 72.5
    assert [call["call_id"] for call in data["calls"]] == ["crash", "crash-again"]
    assert ScoreReport.model_validate_json(json_path.read_text(encoding="utf-8")) == report
    assert html_path.read_text(encoding="utf-8") == render_html(report)


def test_write_reports_overwrites(tmp_path: Path) -> None:
    write_reports(make_report("first"), tmp_path)
    json_path, _ = write_reports(make_report("second"), tmp_path)
    assert json.loads(json_path.read_text(encoding="utf-8"))["trainee"] == "second"


@pytest.mark.parametrize("name", ["score.json", "score.html"])
def test_files_end_with_a_newline(tmp_path: Path, name: str) -> None:
    write_reports(make_report(), tmp_path)
    assert (tmp_path / name).read_text(encoding="utf-8").endswith("\n")
