from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.app import build_app
from infra.config import DeploymentConfig, app_context, load_config, overrides_from_context


@pytest.fixture(scope="session")
def config() -> DeploymentConfig:
    context = app_context()
    return load_config(context, overrides_from_context(context))


@pytest.fixture(scope="session")
def assembly_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`cdk synth` of the real app with cdk.json's context, cdk-nag on (synth fails on a finding)."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    app, _ = build_app(outdir=str(outdir))
    app.synth()
    return outdir


@pytest.fixture(scope="session")
def template_json(assembly_dir: Path, config: DeploymentConfig) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((assembly_dir / f"{config.stack_name}.template.json").read_text())
    return loaded


@pytest.fixture(scope="session")
def template(template_json: dict[str, Any]) -> Template:
    return Template.from_json(template_json)


_templates_by_context: dict[str, Template] = {}
"""What synth_with synthesized, per context: the same context synthesizes the same template (a synth is ~3 s)."""


@pytest.fixture
def synth_with() -> Any:
    """Synthesizes the app with extra context (e.g. config overrides) into a template, once per context in a run."""

    def synth(context: dict[str, Any]) -> Template:
        key = json.dumps(context, sort_keys=True)
        if key not in _templates_by_context:
            _, stack = build_app(context=context)
            _templates_by_context[key] = Template.from_stack(stack)
        return _templates_by_context[key]

    return synth
