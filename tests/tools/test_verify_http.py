"""`make verify`'s HTTP checks (tools/verify.py) against a deployment running on this machine; they pass against the
real local system too (tests/tools/test_verify_local_system.py).

The broken deployments (CORS open to everyone, CORS missing the site, a missing or wrong security header, a CSP
that does not let the page call the API, a page naming another API) are ones the local system cannot be
configured into, so the small servers below play them: the API wraps the real counter handler on the AWS
emulator and applies CORS as HTTP APIs do; the site sends `security_headers(<the API's origin>)` and a
page naming the API, as the deploy publishes them, and knobs break either.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
import requests

from frontend.build import API_META_NAME
from functions.common import catalog
from functions.common.security_headers import (
    CONTENT_SECURITY_POLICY,
    FRAME_OPTIONS,
    STRICT_TRANSPORT_SECURITY,
    content_security_policy,
    security_headers,
)
from functions.counter import app as counter_app
from functions.probe import expectations
from stack_model.template import LocalTemplate
from tests.support.declared_tables import create_visits_table
from tools import verify
from tools.local.emulator import LOOPBACK, AwsEmulator
from tools.local.lambda_runtime.events import LocalLambdaContext, http_api_event
from tools.preflight.core import Status, report
from tools.synth import default_template

pytestmark = pytest.mark.e2e

TABLE_NAME = "visits-verify"
API_ORIGIN = "https://abc123.execute-api.eu-west-1.amazonaws.com"
OTHER_API_ORIGIN = "https://other.execute-api.eu-west-1.amazonaws.com"


@dataclass
class Knobs:
    """What a test may break in the running servers. The fixture sets the site's headers and the page's API."""

    allowed_origins: list[str] = field(default_factory=list)
    echo_any_origin: bool = False
    site_headers: dict[str, str] = field(default_factory=dict)
    # What the page's <meta name=API_META_NAME> names; None: the page has no such tag
    site_api: str | None = None
    # The site's page answers 503 this many more times (a fresh deployment still propagating)
    site_failures_left: int = 0
    site_page_requests: int = 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    knobs: Knobs


class _ApiHandler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_OPTIONS(self) -> None:
        self._answer()

    def _answer(self) -> None:
        origin = self.headers.get("Origin")
        allowed = origin is not None and (
            self.server.knobs.echo_any_origin or origin in self.server.knobs.allowed_origins
        )
        cors = {"access-control-allow-origin": origin, "vary": "origin"} if allowed and origin else {}
        # NOTE: HTTP APIs answer preflight themselves, without CORS headers for an origin they do not allow.
        if self.command == "OPTIONS" and origin and self.headers.get("Access-Control-Request-Method"):
            preflight = {"access-control-allow-methods": "GET,POST", "access-control-allow-headers": "content-type"}
            self._send(204, cors | preflight if cors else {}, b"")
            return
        length = int(self.headers.get("Content-Length") or 0)
        path, _, query = self.path.partition("?")
        event = http_api_event(
            self.command,
            path,
            body=self.rfile.read(length) if length else None,
            headers=dict(self.headers),
            query=query,
        )
        response = counter_app.lambda_handler(event, LocalLambdaContext(function_name="visit-counter"))
        self._send(response["statusCode"], response.get("headers", {}) | cors, response["body"].encode())

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the checks' lines, not the server's."""


