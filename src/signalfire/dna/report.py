"""The printable match report of a database search: candidates, loci and formulas (HTML)."""

from __future__ import annotations

import math
from datetime import datetime
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

import signalfire
from signalfire.dna.schemas import CandidateRead, LocusMatchRead, SearchResult

TEMPLATES = Path(__file__).resolve().parent / "templates"


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


def formula(match: LocusMatchRead, candidate: CandidateRead, theta: float = 0.0) -> str:
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
    result: SearchResult,
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
