"""The unit layer's guard (tests/unit/conftest.py) holds: no connection leaves a unit test, not even to loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request

import boto3
import pytest
from botocore.exceptions import HTTPClientError

from tests.unit.conftest import NetworkBlockedError


def test_a_connect_even_to_loopback_is_refused() -> None:
    # Given a listening socket on loopback (binding and listening need no connection)
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        # When a unit test connects to it, Then the guard refuses before any packet is sent
        with socket.socket() as client, pytest.raises(NetworkBlockedError, match="unit tests are offline"):
            client.connect(server.getsockname())


def test_an_http_request_and_an_aws_client_outside_mock_aws_are_refused() -> None:
    # When code reaches for the network the way the project does (urllib, botocore)
    # Then both fail at once, naming the guard, rather than waiting on a timeout
    with pytest.raises(NetworkBlockedError):
        urllib.request.urlopen("http://127.0.0.1:9/", timeout=1)
    client = boto3.client("sts", endpoint_url="http://127.0.0.1:9")
    # (botocore wraps what the socket raised; the guard's message is kept)
    with pytest.raises(HTTPClientError, match="unit tests are offline"):
        client.get_caller_identity()


def test_a_subprocess_is_refused() -> None:
    with pytest.raises(NetworkBlockedError, match="no subprocess"):
        subprocess.run([sys.executable, "-c", "pass"], check=False)
