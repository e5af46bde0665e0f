"""The pure libraries stay pure: no module of ``geo``, ``video``, the redaction engine or
the DNA statistics library imports FastAPI, Starlette, SQLAlchemy, ``signalfire.core.db``
or ``signalfire.api`` (DESIGN.md, rule 2), directly or through another Signalfire module.

Imports are read from the source with :mod:`ast`, never executed. Lists below are meant
to be edited as the layout changes.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "signalfire"

#: Imports a pure library may not make (a module or anything below it).
FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "signalfire.core.db", "signalfire.api")

#: Packages that are pure libraries as a whole.
PURE_PACKAGES = ("geo", "video", "vision", "strstats")
#: The redaction package is the engine except for its job API (stored jobs, HTTP, events).
REDACTION_JOB_API = frozenset(
    {"router.py", "jobs.py", "models.py", "recovery.py", "schemas.py", "events.py"}
)
#: The DNA statistics library: in ``strstats/`` when it exists, else these modules of ``dna/``.
DNA_LIBRARY = (
    "loci",
    "profiles",
    "frequencies",
    "kinship",
    "mutation",
    "paternity",
    "pedigree",
    "dvi",
    "stats",
    "search",
    "index",
    "records",
    "importer",
)

#: Modules that break the rule today, with the reason; each must really fail (strict).
KNOWN_VIOLATIONS: dict[str, str] = {}


def pure_modules() -> list[Path]:
    """Every source file of the pure libraries, as they are laid out now."""
    files: list[Path] = []
    for name in PURE_PACKAGES:
        if (PACKAGE / name).is_dir():
            files += sorted((PACKAGE / name).rglob("*.py"))
    files += sorted(
        path for path in (PACKAGE / "redaction").rglob("*.py") if path.name not in REDACTION_JOB_API
    )
    for name in DNA_LIBRARY:
        old = PACKAGE / "dna" / f"{name}.py"
        if old.is_file():
            files.append(old)
    return files


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _file_of(module: str) -> Path | None:
    """The source file of a ``signalfire`` module, or ``None`` if it is not one of ours."""
    base = SRC.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _package_of(path: Path) -> str:
    module = _module_name(path)
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def imports_in(source: str, *, package: str) -> Iterator[str]:
    """Every module name ``source`` imports (``from a import b`` gives ``a`` and ``a.b``)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = parts[: len(parts) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


@cache
def _imports_of(path: Path) -> frozenset[str]:
    return frozenset(imports_in(path.read_text(encoding="utf-8"), package=_package_of(path)))


def _with_parents(module: str) -> Iterator[str]:
    """``a.b.c``, then ``a.b`` and ``a``: importing a module runs its packages too."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        yield ".".join(parts[:end])


def forbidden_chain(start: str, imports: Iterable[str]) -> list[str] | None:
    """The import chain from module ``start`` (which imports ``imports``) to a forbidden
    module, through Signalfire's own modules; ``None`` if there is none."""
    seen = {start}
    queue: deque[tuple[frozenset[str], list[str]]] = deque([(frozenset(imports), [start])])
    while queue:
        names, chain = queue.popleft()
        for name in sorted(names):
            if any(name == bad or name.startswith(f"{bad}.") for bad in FORBIDDEN):
                return [*chain, name]
            for module in _with_parents(name):
                found = _file_of(module) if module.startswith("signalfire") else None
                if found is not None and module not in seen:
                    seen.add(module)
                    queue.append((_imports_of(found), [*chain, module]))
    return None


def _cases() -> list[object]:
    cases: list[object] = []
    for path in pure_modules():
        name = str(path.relative_to(PACKAGE))
        reason = KNOWN_VIOLATIONS.get(name)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        cases.append(pytest.param(path, id=name, marks=marks))
    return cases


@pytest.mark.parametrize("path", _cases())
def test_pure_library_imports_no_web_sql_or_database(path: Path) -> None:
    chain = forbidden_chain(_module_name(path), _imports_of(path))
    assert chain is None, " -> ".join(chain or [])


def test_the_lists_name_real_modules() -> None:
    modules = {str(path.relative_to(PACKAGE)) for path in pure_modules()}
    assert {"geo/routing.py", "video/pipeline.py", "redaction/tracks.py"} <= modules
    in_strstats = {path.stem for path in (PACKAGE / "strstats").glob("*.py")}
    in_dna = {path.stem for path in (PACKAGE / "dna").glob("*.py")}
    missing = [name for name in DNA_LIBRARY if name not in in_strstats | in_dna]
    assert not missing, f"DNA library modules not found in strstats/ or dna/: {missing}"
    assert set(KNOWN_VIOLATIONS) <= modules, "a known violation names no pure module"
    assert {path.name for path in (PACKAGE / "redaction").glob("*.py")} >= REDACTION_JOB_API


@pytest.mark.parametrize(
    ("source", "chain"),
    [
        ("import sqlalchemy.orm\n", ["signalfire.geo.probe", "sqlalchemy.orm"]),
        ("from fastapi import APIRouter\n", ["signalfire.geo.probe", "fastapi"]),
        ("from signalfire.core import db\n", ["signalfire.geo.probe", "signalfire.core.db"]),
        ("from ..core.db import Base\n", ["signalfire.geo.probe", "signalfire.core.db"]),
        ("from signalfire import api\n", ["signalfire.geo.probe", "signalfire.api"]),
        (
            "from signalfire.units import service\n",
            ["signalfire.geo.probe", "signalfire.units.service", "sqlalchemy"],
        ),
        ("import numpy\nfrom signalfire.geo.grid import cell_of\n", None),
    ],
)
def test_the_walk_finds_direct_and_indirect_imports(source: str, chain: list[str] | None) -> None:
    found = forbidden_chain("signalfire.geo.probe", imports_in(source, package="signalfire.geo"))
    if chain is None:
        assert found is None
    else:
        assert found is not None
        assert found[0] == chain[0], found
        assert found[-1].startswith(chain[-1]), found
        assert set(chain[:-1]) <= set(found), found


def test_incidents_never_import_dispatch() -> None:
    """Dispatch uses incidents; incidents ask dispatch through ``Responders`` only, which the
    app wires in, so the dependency points one way (issue 16, item 3)."""
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(
            name for name in _imports_of(path) if name.startswith("signalfire.dispatch")
        )
        for path in sorted((PACKAGE / "incidents").rglob("*.py"))
    }
    assert {name: found for name, found in offenders.items() if found} == {}
