"""The availability probe against real HTTP servers on 127.0.0.1: a healthy site, and one broken each way."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator

import pytest

from functions.common import catalog
from functions.common.http import Answer, NoAnswerError
from functions.common.security_headers import CONTENT_SECURITY_POLICY
from functions.probe import app
from functions.probe.checks import (
    THROTTLED_MESSAGE,
    THROTTLED_STATUS,
    CheckFailure,
    ProbeTarget,
    run_probe,
)
from tests.support.lambda_output import emitted_metrics, log_records
from tests.support.probe_site import ProbeSite, probe_site
from tools.local.lambda_runtime.events import LocalLambdaContext


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[ProbeSite]:
    with probe_site() as (state, base):
        monkeypatch.setenv(catalog.PROBE_SITE_URL_ENV, base + "/")
        monkeypatch.setenv(catalog.PROBE_SITE_ORIGIN_ENV, base)
        monkeypatch.setenv(catalog.PROBE_API_URL_ENV, base)
        yield state


def _probe(lambda_stdout: Callable[[], str]) -> tuple[list[str], str]:
    result = app.lambda_handler({"source": "scheduler"}, LocalLambdaContext("probe", 128, 30))
    return result["failed_checks"], lambda_stdout()


def _failures_by_check(output: str) -> dict[str, float]:
    return {
        m.dimensions[catalog.PROBE_CHECK_DIMENSION]: m.value
        for m in emitted_metrics(output)
        if m.name == catalog.PROBE_FAILURES_METRIC and catalog.PROBE_CHECK_DIMENSION in m.dimensions
    }


def _total(output: str) -> float | None:
    """The run's total on {service}, or None when it published none."""
    totals = [
        m.value
        for m in emitted_metrics(output)
        if m.name == catalog.PROBE_FAILURES_METRIC
        and m.dimensions == {catalog.SERVICE_DIMENSION: catalog.PROBE_SERVICE}
    ]
    assert len(totals) <= 1
    return totals[0] if totals else None


def _failure_lines(output: str) -> dict[str, str]:
    return {
        r[catalog.PROBE_CHECK_LOG_KEY]: r[catalog.PROBE_RESPONSE_LOG_KEY]
        for r in log_records(output)
        if catalog.PROBE_CHECK_LOG_KEY in r
    }


def test_healthy_site_passes_every_check_and_publishes_no_metric(
    site: ProbeSite, lambda_stdout: Callable[[], str]
) -> None:
    # Given a site and API that answer as deployed
    # When the probe runs
    failed, output = _probe(lambda_stdout)
    # Then nothing fails and no metric is published (a custom metric is billed per hour it is published)
    assert failed == []
    assert _total(output) is None
    assert _failures_by_check(output) == {}
    # And it only read: GET the page, a preflight and GET /visits; never a POST
    assert sorted(site.requests) == sorted([("GET", "/"), ("OPTIONS", "/visits"), ("GET", "/visits")])


def test_a_site_that_hangs_past_the_probes_time_is_a_failed_probe_not_a_silent_one(
    site: ProbeSite, lambda_stdout: Callable[[], str]
) -> None:
    # Given a page that takes longer to answer than the probe may wait (its Lambda timeout, less what it keeps to
    # report: 1 s of a 4 s timeout here), but not long enough for a socket timeout
    site.page_delay_seconds = 2.5
    # When the probe runs
    result = app.lambda_handler({"source": "scheduler"}, LocalLambdaContext("probe", 128, 4))
    output = lambda_stdout()
    # Then it reports the page as failed, with what it waited for, and publishes the failure the alarm reads
    assert result["failed_checks"] == [catalog.PROBE_CHECK_SITE_PAGE]
    assert _failure_lines(output)[catalog.PROBE_CHECK_SITE_PAGE].startswith("no answer to GET http://127.0.0.1:")
    assert _total(output) == 1


def test_site_answering_500_fails_site_page_and_says_so(site: ProbeSite, lambda_stdout: Callable[[], str]) -> None:
    # Given a site answering 500
    site.page_status = 500
    # When the probe runs
    failed, output = _probe(lambda_stdout)
    # Then site_page fails (the error page's headers are not judged), named in the metric and the log line
    assert failed == [catalog.PROBE_CHECK_SITE_PAGE]
    assert _failures_by_check(output) == {catalog.PROBE_CHECK_SITE_PAGE: 1}
    assert _total(output) == 1
    assert _failure_lines(output)[catalog.PROBE_CHECK_SITE_PAGE].startswith("HTTP 500 from http://127.0.0.1:")


