from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local.system import LocalSystem, Ports


def free_port_base() -> int:
    """Four consecutive free loopback ports."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = int(probe.getsockname()[1])
        if base > 60000:
            continue
        if all(_is_free(base + offset) for offset in range(4)):
            return base
    raise RuntimeError("no four consecutive free ports")


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="session")
def local_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSystem]:
    """The real local system (`make dev`) in this process. Alarm periods are scaled so alarms fire in seconds,
    and the stage throttle raised so 800 requests do not take 40 s at the deployed 20 requests/s."""
    system = LocalSystem(
        Ports.from_base(free_port_base()),
        Path(tmp_path_factory.mktemp("local")),
        period_scale=0.02,
        config_overrides={"api_throttle_rate_per_second": "1000", "api_throttle_burst_requests": "1000"},
    )
    system.start()
    yield system
    system.stop()
