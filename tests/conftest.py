"""Shared by every layer, and light: the environment pinned (these credentials can reach nothing real), one botocore
data loader for the process (tests/support/botocore_data.py) and the Lambdas' printed output. Heavier fixtures live
in the conftest of the layer that needs them (the local system: tests/support/local_system.py, used by tests/e2e,
tests/tools and tests/browser)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator

import pytest

from tests.support.botocore_data import share_one_loader

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
share_one_loader()


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


@pytest.fixture(autouse=True, scope="module")
def _no_inherited_iam_enforcement() -> Iterator[None]:
    """moto's IAM enforcement is one setting of the process (tools/local/emulator.py turns it on for a local system
    and off when it stops); a module whose system failed to stop must not leave it on for the next."""
    yield
    import moto.settings

    moto.settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
