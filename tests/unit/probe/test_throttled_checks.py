"""The probe under API Gateway's throttle: a 429 with the throttle's own answer is the API answering under its
limits (the throttle guard engaged during a spike), not the site failing; anything else stays a failure.

The checks run for real; only the transport is swapped for answers shaped as the site and API send them (the same
checks against real HTTP servers: tests/integration/probe/)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

import pytest

from functions.common import catalog
from functions.common.http import Answer, NoAnswerError
from functions.common.security_headers import security_headers
from functions.probe import app
from functions.probe.checks import (
    THROTTLED_MESSAGE,
    THROTTLED_STATUS,
    ProbeTarget,
    ThrottledCheck,
    run_probe,
)
from tests.support.lambda_output import emitted_metrics, log_records

SITE = "https://resume.example"
API = "https://api.example"
TARGET = ProbeTarget(site_url=f"{SITE}/", site_origin=SITE, api_url=API)
PAGE = Answer(
    f"{SITE}/",
    200,
    {name.lower(): value for name, value in security_headers(API).items()},
    '<html><head><script src="counter.js" defer></script></head></html>',
)
THROTTLE_BODY = json.dumps({"message": THROTTLED_MESSAGE})
FIGURES = json.dumps({"count": 7, "unique_visitors": 3})

Send = Callable[..., Answer]


def _api(read: tuple[int, str] | Exception, preflight: tuple[int, str] | None = None) -> Send:
    """The site answers as deployed; the API's GET /visits (and its preflight, when given) as told."""

    def send(url: str, *, method: str = "GET", headers: Mapping[str, str] | None = None) -> Answer:
        if url == TARGET.site_url:
            return PAGE
        cors = {"access-control-allow-origin": SITE}
        answer = preflight if method == "OPTIONS" else read
        if answer is None:
            return Answer(url, 204, cors, "")
        if isinstance(answer, Exception):
            raise answer
        return Answer(url, answer[0], cors, answer[1])

    return send


def test_a_read_answered_by_the_throttle_is_throttled_not_failed() -> None:
    # Given the stage's throttle refusing GET /visits, as API Gateway answers it
    send = _api(read=(THROTTLED_STATUS, THROTTLE_BODY))
    # When the probe runs
    result = run_probe(TARGET, send)
    # Then no check failed, and the read is reported as throttled with what was seen
    assert result.failures == []
    assert [t.check for t in result.throttled] == [catalog.PROBE_CHECK_VISITS_READ]
    assert f"HTTP {THROTTLED_STATUS}" in result.throttled[0].response_seen


def test_a_throttled_preflight_is_throttled_too() -> None:
    send = _api(read=(200, FIGURES), preflight=(THROTTLED_STATUS, THROTTLE_BODY))
    result = run_probe(TARGET, send)
    assert result.failures == []
    assert [t.check for t in result.throttled] == [catalog.PROBE_CHECK_CORS_PREFLIGHT]


@pytest.mark.parametrize(
    ("read", "why"),
    [
        ((THROTTLED_STATUS, json.dumps({"error": "rate_limited"})), "a 429 with another body"),
        ((THROTTLED_STATUS, "<html>Too Many Requests</html>"), "a 429 that is not JSON"),
        ((500, json.dumps({"message": "Internal Server Error"})), "the API failing"),
        ((503, THROTTLE_BODY), "the throttle's words with another status"),
        (NoAnswerError(f"{API}/visits", "connection failed (ConnectionRefusedError)"), "no answer at all"),
    ],
)
def test_anything_but_the_throttles_answer_still_fails_visits_read(read: tuple[int, str] | Exception, why: str) -> None:
    # Given the API answering GET /visits some other way than API Gateway's throttle
    result = run_probe(TARGET, _api(read=read))
    # Then visits_read fails, as a real outage must
    assert [f.check for f in result.failures] == [catalog.PROBE_CHECK_VISITS_READ], why
    assert result.throttled == []


def test_a_stopped_site_fails_even_while_the_api_is_throttled() -> None:
    # Given the page unreachable and the API throttled
    throttled_api = _api(read=(THROTTLED_STATUS, THROTTLE_BODY))

    def send(url: str, **kwargs: object) -> Answer:
        if url == TARGET.site_url:
            raise NoAnswerError(url, "connection failed (ConnectionRefusedError)")
        return throttled_api(url, **kwargs)

    # When the probe runs, Then the page's failure counts whatever the API's throttle says
    result = run_probe(TARGET, send)
    assert [f.check for f in result.failures] == [catalog.PROBE_CHECK_SITE_PAGE]
    assert [t.check for t in result.throttled] == [catalog.PROBE_CHECK_VISITS_READ]


def test_a_throttled_check_is_logged_on_its_own_key_and_publishes_no_metric(
    lambda_stdout: Callable[[], str],
) -> None:
    # Given a run whose only finding is a throttled read
    throttled = ThrottledCheck(catalog.PROBE_CHECK_VISITS_READ, f"GET {API}/visits: HTTP 429 {THROTTLE_BODY}")
    # When the probe records it
    app.record([], [throttled])
    app.metrics.flush_metrics()
    output = lambda_stdout()
    # Then no ProbeFailures is published (site-unavailable has nothing to count)
    assert [m for m in emitted_metrics(output) if m.name == catalog.PROBE_FAILURES_METRIC] == []
    # And the line says which check the throttle answered, without the failure key the notifier and dashboard read
    records = log_records(output)
    (line,) = [r for r in records if catalog.PROBE_THROTTLED_LOG_KEY in r]
    assert line[catalog.PROBE_THROTTLED_LOG_KEY] == catalog.PROBE_CHECK_VISITS_READ
    assert line["level"] == "INFO"
    assert line[catalog.PROBE_RESPONSE_LOG_KEY] == throttled.response_seen
    assert not [r for r in records if catalog.PROBE_CHECK_LOG_KEY in r]
