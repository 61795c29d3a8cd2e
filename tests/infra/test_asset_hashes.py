"""A Lambda asset holds only source: the same commit synthesizes the same asset hashes whatever ran before it
(`make bench` runs a staged asset with bytecode writing on; tests and `make dev` import functions/)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.app import build_app
from infra.config import REPO_ROOT, DeploymentConfig
from infra.lambda_factory import STAGED_ASSETS_DIR

BYTECODE = b"\x00not really bytecode, but what a run leaves"


def _asset_hashes(outdir: Path, config: DeploymentConfig) -> set[str]:
    app, _ = build_app(outdir=str(outdir))
    app.synth()
    manifest = json.loads((outdir / f"{config.stack_name}.assets.json").read_text())
    return set(manifest["files"])


def _lambda_code_keys(outdir: Path, config: DeploymentConfig) -> set[str]:
    template = json.loads((outdir / f"{config.stack_name}.template.json").read_text())
    return {
        str(resource["Properties"]["Code"]["S3Key"])
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function" and "S3Key" in resource["Properties"].get("Code", {})
    }


@pytest.fixture
def leftovers() -> Iterator[list[Path]]:
    """Files a run leaves; removed afterwards, whatever the test did."""
    written: list[Path] = []
    yield written
    for path in written:
        path.unlink(missing_ok=True)
        if path.parent.name == "__pycache__" and not any(path.parent.iterdir()):
            path.parent.rmdir()


def test_bytecode_left_by_a_run_does_not_change_any_asset_hash(
    tmp_path: Path, config: DeploymentConfig, leftovers: list[Path]
) -> None:
    # Given the hashes of a synth from clean sources
    clean = _asset_hashes(tmp_path / "clean", config)
    code_keys = _lambda_code_keys(tmp_path / "clean", config)
    assert code_keys, "no Lambda with an asset: the test would prove nothing"
    # When a run leaves bytecode in functions/ and in every staged asset (as `make bench` does)
    folders = [REPO_ROOT / "functions" / "counter", *(p / "functions" / "counter" for p in STAGED_ASSETS_DIR.glob("*"))]
    for folder in folders:
        if folder.is_dir():
            for path in (folder / "__pycache__" / "app.cpython-313.pyc", folder / "stray.pyc"):
                if not path.exists():
                    path.parent.mkdir(exist_ok=True)
                    path.write_bytes(BYTECODE)
                    leftovers.append(path)
    assert leftovers
    # Then a new synth gives the same asset hashes, and the Lambdas the same code
    assert _asset_hashes(tmp_path / "after", config) == clean
    assert _lambda_code_keys(tmp_path / "after", config) == code_keys
