"""CDK entry point: load config, build the stack, apply cdk-nag, synth (`make synth` → cdk.out/)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from aws_cdk import App

from infra.config import REPO_ROOT, ConfigError, app_context, load_config, overrides_from_context
from infra.nag import apply_checks
from infra.stack import ResumeBackendStack


def build_app(outdir: str | None = None, context: Mapping[str, Any] | None = None) -> tuple[App, ResumeBackendStack]:
    full_context = app_context(context)
    config = load_config(full_context, overrides_from_context(full_context))
    app = App(outdir=outdir, context=full_context)
    stack = ResumeBackendStack(app, config)
    apply_checks(app)
    return app, stack


def main() -> None:
    try:
        app, _ = build_app(outdir=os.environ.get("CDK_OUTDIR", str(REPO_ROOT / "cdk.out")))
    except ConfigError as error:
        sys.exit(f"config error: {error}")
    app.synth()


if __name__ == "__main__":
    main()
