"""Runs the CDK app (cdk-nag included) and reads back the application stack's template.

In a child process, so a long-running caller holds no jsii/Node process of its own, and so nothing here imports
the app: the dashboard tooling and the local runtime both use it without depending on each other.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Final

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
CONFIG_ERROR_EXIT: Final = 2
"""`python -m infra.app` exits with this status on a config error, having printed only its message."""


class SynthError(RuntimeError):
    """The app did not synthesize. `message` is what it printed (a config error names the key); `exit_code` is
    its status, CONFIG_ERROR_EXIT for a config error. Entry points print the message and exit with the code."""

    def __init__(self, exit_code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.message = message


def synthesize(outdir: Path, context: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`python -m infra.app` into `outdir`, with `context` instead of cdk.json's when given; its stack template."""
    env = os.environ | {"CDK_OUTDIR": str(outdir.resolve())}
    if context is not None:
        env["CDK_CONTEXT_JSON"] = json.dumps(context)
    result = subprocess.run(
        [sys.executable, "-m", "infra.app"], env=env, cwd=REPO_ROOT, stderr=subprocess.PIPE, text=True, check=False
    )
    if result.returncode != 0:
        raise SynthError(result.returncode, result.stderr.strip() or f"python -m infra.app exited {result.returncode}")
    sys.stderr.write(result.stderr)  # warnings, if any, as the app printed them
    return stack_template(outdir)


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


@cache
def default_template() -> dict[str, Any]:
    """The app as cdk.json configures it, synthesized once per process: what tests create their tables from."""
    with tempfile.TemporaryDirectory(prefix="cdk.out-") as outdir:
        return synthesize(Path(outdir))
