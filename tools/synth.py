"""Runs the CDK app (cdk-nag included) for the tools and reads back the application stack's template.

In a child process, so a long-running caller holds no jsii/Node process of its own; the template is read by the stack
model (stack_model/).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Final

from stack_model.assembly import stack_template

REPO_ROOT: Final = Path(__file__).resolve().parent.parent


def config_override(item: str) -> tuple[str, str]:
    """`KEY=VALUE`, a context value for the app as `cdk -c` takes it (`-c` of the tools that read the deployed stack,
    `--config` of the local system) → (KEY, VALUE); argparse turns the ValueError into a usage error (exit 2)."""
    key, separator, value = item.partition("=")
    if not separator or not key:
        raise ValueError(item)
    return key, value


def add_context_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c", "--context", action="append", default=[], type=config_override, metavar="KEY=VALUE", help="as for cdk"
    )


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


@cache
def default_template() -> dict[str, Any]:
    """The app as cdk.json configures it, synthesized once per process: what tests create their tables from."""
    with tempfile.TemporaryDirectory(prefix="cdk.out-") as outdir:
        return synthesize(Path(outdir))
