"""Local servers: stopping answers the requests already taken first and serves no new one after; answers go out
without Nagle's stall; a client that goes away is one line in the terminal."""

from __future__ import annotations

import logging
import re
import socket
import struct
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import pytest
import requests

from frontend.pdf import CHROME_PATH_ENV
from tools.local.apigateway.gateway import HttpReply
from tools.local.servers import built_site, serve


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


def _ok(method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
    return HttpReply(200, {"content-type": "text/plain"}, b"ok")


def test_an_accepted_connection_sends_without_waiting_for_acks() -> None:
    # Given a local server and the sockets it accepts
    server = serve(0, _ok, "test API")
    accepted: list[socket.socket] = []
    process_request = server.process_request

    def keep(request: socket.socket, client_address: tuple[str, int]) -> None:
        accepted.append(request)
        process_request(request, client_address)

    server.process_request = keep  # type: ignore[method-assign,assignment]
    try:
        # When a client sends requests in a row on one kept-alive connection
        with requests.Session() as kept_alive:
            for _ in range(4):
                assert kept_alive.get(f"http://127.0.0.1:{server.server_port}/", timeout=5).text == "ok"
            # Then the connection has Nagle's algorithm off: an answer's body is not held back 40 ms for an ACK
            (connection,) = accepted
            assert connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        server.stop_accepting()


def test_a_client_that_goes_away_is_one_line_not_a_traceback(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    # Given a server whose answer is large and a client that closes its connection before reading it
    caplog.set_level(logging.WARNING, logger="tools.local")
    big = HttpReply(200, {"content-type": "text/plain"}, b"x" * 64_000_000)  # more than any socket buffer holds
    finished = threading.Event()
    server = serve(0, lambda *_: big, "site")
    close = server.shutdown_request

    def close_then_signal(request: socket.socket) -> None:  # after the request, and its error if any, were handled
        close(request)
        finished.set()

    server.shutdown_request = close_then_signal  # type: ignore[method-assign,assignment]
    try:
        with socket.create_connection(("127.0.0.1", server.server_port)) as client:
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close = reset
            client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            client.recv(1)
        # When the server writes the rest of its answer to the closed connection
        assert finished.wait(10)
        # Then it says so in one line, and prints no traceback
        lines = [record.getMessage() for record in caplog.records if "closed its connection" in record.getMessage()]
        assert len(lines) == 1
        assert "Traceback" not in capfd.readouterr().err
    finally:
        server.stop_accepting()


def test_the_local_site_serves_the_resume_pdf_its_page_links(tmp_path: Path) -> None:
    # Given the local system's site, built for its API (Chromium present, as `make browser` makes sure)
    route = built_site(tmp_path / "site", "http://127.0.0.1:9", show_visit_badge=True)
    # When a browser asks for the page, then for the file its download link names
    page = route("GET", "/", "", {}, b"").body.decode()
    [pdf_name] = re.findall(r'<a href="([^"]+\.pdf)" download', page)
    reply = route("GET", f"/{pdf_name}", "", {}, b"")
    # Then it gets the résumé as a PDF
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/pdf"
    assert reply.body.startswith(b"%PDF-")


def test_without_chromium_the_local_site_is_served_without_the_link_and_says_so_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a machine where no Chromium can be found
    monkeypatch.setenv(CHROME_PATH_ENV, str(tmp_path / "no-chromium-here"))
    caplog.set_level(logging.WARNING, logger="tools.local")
    # When the local system builds its site (`make dev` starting)
    route = built_site(tmp_path / "site", "http://127.0.0.1:9", show_visit_badge=True)
    # Then it still serves the page, without a download link to a file that is not there
    page = route("GET", "/", "", {}, b"")
    assert page.status == 200
    assert b"data-resume-download" not in page.body
    assert not list((tmp_path / "site").glob("*.pdf"))
    # And it says why, once, with the fix
    [warning] = [record.getMessage() for record in caplog.records if "résumé PDF" in record.getMessage()]
    assert "apt-get install chromium" in warning
