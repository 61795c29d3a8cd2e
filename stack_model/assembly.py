"""A synthesized cloud assembly (cdk.out), read: the application stack's template."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def stack_template(outdir: Path) -> dict[str, Any]:
    """The one application stack's template in a synthesized assembly."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    (template_file,) = [
        artifact["properties"]["templateFile"]
        for artifact in manifest["artifacts"].values()
        if artifact["type"] == "aws:cloudformation:stack"
    ]
    template: dict[str, Any] = json.loads((outdir / template_file).read_text())
    return template
