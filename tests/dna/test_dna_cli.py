"""``signalfire dna``: import, frequencies, search (with the HTML report), stats, kinship
and DVI on the test database and on files, checked against the library's own functions."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from signalfire.cli import app
from signalfire.core.audit.models import AuditEntry
from signalfire.core.auth.permissions import Role
from signalfire.core.runtime import Runtime
from signalfire.strstats.frequencies import FrequencyTable
from signalfire.strstats.kinship import kinship_index
from signalfire.strstats.stats import match_probability
from tests.conftest import Clock, World
from tests.dna.support import frequency_csv, wide_csv
from tests.strstats import nist

PEOPLE = dict(list(nist.read_csv().items())[:40])
PERSONS = {sample: person for sample, (_pop, person) in PEOPLE.items()}
SAMPLES = list(PERSONS)
TABLE = FrequencyTable.from_genotypes(list(PERSONS.values()))
JUSTIFIED = ("--as", "lab.dna", "--purpose", "compare the scene sample", "--case", "2026-7")


@pytest.fixture(autouse=True)
def cli_database(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    monkeypatch.setenv("SIGNALFIRE_DATABASE__URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")  # wide tables stay on one line
    return database_url


@pytest.fixture
def analyst(world: World, frozen_clock: Clock) -> None:
    agency = world.agency("LAB", kind="police")
    world.user("lab.dna", agency, [Role.DNA_ANALYST], password=None)
    world.user("lab.dispatch", agency, [Role.DISPATCHER], password=None)


def sf(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def ok(*args: str | Path) -> str:
    result = sf(*args)
    assert result.exit_code == 0, result.output
    return " ".join(result.stdout.split())


def files(tmp_path: Path) -> tuple[Path, Path]:
    profiles, freqs = tmp_path / "profiles.csv", tmp_path / "freqs.csv"
    profiles.write_text(wide_csv(PERSONS))
    freqs.write_text(frequency_csv(TABLE))
    return profiles, freqs


def test_import_search_and_report(analyst: None, tmp_path: Path, runtime: Runtime) -> None:
    _profiles, freqs = files(tmp_path)
    broken = tmp_path / "broken.csv"
    broken.write_text(wide_csv(PERSONS).replace(SAMPLES[3], "", 1))
    text = ok("dna", "import", broken, "--index", "offender", *JUSTIFIED)
    assert "39 profiles stored" in text
    assert "line 5" in text  # the row without a specimen id, named with its line
    ok("dna", "frequencies", freqs, "--name", "LAB", "--population", "sample", "--as", "lab.dna")
    text = ok("dna", "search", SAMPLES[0], "--table", "LAB", "--stringency", "low",
              "--min-loci", "1", "--report", tmp_path / "r.html", *JUSTIFIED)  # fmt: skip
    assert "compared" in text
    page = (tmp_path / "r.html").read_text()
    assert "match report" in page
    with runtime.sessions() as db:
        actions = list(db.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))
    assert actions.count("dna.searched") == 2  # the search and its report
    refused = sf("dna", "search", SAMPLES[0], "--as", "lab.dispatch", "--purpose", "x",
                 "--case", "1")  # fmt: skip
    assert refused.exit_code == 1
    assert "dna.search" in refused.output


def test_stats_and_kinship_from_files_agree_with_the_library(tmp_path: Path) -> None:
    profiles, freqs = files(tmp_path)
    sample = nist.read_csv()
    populations = {}
    for pop in ("AA", "Cauc"):
        populations[pop] = FrequencyTable.from_genotypes(nist.population(sample, pop))
        (tmp_path / f"{pop}.csv").write_text(frequency_csv(populations[pop]))
    both = ("--frequencies", tmp_path / "AA.csv", "--frequencies", tmp_path / "Cauc.csv")
    text = ok("dna", "stats", profiles, *both, "--theta", "0.01", "--formula", "nrc4.10")
    person = PERSONS[SAMPLES[0]]
    totals = [
        match_probability(person, populations[pop], theta=0.01, formula="nrc4.10")
        for pop in ("AA", "Cauc")
    ]
    assert f"│ all │ │ {totals[0]:.4g} (1 in" in text  # the populations side by side
    assert f"│ {totals[1]:.4g} (1 in" in text
    bad = sf("dna", "stats", profiles, "--frequencies", freqs, "--formula", "nrc9")
    assert bad.exit_code == 2
    assert "nrc9" in bad.output
    rng = random.Random(3)
    father, mother = PERSONS[SAMPLES[0]], PERSONS[SAMPLES[1]]
    kids = {
        name: {k: (rng.choice(father[k]), rng.choice(mother[k])) for k in father if k in mother}
        for name in ("KID1", "KID2")
    }
    family = tmp_path / "family.csv"
    family.write_text(wide_csv(kids))
    text = ok("dna", "kinship", family, "KID1", "KID2", "--frequencies", freqs)
    expected = kinship_index(kids["KID1"], kids["KID2"], "full-sib", TABLE)
    assert f"│ all │ │ │ {expected:.4g} │" in text
    assert math.isfinite(expected)
    missing = sf("dna", "kinship", family, "KID1", "NOBODY", "--frequencies", freqs)
    assert missing.exit_code == 2
    assert "NOBODY" in missing.output
    unreadable = sf("dna", "stats", tmp_path / "nope.csv", "--frequencies", freqs)
    assert unreadable.exit_code == 2
    assert "nope.csv" in unreadable.output


def test_families_and_dvi(analyst: None, tmp_path: Path) -> None:
    rng = random.Random(9)
    father, mother = PERSONS[SAMPLES[0]], PERSONS[SAMPLES[1]]

    def kid() -> dict[str, tuple[str, str]]:
        return {k: (rng.choice(father[k]), rng.choice(mother[k])) for k in father if k in mother}

    remains, relatives = tmp_path / "remains.csv", tmp_path / "relatives.csv"
    remains.write_text(wide_csv({"UR-1": kid(), "UR-2": PERSONS[SAMPLES[5]]}))
    relatives.write_text(wide_csv({"REF-FA": father, "REF-SIB": kid()}))
    ok("dna", "import", remains, "--index", "unidentified_remains", *JUSTIFIED)
    ok("dna", "import", relatives, "--index", "relative_of_missing_person", *JUSTIFIED)
    _profiles, freqs = files(tmp_path)
    ok("dna", "frequencies", freqs, "--name", "LAB", "--population", "sample", "--as", "lab.dna")
    pedigree = tmp_path / "family.json"
    pedigree.write_text(
        '{"label": "Family A", "missing": "mp", "members": ['
        '{"id": "fa", "sex": "male", "specimen_id": "REF-FA"}, {"id": "mo", "sex": "female"},'
        '{"id": "mp", "father": "fa", "mother": "mo"},'
        '{"id": "sib", "father": "fa", "mother": "mo", "specimen_id": "REF-SIB"}]}'
    )
    assert "stored family Family A" in ok("dna", "family", pedigree, *JUSTIFIED)
    text = ok("dna", "dvi", "--table", "LAB", *JUSTIFIED)
    assert "proposed: UR-1 is the missing member of Family A" in text
    assert "UR-2 │ excluded" in text
    pedigree.write_text('{"label": "B", "missing": "zz", "members": []}')
    bad = sf("dna", "family", pedigree, *JUSTIFIED)
    assert bad.exit_code == 2
    assert "members" in bad.output
