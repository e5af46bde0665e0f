"""YAML read with line numbers, so a problem in a file can name its line. Pure: no database.

Safe YAML, except that times such as ``1:30`` or ``1:02:03`` stay the strings they were
written as (plain YAML 1.1 would read them as base-60 integers) and timestamps are left to
pydantic. The node tree is kept beside the plain data, so a field path (a pydantic error
location) maps back to the line of the YAML node at fault.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

Loc = tuple[str | int, ...]


class YamlSyntaxError(ValueError):
    """Text that is not one YAML document, with the line (1-based) where known."""

    def __init__(self, line: int | None, message: str) -> None:
        self.line, self.message = line, message
        super().__init__(message)


_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-9_]+)+(?:\.[0-9_]*)?$")


class _Loader(yaml.SafeLoader):
    """Safe YAML, but ``1:30`` stays a string and timestamps are left to pydantic."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "+-0123456789":
    _Loader.yaml_implicit_resolvers.setdefault(_first, []).insert(0, (_STR_TAG, _SEXAGESIMAL))


def read_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the plain data of one YAML document.

    >>> node, data = read_yaml("at: 1:30\\nn: 2")
    >>> data, node.start_mark.line
    ({'at': '1:30', 'n': 2}, 0)
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        return node, (None if node is None else loader.construct_document(node))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = " ".join(part for part in (error.context, error.problem) if part)
        line = None if mark is None else mark.line + 1
        raise YamlSyntaxError(line, message) from error
    except (yaml.YAMLError, ValueError, TypeError) as error:
        raise YamlSyntaxError(None, str(error)) from error
    finally:
        loader.dispose()


def duplicate_keys(node: yaml.Node, loc: Loc = ()) -> Iterator[tuple[Loc, int]]:
    """Path and line of every key given twice in one mapping (YAML would keep the last).

    >>> list(duplicate_keys(read_yaml("a: 1\\nb: [{c: 1, c: 2}]\\na: 3")[0]))
    [(('b', 0, 'c'), 2), (('a',), 3)]
    """
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                yield (*loc, name), key.start_mark.line + 1
            seen.add(name)
            yield from duplicate_keys(value, (*loc, name))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from duplicate_keys(item, (*loc, i))


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    """The key node (``None`` in a list) and value node at ``part`` below ``node``."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key, value
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part >= 0:
        return (None, node.value[part]) if part < len(node.value) else None
    return None


def line_of(root: yaml.Node | None, loc: Loc, *, key_line: bool = False) -> int | None:
    """Line of the node at ``loc``; of its parent when absent; of its key when asked.

    >>> root, _ = read_yaml("calls:\\n  - id: a\\n    at: 5\\n")
    >>> line_of(root, ("calls", 0, "at")), line_of(root, ("calls", 0, "nope"))
    (3, 2)
    """
    if root is None:
        return None
    node, line = root, root.start_mark.line + 1
    for part in loc:
        found = _child(node, part)
        if found is None:
            return line
        key, node = found
        scalar = isinstance(node, yaml.ScalarNode)
        use_key = key is not None and (key_line or not scalar)
        line = (key if use_key and key is not None else node).start_mark.line + 1
    return line
