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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import boto3
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from stack_model.template import LOCAL_REGION

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.client import CloudWatchClient
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_sesv2.client import SESV2Client
    from mypy_boto3_sns.client import SNSClient
    from mypy_boto3_sqs.client import SQSClient

LOOPBACK = "127.0.0.1"
# Credentials the emulator accepts and nothing real does.
LOCAL_ACCESS_KEY: Final = "local"


class PortInUseError(OSError):
    """The chosen port is taken; the message says which and how to choose another."""


class _OneRequestAtATime:
    def __init__(
        self, app: Callable[..., Iterable[bytes]], on_request: Callable[[dict[str, Any]], None] | None = None
    ) -> None:
        self._app = app
        self._on_request = on_request
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            if self._on_request is not None:
                self._on_request(environ)
            return list(self._app(environ, start_response))


class AwsEmulator:
    """moto's server in a thread; `endpoint` is the URL to give boto3 (AWS_ENDPOINT_URL)."""

    def __init__(self, port: int = 0, on_request: Callable[[dict[str, Any]], None] | None = None) -> None:
        """`on_request`: called with each request's WSGI environ before it is served (e.g. to count the calls a
        Lambda makes: `make cost` counts DynamoDB operations by their X-Amz-Target header)."""
        self._port = port
        self._on_request = on_request
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        # One access-log line per AWS call drowns the local system's own output.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        app = _OneRequestAtATime(DomainDispatcherApplication(create_backend_app), self._on_request)
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

    def lambda_environment(self) -> dict[str, str]:
        """What a Lambda finds in its environment locally besides its own variables: the emulator as its AWS
        (AWS_ENDPOINT_URL, a region, credentials) and no X-Ray daemon."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_REGION": LOCAL_REGION,
            "AWS_DEFAULT_REGION": LOCAL_REGION,
            "AWS_ACCESS_KEY_ID": LOCAL_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": LOCAL_ACCESS_KEY,
            "POWERTOOLS_TRACE_DISABLED": "true",
        }

    def clients(self) -> AwsClients:
        """The local system's own clients of the emulator, configured explicitly: nothing is read from (or
        written to) this process's environment, which belongs to the developer and, during an invocation, to
        the Lambda being run (tools/local/lambda_runtime/runtime.py)."""
        session = boto3.session.Session(
            aws_access_key_id=LOCAL_ACCESS_KEY, aws_secret_access_key=LOCAL_ACCESS_KEY, region_name=LOCAL_REGION
        )
        return AwsClients(
            dynamodb=session.client("dynamodb", endpoint_url=self.endpoint),
            sns=session.client("sns", endpoint_url=self.endpoint),
            sqs=session.client("sqs", endpoint_url=self.endpoint),
            sesv2=session.client("sesv2", endpoint_url=self.endpoint),
            cloudwatch=session.client("cloudwatch", endpoint_url=self.endpoint),
            ssm=session.client("ssm", endpoint_url=self.endpoint),
        )


@dataclass(frozen=True)
class AwsClients:
    """Created once, on one thread (boto3 sessions are not thread-safe; its clients are)."""

    dynamodb: DynamoDBClient
    sns: SNSClient
    sqs: SQSClient
    sesv2: SESV2Client
    cloudwatch: CloudWatchClient
    ssm: Any
    """SSM (the local channels' SecureString parameters); typed Any: no mypy_boto3_ssm stubs in the lock."""
