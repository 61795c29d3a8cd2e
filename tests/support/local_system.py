"""The real local system (`make dev`) in the test process, as a module-scoped fixture for the layers that run it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.ports import free_port_base
from tools.local.system import LocalSystem, Ports


@pytest.fixture(scope="module")
def local_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    """The real local system (`make dev`) in this process, for one test module. Alarm periods are scaled so
    alarms fire in seconds, and the stage throttle raised so 800 requests do not take 40 s at the deployed
    20 requests/s. It leaves this process's environment as it found it: the Lambdas it runs see theirs only
    while they run (tools/local/lambda_runtime/runtime.py)."""
    system = LocalSystem(
        Ports.from_base(free_port_base()),
        Path(tmp_path_factory.mktemp("local")),
        period_scale=0.02,
        config_overrides={"api_throttle_rate_per_second": "1000", "api_throttle_burst_requests": "1000"},
    )
    system.start()
    yield system
    system.stop()
