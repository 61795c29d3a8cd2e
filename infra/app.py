"""CDK entry point: load config, build the stack, apply cdk-nag, synth (`make synth` → cdk.out/)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

from aws_cdk import App, Stack

from infra.config import (
    CONFIG_ERROR_EXIT,
    REPO_ROOT,
    ConfigError,
    DeploymentConfig,
    app_context,
    load_config,
    overrides_from_context,
)
from infra.hosting.site_build import SiteBuildError
from infra.nag import apply_checks
from infra.stack import ResumeBackendStack


def configured_app(outdir: str | None, context: Mapping[str, Any] | None) -> tuple[App, DeploymentConfig]:
    """An app with cdk-nag on, on the context `cdk synth` would pass plus `context`, and the config read from it."""
    full_context = app_context(context)
    config = load_config(full_context, overrides_from_context(full_context))
    app = App(outdir=outdir, context=full_context)
    apply_checks(app)
    return app, config


def build_app(outdir: str | None = None, context: Mapping[str, Any] | None = None) -> tuple[App, ResumeBackendStack]:
    app, config = configured_app(outdir, context)
    return app, ResumeBackendStack(app, config)


def synth(build: Callable[..., tuple[App, Stack]], default_outdir: str) -> None:
    """Builds an app into CDK_OUTDIR (the CLI's choice) or `default_outdir`; a config error exits 2 with its message,
    a site that cannot be built (no Chromium for the résumé PDF) 1 with its fix."""
    try:
        app, _ = build(outdir=os.environ.get("CDK_OUTDIR", str(REPO_ROOT / default_outdir)))
    except ConfigError as error:
        print(f"config error: {error}", file=sys.stderr)
        sys.exit(CONFIG_ERROR_EXIT)
    except SiteBuildError as error:
        print(f"site build error: {error}", file=sys.stderr)
        sys.exit(1)
    app.synth()


def main() -> None:
    synth(build_app, "cdk.out")


if __name__ == "__main__":
    main()
