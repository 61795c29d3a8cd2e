"""Stopping a local server: requests already taken are answered first; no new one is served after."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

import requests

from tools.local.apigateway.gateway import HttpReply
from tools.local.servers import serve


def test_stopping_answers_the_requests_in_flight_and_refuses_new_ones() -> None:
    # Given a server whose answers take a moment (as a Lambda invocation does)
    entered = threading.Event()

    def slow(method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        entered.set()
        time.sleep(0.5)
        return HttpReply(200, {}, b"done")

    server = serve(0, slow, "test API")
    url = f"http://127.0.0.1:{server.server_port}/"
    with requests.Session() as kept_alive:
        assert kept_alive.get(url, timeout=5).status_code == 200
        in_flight: list[int] = []
        thread = threading.Thread(target=lambda: in_flight.append(requests.post(url, timeout=5).status_code))
        entered.clear()
        thread.start()
        assert entered.wait(5)
        # When it stops while a request is in flight
        drained = server.stop_accepting()
        # Then it waited for that request, which was answered
        assert drained is True
        thread.join()
        assert in_flight == [200]
        # And a new request, even on a connection kept alive, is not served
        try:
            status = kept_alive.get(url, timeout=5).status_code
        except requests.ConnectionError:
            status = 0
        assert status in (0, 503)
