"""`python -m tools.preflight` (what `make preflight` runs) as a whole: a config error, a run against an empty
emulator (moto's server) and against no AWS at all — no AWS account here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from infra.config import REPO_ROOT
from tests.unit.preflight.conftest import ACCOUNT, OWNED, REGION
from tools.preflight.core import Status


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


def _unreachable_env() -> dict[str, str]:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    return dict(os.environ) | {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }


def test_with_aws_unreachable_it_exits_1_and_says_so() -> None:
    result = _preflight(
        *(arg for key, value in OWNED.items() for arg in _context(key, value)),
        "-c",
        f"config.account={ACCOUNT}",
        env=_unreachable_env(),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "FAIL  credentials: not checked: EndpointConnectionError" in result.stdout
    assert "AWS unreachable: the network, AWS_ENDPOINT_URL" in result.stdout
    assert "0 failed" not in result.stdout
    assert "Traceback" not in output


def test_a_lookup_role_that_cannot_be_assumed_fails_with_cdk_bootstrap() -> None:
    result = _preflight("--lookup-role", "-c", f"config.account={ACCOUNT}", env=_unreachable_env())
    assert result.returncode == 1
    assert "FAIL  lookup role: cannot assume the CDK bootstrap lookup role" in result.stdout
    assert f"fix: npx cdk bootstrap aws://{ACCOUNT}/" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def _context(key: str, value: object) -> tuple[str, str]:
    return "-c", f"config.{key}={json.dumps(value) if not isinstance(value, str) else value}"


def test_the_shipped_cdk_json_names_each_placeholder_key_as_a_failure() -> None:
    # Given cdk.json as the repository ships it (and no AWS: the placeholders are read offline)
    config = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]["config"]
    # When the preflight runs
    result = _preflight(env=_unreachable_env())
    # Then one failure names every key that still holds a stand-in, with the fix for each
    assert result.returncode == 1
    line = next(line for line in result.stdout.splitlines() if line.startswith("FAIL  placeholders"))
    keys = ["account", "github_repository", "sender_email"]
    keys += [f"alert_recipients[{i}]" for i in range(len(config["alert_recipients"]))]
    keys += [f"site_origins[{i}]" for i in range(len(config["site_origins"]))]
    for key in keys:
        assert key in line
    assert "set config.account in cdk.json to your account's id" in result.stdout
    assert 'set config.github_repository in cdk.json to "<owner>/<repository>"' in result.stdout
    # And the credentials check no longer sends a newcomer looking for credentials of the placeholder account
    assert "profile of account 111111111111" not in result.stdout
