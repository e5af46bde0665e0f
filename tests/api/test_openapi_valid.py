"""The OpenAPI document is valid OpenAPI 3.1: the console's types are generated from it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient
from openapi_spec_validator import OpenAPIV31SpecValidator


def _tuple_style_items(node: Any, where: str = "#") -> Iterator[str]:
    """JSON pointers of every ``items`` that is a list (draft-04 tuples, not 3.1)."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{where}/{str(key).replace('~', '~0').replace('/', '~1')}"
            if key == "items" and isinstance(value, list):
                yield here
            yield from _tuple_style_items(value, here)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _tuple_style_items(value, f"{where}/{index}")


def test_walker_finds_tuple_style_items() -> None:
    document = {"a": {"items": [{"type": "number"}]}, "b": [{"items": {"type": "string"}}]}
    assert list(_tuple_style_items(document)) == ["#/a/items"]


def test_no_schema_uses_tuple_style_items(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert list(_tuple_style_items(document)) == []


def test_the_document_conforms_to_openapi_3_1(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    problems = [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in OpenAPIV31SpecValidator(document).iter_errors()
    ]
    assert problems == []


def test_coordinate_tuples_are_prefix_items(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    segment = schemas["RoadMap"]["properties"]["segments"]["items"]
    assert segment["prefixItems"] == [{"type": "number"}] * 4
    assert segment["minItems"] == segment["maxItems"] == 4
    point = schemas["Coverage"]["properties"]["polygon"]["items"]
    assert point["prefixItems"] == [{"type": "number"}] * 2
