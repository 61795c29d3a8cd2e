"""The dashboard body as CloudWatch receives it, read from the synthesized template.

References to the stack's resources are resolved to their logical ids (the local system's names), so the body
is plain, deterministic JSON: the same definition always gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from stack_model.stack import StackModel


def dashboard_bodies(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every dashboard in the template: its name → its parsed body."""
    return {dashboard.name: dict(dashboard.body) for dashboard in StackModel.from_template(template).dashboards}


def canonical_json(body: Mapping[str, Any]) -> str:
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
