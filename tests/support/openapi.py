"""Validates real handler responses against docs/api/openapi.yaml, the documented contract."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

SPEC_PATH = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.yaml"


@cache
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return loaded


def assert_matches_spec(response: dict[str, Any], path: str, method: str) -> None:
    """The response's status is documented for the operation, and its headers and body match."""
    operation = spec()["paths"][path][method.lower()]
    status = str(response["statusCode"])
    assert status in operation["responses"], f"{method} {path}: status {status} is not documented"
    _assert_matches(response, _resolve(operation["responses"][status]))


def assert_matches_component(response: dict[str, Any], name: str) -> None:
    """For answers outside any documented path (404, 405): the named reusable response."""
    _assert_matches(response, spec()["components"]["responses"][name])


def _assert_matches(response: dict[str, Any], documented: dict[str, Any]) -> None:
    headers = {name.lower(): value for name, value in response.get("headers", {}).items()}
    for name, header in documented.get("headers", {}).items():
        header = _resolve(header)
        if header.get("required"):
            assert name.lower() in headers, f"required header {name} missing"
            _validator(header["schema"]).validate(headers[name.lower()])
    schema = documented["content"]["application/json"]["schema"]
    assert headers.get("content-type") == "application/json"
    _validator(schema).validate(json.loads(response["body"]))


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    # Local refs ("#/components/...") resolve against the validated document's root, so carry the
    # spec's components along with the schema (an unknown keyword to JSON Schema, and ignored).
    return Draft202012Validator({**schema, "components": spec()["components"]})
