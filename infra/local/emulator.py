"""The embedded AWS: moto's server on loopback, for the local system and the end-to-end tests.

NOTE: moto applies a request as plain Python with no locking, so two concurrent UpdateItem ADDs can lose one
(seen here: two first visits both answered 1). DynamoDB applies each item write atomically; serializing the
requests gives the emulator that guarantee without hiding a read-modify-write bug in our code, which still
loses updates between two separate requests.
"""

from __future__ import annotations

import logging
import threading
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

LOOPBACK = "127.0.0.1"


class PortInUseError(OSError):
    """The chosen port is taken; the message says which and how to choose another."""


class _OneRequestAtATime:
    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))


class AwsEmulator:
    """moto's server in a thread; `endpoint` is the URL to give boto3 (AWS_ENDPOINT_URL)."""

    def __init__(self, port: int = 0) -> None:
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        # One access-log line per AWS call drowns the local system's own output.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        app = _OneRequestAtATime(DomainDispatcherApplication(create_backend_app))
        try:
            self._server = make_server(LOOPBACK, self._port, app, threaded=True, request_handler=MotoRequestHandler)
        except (OSError, SystemExit) as error:
            # werkzeug reports a taken port by printing and exiting; turn that into one clear error.
            raise PortInUseError(
                f"cannot serve the AWS emulator on {LOOPBACK}:{self._port}: the port is taken. "
                "Choose other ports with --port-base."
            ) from error
        self._thread = threading.Thread(target=self._server.serve_forever, name="aws-emulator", daemon=True)
        self._thread.start()
        return self.endpoint

    def reset(self) -> None:
        """Empties every emulated service. moto keeps its state in this process, not in the server, so a second
        emulator in one process (a test session) would otherwise see the first one's resources."""
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST"))  # noqa: S310

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return f"http://{LOOPBACK}:{self._server.server_port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
