"""The STR statistics library stays pure: the standard library, numpy and itself, nothing else.

No web (FastAPI, Starlette), no SQL (SQLAlchemy), no pydantic, no ``signalfire.core`` and
no profile database (``signalfire.dna``): DESIGN.md, rule 2. The imports are read from the
source (every ``import`` statement, also those inside functions), so a lazy import counts.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import signalfire.strstats

PACKAGE = Path(signalfire.strstats.__file__).resolve().parent
MODULES = sorted(PACKAGE.rglob("*.py"))
ALLOWED_ROOTS = frozenset({"numpy"}) | sys.stdlib_module_names


def imported(path: Path) -> set[str]:
    """Every module that ``path`` imports, as written (relative imports resolved)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                names.add("signalfire.strstats")  # relative: inside the package
            elif node.module is not None:
                names.add(node.module)
    return names


def foreign(module: str) -> bool:
    """Whether the pure library may not import ``module``."""
    if module == "signalfire.strstats" or module.startswith("signalfire.strstats."):
        return False
    return module.split(".")[0] not in ALLOWED_ROOTS


def test_the_walk_sees_every_module() -> None:
    names = {path.stem for path in MODULES}
    assert {"loci", "frequencies", "stats", "search", "index", "importer", "limits"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_imports_only_the_standard_library_numpy_and_itself(path: Path) -> None:
    assert sorted(filter(foreign, imported(path))) == []


@pytest.mark.parametrize(
    ("module", "refused"),
    [
        ("fastapi", True),
        ("starlette.requests", True),
        ("sqlalchemy.orm", True),
        ("pydantic", True),
        ("signalfire.core.db", True),
        ("signalfire.core.errors", True),
        ("signalfire.dna.schemas", True),
        ("signalfire", True),
        ("numpy.typing", False),
        ("collections.abc", False),
        ("signalfire.strstats.loci", False),
    ],
)
def test_the_rule_itself(module: str, refused: bool) -> None:
    assert foreign(module) is refused
