"""The embedded AWS: moto's server on loopback, for the local system and the end-to-end tests.

NOTE: moto applies a request as plain Python with no locking, so two concurrent UpdateItem ADDs can lose one; DynamoDB
applies each item write atomically. Serving one request at a time gives the emulator that guarantee, and lets the
table snapshots read moto's tables between two requests (`exclusive()`). A call moto lacks answers 501, in one line.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import boto3
from moto import settings as moto_settings
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from stack_model.template import LOCAL_REGION

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_sesv2.client import SESV2Client
    from mypy_boto3_sns.client import SNSClient
    from mypy_boto3_sqs.client import SQSClient

LOOPBACK = "127.0.0.1"
# Credentials the emulator accepts (while it does not enforce IAM) and nothing real does.
LOCAL_ACCESS_KEY: Final = "local"
PORT_HINT: Final = "Choose other ports with PORT_BASE=N (make dev, make drill, make digest) or --port-base N."
_SERVE_POLL_SECONDS: Final = 0.1
log = logging.getLogger("tools.local")


class PortInUseError(OSError):
    """The chosen port is taken; the message says which and how to choose another."""


class _OneRequestAtATime:
    def __init__(
        self, app: Callable[..., Iterable[bytes]], on_request: Callable[[dict[str, Any]], None] | None = None
    ) -> None:
        self._app = app
        self._on_request = on_request
        self.lock = threading.Lock()
        self.exempt_key: str | None = None  # the system's own access key skips moto's IAM checks (enforce_iam)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.lock:
            if self._on_request is not None:
                self._on_request(environ)
            exempt = self.exempt_key is not None and f"Credential={self.exempt_key}/" in environ.get(
                "HTTP_AUTHORIZATION", ""
            )
            enforced = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
            if exempt:
                moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
            try:
                return list(self._app(environ, start_response))
            except NotImplementedError as error:
                log.warning("aws emulator: not emulated, answered 501: %s", " ".join(str(error).split())[:200])
                body = json.dumps({"__type": "NotImplemented", "message": str(error)}).encode()
                start_response("501 Not Implemented", [("Content-Type", "application/json")])
                return [body]
            finally:
                if exempt:  # only then: a request to /moto-api/reset-auth changes the setting itself
                    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = enforced


class _RequestHandler(MotoRequestHandler):
    disable_nagle_algorithm = True  # servers.py says why


class AwsEmulator:
    """moto's server in a thread; `endpoint` is the URL to give boto3 (AWS_ENDPOINT_URL)."""

    def __init__(self, port: int = 0, on_request: Callable[[dict[str, Any]], None] | None = None) -> None:
        """`on_request`: called with each request's WSGI environ before it is served (`make cost` counts calls)."""
        self._port = port
        self._on_request = on_request
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._app: _OneRequestAtATime | None = None

    def start(self) -> str:
        # One access-log line per AWS call drowns the local system's own output.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        app = self._app = _OneRequestAtATime(DomainDispatcherApplication(create_backend_app), self._on_request)
        try:
            self._server = make_server(LOOPBACK, self._port, app, threaded=True, request_handler=_RequestHandler)
        except (OSError, SystemExit) as error:
            # werkzeug reports a taken port by printing and exiting; turn that into one clear error.
            raise PortInUseError(
                f"cannot serve the AWS emulator on {LOOPBACK}:{self._port}: the port is taken. {PORT_HINT}"
            ) from error
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(_SERVE_POLL_SECONDS,), name="aws-emulator", daemon=True
        )
        self._thread.start()
        return self.endpoint

    def reset(self) -> None:
        """Empties every emulated service: moto keeps its state in this process, which a test session shares."""
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST"))  # noqa: S310
        self._set_auth(None)

    def enforce_iam(self) -> None:
        """From now on every request is checked against its caller's IAM policies (actions only,
        https://docs.getmoto.org/en/latest/docs/iam.html), except the system's own (`clients()`). NOTE: not an
        administrator user: moto rejects a valid signature whose path holds an encoded character
        (`alerts%40example.com`). The enforcement is a process setting; requests run one at a time here, so lifting
        it for one request affects no other."""
        if self._app is None:
            raise RuntimeError("the emulator is not started")
        self._app.exempt_key = LOCAL_ACCESS_KEY
        self._set_auth(0)

    def _set_auth(self, unauthenticated_requests: int | None) -> None:
        """None turns moto's enforcement off."""
        count = "inf" if unauthenticated_requests is None else str(unauthenticated_requests)
        url = f"{self.endpoint}/moto-api/reset-auth"
        # text/plain: urllib's default (a form) would leave moto an empty body to read the count from
        headers = {"content-type": "text/plain"}
        request = urllib.request.Request(url, count.encode(), headers, method="POST")  # noqa: S310 (http://127.0.0.1)
        urllib.request.urlopen(request)  # noqa: S310 (http://127.0.0.1)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """No request is being served while the block runs (reading moto's tables in this process)."""
        if self._app is None:
            raise RuntimeError("the emulator is not started")
        with self._app.lock:
            yield

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return f"http://{LOOPBACK}:{self._server.server_port}"

    def stop(self) -> None:
        # Another emulator or a test of this process must not inherit IAM enforcement: the server runs in this
        # process, so the setting is lifted here directly, whether or not the server still answers.
        moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def lambda_environment(self) -> dict[str, str]:
        """What a Lambda finds in its environment besides its own variables: the emulator as its AWS, no X-Ray."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": LOCAL_REGION,
            "AWS_DEFAULT_REGION": LOCAL_REGION,
            "AWS_ACCESS_KEY_ID": LOCAL_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": LOCAL_ACCESS_KEY,
            "POWERTOOLS_TRACE_DISABLED": "true",
        }

    def clients(self) -> AwsClients:
        """The local system's own clients, configured explicitly: this process's environment belongs to the
        developer and, during an invocation, to the Lambda being run."""
        session = self._session()
        return AwsClients(
            dynamodb=session.client("dynamodb", endpoint_url=self.endpoint),
            sns=session.client("sns", endpoint_url=self.endpoint),
            sqs=session.client("sqs", endpoint_url=self.endpoint),
            sesv2=session.client("sesv2", endpoint_url=self.endpoint),
            ssm=session.client("ssm", endpoint_url=self.endpoint),
        )

    def client(self, service: str) -> Any:
        """One more client of the system's own (IAM, CloudWatch Logs)."""
        return self._session().client(service, endpoint_url=self.endpoint)  # type: ignore[call-overload]

    def _session(self) -> boto3.session.Session:
        return boto3.session.Session(
            aws_access_key_id=LOCAL_ACCESS_KEY, aws_secret_access_key=LOCAL_ACCESS_KEY, region_name=LOCAL_REGION
        )


@dataclass(frozen=True)
class AwsClients:
    """Created once, on one thread (boto3 sessions are not thread-safe; its clients are)."""

    dynamodb: DynamoDBClient
    sns: SNSClient
    sqs: SQSClient
    sesv2: SESV2Client
    ssm: Any
    """SSM (the local channels' SecureString parameters); typed Any: no mypy_boto3_ssm stubs in the lock."""
