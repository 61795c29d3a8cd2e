"""Shared fixtures. Every AWS call in tests goes to moto; these credentials can reach nothing real."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        # Powertools: no X-Ray daemon here, and metrics stay on so tests can read the EMF they print.
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
)
for _var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
    os.environ.pop(_var, None)


@pytest.fixture(scope="module")
def local_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    """The real local system (`make dev`) in this process, for one test module. Alarm periods are scaled so
    alarms fire in seconds, and the stage throttle raised so 800 requests do not take 40 s at the deployed
    20 requests/s. It leaves this process's environment as it found it: the Lambdas it runs see theirs only
    while they run (tools/local/lambda_runtime/runtime.py)."""
    from tests.e2e.conftest import free_port_base

    system = LocalSystem(
        Ports.from_base(free_port_base()),
        Path(tmp_path_factory.mktemp("local")),
        period_scale=0.02,
        config_overrides={
            "api_throttle_rate_per_second": "1000",
            "api_throttle_burst_requests": "1000",
            # Every request reaches the local API from 127.0.0.1: one network, which the counter caps per day.
            "max_views_per_network_per_day": "100000",
        },
    )
    system.start()
    yield system
    system.stop()


@pytest.fixture
def lambda_stdout(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], str]]:
    """What the Lambdas printed: EMF documents and log lines, as Lambda would ship them to CloudWatch.

    Each Powertools logger keeps the stream it was created with; pytest swaps sys.stdout between the setup and
    call phases, so the handlers write to whatever sys.stdout is at the time of each line.
    """
    from functions.counter import app as counter_app
    from functions.notifier import app as notifier_app
    from functions.probe import app as probe_app

    handlers = [
        counter_app.logger.registered_handler,
        notifier_app.logger.registered_handler,
        probe_app.logger.registered_handler,
    ]
    # Assigned, not setStream(): that flushes the old stream, which pytest may have closed.
    originals = [handler.stream for handler in handlers]  # type: ignore[attr-defined]
    for handler in handlers:
        handler.stream = _CurrentStdout()  # type: ignore[attr-defined]

    def read() -> str:
        return capsys.readouterr().out

    yield read
    for handler, original in zip(handlers, originals, strict=True):
        handler.stream = original  # type: ignore[attr-defined]


class _CurrentStdout:
    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


from tools.local.system import LocalSystem, Ports  # noqa: E402 - after the environment is pinned above