def test_wrong_csp_fails_security_headers(site: ProbeSite, lambda_stdout: Callable[[], str]) -> None:
    # Given a CSP that does not let the page call the API (a deploy that lost the API's origin)
    site.header_overrides[CONTENT_SECURITY_POLICY] = "default-src 'self'; connect-src 'self'"
    # When the probe runs
    failed, output = _probe(lambda_stdout)
    # Then security_headers fails, and its line quotes the directive seen
    assert failed == [catalog.PROBE_CHECK_SECURITY_HEADERS]
    assert _failures_by_check(output) == {catalog.PROBE_CHECK_SECURITY_HEADERS: 1}
    seen = _failure_lines(output)[catalog.PROBE_CHECK_SECURITY_HEADERS]
    assert "connect-src does not allow the API origin" in seen
    assert "connect-src is \"'self'\"" in seen


def test_refused_cors_origin_fails_preflight_and_read(site: ProbeSite, lambda_stdout: Callable[[], str]) -> None:
    # Given an API whose CORS allows another origin than the site's
    site.allowed_origin = "https://elsewhere.example"
    # When the probe runs
    failed, output = _probe(lambda_stdout)
    # Then both API checks fail, each with the Access-Control-Allow-Origin it saw
    assert failed == [catalog.PROBE_CHECK_CORS_PREFLIGHT, catalog.PROBE_CHECK_VISITS_READ]
    assert _total(output) == 2
    lines = _failure_lines(output)
    assert "Access-Control-Allow-Origin None" in lines[catalog.PROBE_CHECK_CORS_PREFLIGHT]
    assert lines[catalog.PROBE_CHECK_VISITS_READ].startswith("GET http://127.0.0.1:")


def test_a_read_refused_by_api_gateways_throttle_is_logged_as_throttled_not_failed(
    site: ProbeSite, lambda_stdout: Callable[[], str]
) -> None:
    # Given an API whose stage throttle refuses GET /visits, as API Gateway answers it (the guard engaged)
    site.visits_answer = (THROTTLED_STATUS, json.dumps({"message": THROTTLED_MESSAGE}))
    # When the probe runs
    failed, output = _probe(lambda_stdout)
    # Then nothing failed and no metric is published, so site-unavailable has nothing to count
    assert failed == []
    assert _total(output) is None
    assert _failure_lines(output) == {}
    # And the run says, on a line of its own, which check the throttle answered
    throttled = [r for r in log_records(output) if catalog.PROBE_THROTTLED_LOG_KEY in r]
    assert [r[catalog.PROBE_THROTTLED_LOG_KEY] for r in throttled] == [catalog.PROBE_CHECK_VISITS_READ]
    assert str(THROTTLED_STATUS) in throttled[0][catalog.PROBE_RESPONSE_LOG_KEY]


def test_a_429_that_is_not_api_gateways_throttle_still_fails_visits_read(
    site: ProbeSite, lambda_stdout: Callable[[], str]
) -> None:
    # Given GET /visits answering 429 with another body (not the stage's throttle)
    site.visits_answer = (THROTTLED_STATUS, json.dumps({"error": "rate_limited"}))
    # When the probe runs, Then visits_read fails and counts
    failed, output = _probe(lambda_stdout)
    assert failed == [catalog.PROBE_CHECK_VISITS_READ]
    assert _total(output) == 1


def test_page_without_the_counter_script_fails_counter_script(site: ProbeSite) -> None:
    site.page_body = '<html><script src="https://cdn.example/counter.js"></script></html>'
    target = ProbeTarget(site.site_origin + "/", site.site_origin, site.api_origin)
    (failure,) = run_probe(target).failures
    assert failure.check == catalog.PROBE_CHECK_COUNTER_SCRIPT
    assert "https://cdn.example/counter.js" in failure.response_seen


def test_a_site_that_is_down_fails_site_page_and_the_api_checks_still_run(site: ProbeSite) -> None:
    # Given nothing listening where the site should be
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{free.getsockname()[1]}"
    target = ProbeTarget(closed + "/", site.site_origin, site.api_origin)
    # When the probe runs
    failures = run_probe(target).failures
    # Then only site_page fails, with the reason (connection refused)
    assert [f.check for f in failures] == [catalog.PROBE_CHECK_SITE_PAGE]
    assert failures[0].response_seen.startswith(f"no answer from {closed}/")


def test_a_public_site_over_plain_http_fails_site_page() -> None:
    # Given a public (not loopback) site that answers over plain HTTP, and an API that does not answer
    target = ProbeTarget("http://resume.example/", "http://resume.example", "https://api.example")
    page = Answer("http://resume.example/", 200, {}, '<script src="counter.js"></script>')

    def send(url: str, **_: object) -> Answer:
        if url == target.site_url:
            return page
        raise NoAnswerError(url, "connection failed (ConnectionRefusedError)")

    # When the probe runs, Then site_page names the plain-HTTP URL
    failures = run_probe(target, send).failures
    assert failures[0] == CheckFailure(catalog.PROBE_CHECK_SITE_PAGE, "served over plain HTTP: http://resume.example/")


def test_the_probe_names_a_missing_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(catalog.PROBE_SITE_URL_ENV, raising=False)
    with pytest.raises(RuntimeError, match=catalog.PROBE_SITE_URL_ENV):
        app.probe_target()
