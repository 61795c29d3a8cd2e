"""The synthesized templates pass cfn-lint and cdk-nag (AwsSolutions), and every exception is explained."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import aws_sqs as sqs

from infra.app import build_app
from infra.config import REPO_ROOT, DeploymentConfig
from infra.nag import REASONS


def test_cfn_lint_finds_no_errors(assembly_dir: Path, config: DeploymentConfig) -> None:
    template = assembly_dir / f"{config.stack_name}.template.json"
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "cfn-lint"),
            "--config-file",
            str(REPO_ROOT / ".cfnlintrc.yaml"),
            str(template),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    # Exit code 0: no errors and no warnings that are not explained in .cfnlintrc.yaml.
    assert result.returncode == 0, result.stdout + result.stderr


def test_cdk_nag_reports_no_unacknowledged_finding(assembly_dir: Path) -> None:
    report = json.loads((assembly_dir / "validation-report.json").read_text())
    failures = [r for r in report["pluginReports"] if r["conclusion"] != "success"]
    assert failures == []


def test_every_acknowledged_finding_carries_its_written_reason(template_json: dict[str, Any]) -> None:
    acknowledged = [
        rule
        for resource in template_json["Resources"].values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]
    assert acknowledged, "the app acknowledges some findings; none found means the metadata is not written"
    for rule in acknowledged:
        assert rule["reason"] in REASONS.values()
        assert len(rule["reason"]) > 40


def test_cdk_nag_is_active_and_fails_synth_on_a_new_finding(tmp_path: Path) -> None:
    # Given the app plus a queue that allows plain-HTTP access (AwsSolutions-SQS4)
    app, stack = build_app(outdir=str(tmp_path))
    sqs.Queue(stack, "CarelessQueue", encryption=sqs.QueueEncryption.UNENCRYPTED)
    # Then synth refuses it
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for r in report["pluginReports"] for v in r["violations"]}
    assert "AwsSolutions-SQS4" in rules


def test_every_python_function_ships_only_its_code_not_the_repositorys_dot_folders(
    template_json: dict[str, Any], assembly_dir: Path
) -> None:
    # Given each of our Python Lambdas' code assets as synthesized
    manifest = json.loads(next(assembly_dir.glob("*.assets.json")).read_text())
    ours = [
        resource["Properties"]
        for resource in template_json["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function" and resource["Properties"]["Handler"].startswith("functions.")
    ]
    assert len(ours) >= 2
    for function in ours:
        asset_hash = function["Code"]["S3Key"].split(".")[0]
        folder = assembly_dir / manifest["files"][asset_hash]["source"]["path"]
        names = {path.name for path in folder.iterdir()}
        # Then each holds functions/ (and, for the counter, its bundled crawler list), never .git, .venv or caches
        assert "functions" in names, function["Handler"]
        assert not [name for name in names if name.startswith(".")], (function["Handler"], sorted(names))
        assert names <= {"functions", "crawleruseragents"} | {n for n in names if n.endswith(".dist-info")}
