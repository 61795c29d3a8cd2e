"""The unit layer: offline and in-process. A socket guard refuses every connect, so a test that reaches a server
(moto's, the local system's, the internet) fails at once instead of passing slowly; in-process `mock_aws` patches
botocore and opens no socket. Tests that need a server, a synth or a subprocess belong in tests/integration/."""

from __future__ import annotations

import socket
import subprocess
from typing import Any, NoReturn

import pytest


class NetworkBlockedError(RuntimeError):
    """A unit test tried to open a connection; move it to tests/integration/."""


def _refuse_connect(_self: socket.socket, address: Any, *_args: Any) -> NoReturn:
    raise NetworkBlockedError(f"unit tests are offline: connect to {address!r} refused (tests/unit/conftest.py)")


def _refuse_subprocess(*args: Any, **_kwargs: Any) -> NoReturn:
    raise NetworkBlockedError(f"unit tests run no subprocess: {args[0] if args else ''!r} (tests/unit/conftest.py)")


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every unit test runs with connect, connect_ex and subprocesses refused (nothing allowed, not even loopback)."""
    monkeypatch.setattr(socket.socket, "connect", _refuse_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse_connect)
    monkeypatch.setattr(subprocess, "Popen", _refuse_subprocess)
