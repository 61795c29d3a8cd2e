"""IAM roles as the template declares them: each role's policy statements, from its inline `Policies` and every
`AWS::IAM::Policy` / `AWS::IAM::ManagedPolicy` of the template attached to it (policies managed outside the
template, such as AWS's, are not read)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stack_model.template import LocalTemplate, referenced


@dataclass(frozen=True)
class PolicyStatement:
    effect: str
    """Allow or Deny."""
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    """Resolved to local names where the template's expression resolves, else the expression as JSON."""


@dataclass(frozen=True)
class Role:
    logical_id: str
    statements: tuple[PolicyStatement, ...]


def read_roles(template: LocalTemplate) -> dict[str, Role]:
    attached: dict[str, list[PolicyStatement]] = {lid: [] for lid in template.of_type("AWS::IAM::Role")}
    for _, props in template.each("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        for role in props.get("Roles", []):
            role_id = referenced(role)
            if role_id in attached:
                attached[role_id].extend(_statements(template, props.get("PolicyDocument", {})))
    roles = {}
    for lid, statements in attached.items():
        props = template.properties(lid)
        for inline in props.get("Policies", []):
            statements.extend(_statements(template, inline.get("PolicyDocument", {})))
        roles[lid] = Role(lid, tuple(statements))
    return roles


def _statements(template: LocalTemplate, document: Mapping[str, Any]) -> list[PolicyStatement]:
    statements = document.get("Statement", [])
    return [
        PolicyStatement(
            effect=str(statement.get("Effect", "Allow")),
            actions=tuple(str(action) for action in _listed(statement.get("Action"))),
            resources=tuple(_resolved(template, resource) for resource in _listed(statement.get("Resource"))),
        )
        for statement in (statements if isinstance(statements, list) else [statements])
    ]


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _resolved(template: LocalTemplate, value: Any) -> str:
    try:
        return template.resolve(value)
    except ValueError:  # e.g. Fn::Sub, which no local tool needs resolved
        return json.dumps(value, sort_keys=True)
