"""`python -m tools.preflight` (what `make preflight` runs) as a whole: the synthesized app's bootstrap requirement,
a config error, and a run against an empty emulator (moto's server) — no AWS account here."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from infra.config import REPO_ROOT
from tests.unit.preflight.conftest import ACCOUNT, REGION
from tools.preflight.core import Status
from tools.preflight.runner import synthesized_requirement


def test_the_bootstrap_version_comes_from_the_synthesized_app() -> None:
    requirement = synthesized_requirement({})()
    assert requirement.version >= 6
    assert requirement.ssm_parameter == "/cdk-bootstrap/hnb659fds/version"


def _preflight(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.preflight", *args],
        cwd=REPO_ROOT,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_config_error_exits_2_with_its_message_and_no_traceback() -> None:
    result = _preflight("-c", "config.region=nowhere")
    assert result.returncode == 2
    assert "config error: config key 'region'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.fixture
def empty_emulator() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto keeps its state in this process: start from nothing, whatever ran before.
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))  # noqa: S310
    yield endpoint
    server.stop()


def test_against_an_empty_emulator_it_exits_1_naming_the_missing_bootstrap(empty_emulator: str) -> None:
    env = dict(os.environ) | {
        "AWS_ENDPOINT_URL": empty_emulator,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }
    result = _preflight("-c", f"config.account={ACCOUNT}", "-c", f"config.region={REGION}", env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "FAIL  CDK bootstrap: no CDK bootstrap stack (CDKToolkit)" in result.stdout
    assert f"fix: npx cdk bootstrap aws://{ACCOUNT}/{REGION}" in result.stdout
    assert "Traceback" not in output
    assert result.stdout.count(Status.PASS.value + "  credentials") == 1
