"""The printable match report of a database search: candidates, loci and formulas (HTML).

The report reads a search result through the read-only shapes below (:class:`ReportLocus`,
:class:`ReportCandidate`, :class:`ReportResult`), not through the API's schemas: any object
with these attributes renders, the search service's ``SearchResult`` among them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Protocol

from jinja2 import Environment, FileSystemLoader, StrictUndefined

import signalfire

TEMPLATES = Path(__file__).resolve().parent / "templates"


class ReportLocus(Protocol):
    """One locus of a candidate as the report shows it."""

    @property
    def locus(self) -> str: ...
    @property
    def query(self) -> Sequence[str]: ...
    @property
    def candidate(self) -> Sequence[str]: ...
    @property
    def match(self) -> str: ...
    @property
    def lr(self) -> float | None: ...


class ReportCandidate(Protocol):
    """One candidate of the search, with its per-locus values."""

    @property
    def specimen_id(self) -> str: ...
    @property
    def case_number(self) -> str: ...
    @property
    def index(self) -> str: ...
    @property
    def mixture(self) -> bool: ...
    @property
    def shared_loci(self) -> int: ...
    @property
    def log10_lr(self) -> float | None: ...
    @property
    def loci(self) -> Sequence[ReportLocus]: ...


class ReportResult(Protocol):
    """The search as a whole: its settings and its ranked candidates."""

    @property
    def stringency(self) -> str: ...
    @property
    def min_loci(self) -> int: ...
    @property
    def frequency_table(self) -> str | None: ...
    @property
    def query_loci(self) -> int: ...
    @property
    def searched(self) -> int: ...
    @property
    def candidates(self) -> Sequence[ReportCandidate]: ...


def lr_text(log10_lr: float | None) -> str:
    """A likelihood ratio for people: grouped digits, or a power of ten when large.

    Examples
    --------
    >>> lr_text(3.0), lr_text(1.3979400086720377), lr_text(21.5), lr_text(None)
    ('1,000', '25', '3.2 x 10^21', 'n/a')
    """
    if log10_lr is None:
        return "n/a"
    if log10_lr < 6:
        return f"{10**log10_lr:,.0f}" if log10_lr >= 2 else f"{10**log10_lr:.3g}"
    mantissa = 10 ** (log10_lr - math.floor(log10_lr))
    return f"{mantissa:.1f} x 10^{math.floor(log10_lr)}"


def number(value: float | None) -> str:
    """A per-locus value to four significant figures.

    >>> number(8.333333), number(None)
    ('8.333', 'off-table')
    """
    return "off-table" if value is None else f"{value:.4g}"


def formula(match: ReportLocus, candidate: ReportCandidate, theta: float = 0.0) -> str:
    """Which formula gave a locus its value (see the report's closing section)."""
    if match.lr is None:
        return "not in the frequency table"
    if match.match == "shared":
        return "1 - (1 - Σp shared)²"
    if match.match == "identical" and not candidate.mixture and len(match.query) == 2:
        if theta > 0:
            return "NRC II 4.10"
        return "p²" if match.query[0] == match.query[1] else "2pq"
    return "(Σp)², inclusion"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(lr=lr_text, number=number)
    env.globals.update(formula=formula)
    return env


def render_match_report(
    result: ReportResult,
    *,
    case_number: str,
    query_label: str,
    analyst: str,
    generated_at: datetime,
    digest: str,
    theta: float = 0.0,
) -> str:
    """One standalone, printable HTML page (inline CSS, no scripts, no external assets)."""
    return (
        _environment()
        .get_template("match_report.html")
        .render(
            result=result,
            case_number=case_number,
            query_label=query_label,
            analyst=analyst,
            generated_at=generated_at.strftime("%Y-%m-%d %H:%M:%S %Z"),
            digest=digest,
            theta=theta,
            version=signalfire.__version__,
        )
    )