class _SiteHandler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        knobs = self.server.knobs
        knobs.site_page_requests += 1
        if knobs.site_failures_left > 0:
            knobs.site_failures_left -= 1
            self._send(503, "text/plain", b"not yet")
            return
        api = "" if knobs.site_api is None else f'<meta name="{API_META_NAME}" content="{knobs.site_api}">'
        page = f"<!doctype html><html lang='en'><title>Resume</title>{api}<h1>Resume</h1></html>"
        self._send(200, "text/html; charset=utf-8", page.encode())

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        for name, value in (self.server.knobs.site_headers | {"Content-Type": content_type}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@dataclass
class LocalDeployment:
    api_url: str
    site_url: str
    knobs: Knobs
    servers: list[_Server]

    def stop_api(self) -> None:
        api = self.servers[0]
        api.shutdown()
        api.server_close()


def _serve(handler: type[BaseHTTPRequestHandler], knobs: Knobs) -> _Server:
    server = _Server((LOOPBACK, 0), handler)
    server.knobs = knobs
    threading.Thread(target=server.serve_forever, name=f"verify-{handler.__name__}", daemon=True).start()
    return server


@pytest.fixture(scope="module")
def visits_table() -> Iterator[str]:
    """An empty visits table on the AWS emulator, which the counter handler is pointed at."""
    emulator = AwsEmulator()
    endpoint = emulator.start()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ENDPOINT_URL", endpoint)
        env.setenv(catalog.TABLE_NAME_ENV, TABLE_NAME)
        env.setenv(catalog.MAX_VIEWS_ENV, "3")
        env.setenv(catalog.MAX_VIEWS_PER_NETWORK_ENV, "30")
        # The checks never count a visit: no origin of its stand-in site needs to be one the counter counts.
        env.setenv(catalog.ALLOWED_ORIGINS_ENV, "https://site.invalid")
        create_visits_table(boto3.client("dynamodb"), TABLE_NAME)
        counter_app.visit_counter.cache_clear()
        yield TABLE_NAME
        # The handler caches its client; later tests must not reach this emulator through it.
        counter_app.visit_counter.cache_clear()
    emulator.stop()


@pytest.fixture
def deployment(visits_table: str) -> Iterator[LocalDeployment]:
    """The API and the site, each on its own loopback port; CORS allows the site's origin only; the site sends
    the security headers naming the API's origin and a page naming the API, as the deploy writes them."""
    knobs = Knobs()
    api, site = _serve(_ApiHandler, knobs), _serve(_SiteHandler, knobs)
    api_url, site_url = f"http://{LOOPBACK}:{api.server_port}/", f"http://{LOOPBACK}:{site.server_port}/"
    target = verify.target(api_url=api_url, site_url=site_url)
    knobs.allowed_origins.append(target.site_origin)
    knobs.site_headers = security_headers(target.api_origin)
    knobs.site_api = api_url  # as the deploy writes it: the ApiUrl output, trailing slash included
    running = LocalDeployment(api_url, site_url, knobs, [api, site])
    yield running
    for server in running.servers:
        server.shutdown()
        server.server_close()


def _check(deployment: LocalDeployment) -> tuple[bool, str]:
    """Whether every HTTP check passed, and the lines `make verify` prints for them."""
    lines: list[str] = []
    results = report(
        "verify", verify.run_http_checks(verify.target(deployment.api_url, deployment.site_url)), lines.append
    )
    return all(result.status is Status.PASS for result in results), "\n".join(lines)


def test_http_checks_passes_against_a_working_deployment(deployment: LocalDeployment) -> None:
    # When the HTTP checks run against the working local deployment
    passed, output = _check(deployment)
    # Then every check passes
    assert passed, output
    assert f"verify: 0 failed, {len(verify.HTTP_CHECKS)} passed" in output
    assert "FAIL" not in output


def test_http_checks_never_records_a_visit(deployment: LocalDeployment) -> None:
    # Given the count before
    before = requests.get(f"{deployment.api_url}visits", timeout=5).json()["count"]
    # When the HTTP checks run, including their POST from a foreign origin
    assert _check(deployment)[0]
    # Then the count is unchanged: a deploy does not add a visitor
    assert requests.get(f"{deployment.api_url}visits", timeout=5).json()["count"] == before


def test_http_checks_fails_when_the_api_is_down(deployment: LocalDeployment) -> None:
    # Given the API no longer answers (its port is closed)
    deployment.stop_api()
    # When the HTTP checks run
    passed, output = _check(deployment)
    # Then it fails and says which URL it could not reach
    assert not passed
    assert f"cannot reach the API at {deployment.api_url}visits" in output


def test_http_checks_fails_when_cors_allows_a_foreign_origin(deployment: LocalDeployment) -> None:
    # Given an API whose CORS echoes any origin back
    deployment.knobs.echo_any_origin = True
    # When the HTTP checks run
    passed, output = _check(deployment)
    # Then both foreign-origin checks fail, naming the origin that was allowed
    assert not passed
    assert output.count(f"CORS allows a foreign origin: Access-Control-Allow-Origin is '{verify.FOREIGN_ORIGIN}'") == 2


def test_http_checks_fails_when_cors_does_not_allow_the_site(deployment: LocalDeployment) -> None:
    # Given an API that allows no origin at all: the site could not show the count
    deployment.knobs.allowed_origins.clear()
    # When the HTTP checks run
    # Then they fail
    assert not _check(deployment)[0]


@pytest.mark.parametrize("header", [name for name in security_headers(None) if name != STRICT_TRANSPORT_SECURITY])
def test_http_checks_fails_when_the_site_lacks_a_security_header(deployment: LocalDeployment, header: str) -> None:
    # Given a site that stopped sending one of the security headers functions/common/security_headers.py defines
    del deployment.knobs.site_headers[header]
    # When the HTTP checks run
    passed, output = _check(deployment)
    # Then it fails and names the missing header
    assert not passed
    assert f"no {header} header" in output


def test_http_checks_fails_when_a_security_header_differs_from_the_definition(deployment: LocalDeployment) -> None:
    # Given a site that allows framing by its own origin, where the one definition forbids all framing
    expected = security_headers(None)[FRAME_OPTIONS]
    deployment.knobs.site_headers[FRAME_OPTIONS] = "SAMEORIGIN"
    # When the HTTP checks run
    passed, output = _check(deployment)
    # Then it fails, naming the value it got and the one it expected
    assert not passed
    assert f"{FRAME_OPTIONS} is 'SAMEORIGIN', expected {expected!r}" in output


@pytest.mark.parametrize("connect_to", [None, OTHER_API_ORIGIN], ids=["self-only", "another-api"])
def test_http_checks_fails_when_the_csp_does_not_let_the_page_call_the_api(
    deployment: LocalDeployment, connect_to: str | None
) -> None:
    # Given a site whose CSP connect-src lacks the API under test: the fail-closed policy the hosting starts from
    # (the deploy-time publisher never ran), or one naming another deployment's API
    deployment.knobs.site_headers[CONTENT_SECURITY_POLICY] = content_security_policy(connect_to)
    # When the HTTP checks run
    passed, output = _check(deployment)
    # Then it fails: the page would load but its visit counter could never reach the API
    api_origin = verify.target(deployment.api_url, deployment.site_url).api_origin
    assert not passed
    assert f"{CONTENT_SECURITY_POLICY} connect-src does not allow the API origin {api_origin}" in output


def test_http_checks_fails_when_the_page_calls_another_api(deployment: LocalDeployment) -> None:
    # Given a site whose page names another API (a stale deploy, or another stack's)
    deployment.knobs.site_api = OTHER_API_ORIGIN
    # When the HTTP checks run
    passed, output = _check(deployment)
    # Then it fails, naming both URLs
    assert not passed
    expected = deployment.api_url.rstrip("/")
    assert f"the page calls the API at {OTHER_API_ORIGIN!r}, expected {expected!r}" in output


@pytest.mark.parametrize("site_api", [None, " "], ids=["missing", "empty"])
def test_http_checks_fails_when_the_page_names_no_api(deployment: LocalDeployment, site_api: str | None) -> None:
    # Given a site whose page has no API address (a build without one), or an empty one
    deployment.knobs.site_api = site_api
    # When the HTTP checks run
    results = verify.run_http_checks(verify.target(deployment.api_url, deployment.site_url))
    # Then exactly the site check fails, saying why the counter would show its placeholder
    assert [result.details for result in results if result.status is Status.FAIL] == [
        (f'the page names no API: expected one <meta name="{API_META_NAME}"> with a URL, found 0',)
    ]


def test_the_page_may_name_the_api_with_or_without_a_trailing_slash() -> None:
    # counter.js strips a trailing slash (frontend/static/counter.js); the ApiUrl output of HTTP APIs ends in one
    target = verify.target(api_url=f"{API_ORIGIN}/", site_url="https://site.example/")
    for named in (API_ORIGIN, f"{API_ORIGIN}/"):
        page = f'<html><head><meta name="{API_META_NAME}" content="{named}"></head></html>'
        assert verify.page_api_problems(page, target) == []


def test_connect_src_is_compared_by_origin() -> None:
    # Given a CSP whose connect-src names the API by its full URL (path and trailing slash), in upper case
    headers = security_headers(f"{API_ORIGIN.upper()}/prod/")
    # Then the API's origin counts as allowed, and every other directive still matches the definition
    assert expectations.security_header_problems(headers, api_origin=API_ORIGIN, https=True) == []
    # And a CSP allowing more than the definition (any https host) is refused, although it reaches the API
    loose = headers | {
        CONTENT_SECURITY_POLICY: headers[CONTENT_SECURITY_POLICY].replace("connect-src", "connect-src https:")
    }
    assert expectations.security_header_problems(loose, api_origin=API_ORIGIN, https=True) == [
        f"{CONTENT_SECURITY_POLICY} connect-src is \"'self' https: {API_ORIGIN}\", expected \"'self' {API_ORIGIN}\""
    ]


def test_hsts_is_required_of_an_https_site_only() -> None:
    # Given a site's headers without Strict-Transport-Security
    headers = {name: value for name, value in security_headers(API_ORIGIN).items() if name != STRICT_TRANSPORT_SECURITY}
    # Then it is a problem over HTTPS, where browsers heed it, and not over plain HTTP
    assert expectations.security_header_problems(headers, api_origin=API_ORIGIN, https=True) == [
        f"no {STRICT_TRANSPORT_SECURITY} header"
    ]
    assert expectations.security_header_problems(headers, api_origin=API_ORIGIN, https=False) == []
    assert (
        expectations.security_header_problems(
            headers | {STRICT_TRANSPORT_SECURITY: "max-age=0"}, api_origin=API_ORIGIN, https=True
        )
        != []
    )


class FakeClock:
    """Time for the retry loop: `sleep` moves it on at once (the waits are the loop's; the checks are real)."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def test_retries_until_a_fresh_deployment_answers(deployment: LocalDeployment) -> None:
    # Given a deployment whose site answers 503 twice, then works (a CDN still propagating)
    deployment.knobs.site_failures_left = 2
    clock = FakeClock()
    # When the HTTP checks may retry for 60 s
    results = verify.run_until_passed(
        verify.target(deployment.api_url, deployment.site_url), retry_seconds=60, sleep=clock.sleep, clock=clock
    )
    # Then it passes on the third attempt, two retry intervals later
    assert [result.details for result in results if result.status is Status.FAIL] == []
    assert deployment.knobs.site_page_requests == 3
    assert clock.now == 2 * verify.RETRY_INTERVAL_SECONDS


def test_gives_up_when_the_retry_time_runs_out(deployment: LocalDeployment) -> None:
    # Given a deployment whose API never answers
    deployment.stop_api()
    clock = FakeClock()
    # When the HTTP checks may retry for 12 s
    results = verify.run_until_passed(
        verify.target(deployment.api_url, deployment.site_url), retry_seconds=12, sleep=clock.sleep, clock=clock
    )
    # Then it stops with the failures after the attempts that fit (0 s, 5 s, 10 s)
    failed = [result.title for result in results if result.status is Status.FAIL]
    assert len(failed) == 3  # the count and both foreign-origin checks: each needs the API
    assert deployment.knobs.site_page_requests == 3
    assert clock.now == 2 * verify.RETRY_INTERVAL_SECONDS


def test_the_stack_outputs_name_the_api_and_site_verify_checks() -> None:
    # Given the synthesized stack's outputs (values as the local names)
    template = LocalTemplate(default_template())
    values = {
        output_id: template.resolve(output["Value"]) for output_id, output in template.template["Outputs"].items()
    }
    # When verify takes its targets from them
    target = verify.target(values[catalog.API_URL_OUTPUT], values[catalog.SITE_URL_OUTPUT])
    # Then it checks the stack's own HTTP API and its own site
    (api_id,) = template.of_type("AWS::ApiGatewayV2::Api")
    assert target.api_url.startswith(f"https://{api_id}.execute-api.")
    (site_app_id,) = template.of_type("AWS::Amplify::App")  # cdk.json's hosting
    assert site_app_id in target.site_url


@pytest.mark.parametrize(
    ("body", "is_figures"),
    [
        (b'{"count": 3, "unique_visitors": 2, "today": {"count": 1, "unique_visitors": 1}}', True),
        (b'{"count": 3}', False),  # the first version's answer
        (b'{"count": 3, "unique_visitors": 2, "today": {"count": -1, "unique_visitors": 1}}', False),
        (b'{"count": true, "unique_visitors": 2, "today": {"count": 1, "unique_visitors": 1}}', False),
        (b"not json", False),
    ],
)
def test_the_visits_check_wants_the_documented_figures(body: bytes, is_figures: bool) -> None:
    response = requests.Response()
    response.status_code = 200
    response._content = body
    assert verify._is_figures(response) is is_figures
