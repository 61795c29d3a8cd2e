"""The probe's checks, each with a fixed name (catalog.PROBE_CHECKS; what each checks: docs/alerting.md,
"Availability probe"). A failure says what was seen; an API check API Gateway's throttle refused is no failure
(`ThrottledCheck`). It never POSTs: a probe must not count as a visit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Final
from urllib.parse import urljoin, urlsplit

from functions.common import catalog
from functions.common.http import LOOPBACK_HOSTS, Answer, NoAnswerError
from functions.common.http import request as http_request
from functions.probe.expectations import origin_of, security_header_problems

COUNTER_SCRIPT: Final = "counter.js"
"""The script the page loads to show and record visits (frontend/templates)."""
MAX_SEEN_CHARS: Final = 300
"""What a failure quotes of the answer: enough to recognise it, short enough for a log line and an email."""

THROTTLED_STATUS: Final = 429
THROTTLED_MESSAGE: Final = "Too Many Requests"
"""What API Gateway answers a request its throttle refuses: 429 and the JSON body `{"message": THROTTLED_MESSAGE}`.
NOTE: "When request submissions exceed the steady-state request rate and burst limits, API Gateway begins to
throttle requests. Clients may receive 429 Too Many Requests error responses":
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html
The counter itself never answers 429, so no guard state is needed to tell a throttle from a failure; a 429 with any
other body (something else in front of the API) stays a failure."""

USER_AGENT: Final = "resume-backend-availability-probe"

Request = Callable[..., Answer]


def request(url: str, *, method: str = "GET", headers: Mapping[str, str] | None = None) -> Answer:
    return http_request(url, method=method, headers=headers, user_agent=USER_AGENT)


@dataclass(frozen=True)
class ProbeTarget:
    site_url: str
    site_origin: str
    api_url: str

    @property
    def visits_url(self) -> str:
        return self.api_url.rstrip("/") + catalog.VISITS_PATH

    @property
    def api_origin(self) -> str:
        return origin_of(self.api_url)


@dataclass(frozen=True)
class CheckFailure:
    check: str
    """One of catalog.PROBE_CHECKS."""
    response_seen: str


@dataclass(frozen=True)
class ThrottledCheck:
    """An API check API Gateway's throttle refused: the API answering under its limits, not the site failing."""

    check: str
    """One of the API checks of catalog.PROBE_CHECKS."""
    response_seen: str


@dataclass(frozen=True)
class ProbeResult:
    failures: list[CheckFailure] = field(default_factory=list)
    """In check order; empty: the site works for a visitor."""
    throttled: list[ThrottledCheck] = field(default_factory=list)


def run_probe(target: ProbeTarget, send: Request = request) -> ProbeResult:
    """Every check once: the failures and the throttled checks, in check order."""
    result = ProbeResult(_page_failures(target, send))
    _check_api(target, send, result)
    return result


def _page_failures(target: ProbeTarget, send: Request) -> list[CheckFailure]:
    try:
        page = send(target.site_url)
    except NoAnswerError as error:
        return [CheckFailure(catalog.PROBE_CHECK_SITE_PAGE, _short(str(error)))]
    if page.status != 200:
        # An error page's headers and script say nothing about the site: only the status is a finding.
        return [CheckFailure(catalog.PROBE_CHECK_SITE_PAGE, _short(f"HTTP {page.status} from {page.url}: {page.body}"))]
    failures = []
    https = urlsplit(page.url).scheme == "https"
    if not https and urlsplit(page.url).hostname not in LOOPBACK_HOSTS:
        failures.append(CheckFailure(catalog.PROBE_CHECK_SITE_PAGE, f"served over plain HTTP: {page.url}"))
    problems = security_header_problems(page.headers, api_origin=target.api_origin, https=https)
    if problems:
        failures.append(CheckFailure(catalog.PROBE_CHECK_SECURITY_HEADERS, _short("; ".join(problems))))
    if not _loads_script(page, COUNTER_SCRIPT):
        scripts = ", ".join(_scripts(page.body)) or "none"
        failures.append(
            CheckFailure(catalog.PROBE_CHECK_COUNTER_SCRIPT, _short(f"no <script src> of {COUNTER_SCRIPT}: {scripts}"))
        )
    return failures


def _check_api(target: ProbeTarget, send: Request, result: ProbeResult) -> None:
    preflight_headers = {
        "Origin": target.site_origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    checks = (
        (catalog.PROBE_CHECK_CORS_PREFLIGHT, "OPTIONS", preflight_headers),
        (catalog.PROBE_CHECK_VISITS_READ, "GET", {"Origin": target.site_origin}),
    )
    for check, method, headers in checks:
        try:
            answer = send(target.visits_url, method=method, headers=headers)
        except NoAnswerError as error:
            result.failures.append(CheckFailure(check, _short(str(error))))
            continue
        seen = f"{method} {target.visits_url}: HTTP {answer.status} {answer.body}"
        if is_throttled(answer):
            result.throttled.append(ThrottledCheck(check, _short(seen)))
            continue
        problem = _cors_problem(
            answer, target.site_origin, ok_statuses=range(200, 300) if method == "OPTIONS" else (200,)
        )
        if problem is not None:
            result.failures.append(CheckFailure(check, _short(f"{method} {target.visits_url}: {problem}")))


def is_throttled(answer: Answer) -> bool:
    """API Gateway's throttle answer (THROTTLED_STATUS with its JSON message), and nothing else."""
    if answer.status != THROTTLED_STATUS:
        return False
    try:
        body = json.loads(answer.body)
    except ValueError:
        return False
    return isinstance(body, dict) and body.get("message") == THROTTLED_MESSAGE


def _cors_problem(answer: Answer, origin: str, *, ok_statuses: range | tuple[int, ...]) -> str | None:
    allowed = answer.header("access-control-allow-origin")
    if answer.status not in ok_statuses:
        return f"HTTP {answer.status} (Access-Control-Allow-Origin {allowed!r}): {answer.body}"
    if allowed != origin:
        return f"HTTP {answer.status} with Access-Control-Allow-Origin {allowed!r}, expected {origin!r}"
    return None


class _ScriptSources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        source = dict(attrs).get("src")
        if tag == "script" and source:
            self.sources.append(source)


def _scripts(body: str) -> list[str]:
    parser = _ScriptSources()
    parser.feed(body)
    return parser.sources


def _loads_script(page: Answer, name: str) -> bool:
    """A <script src> resolving, beside the page, to `name` on the page's own origin (the CSP allows no other)."""
    for source in _scripts(page.body):
        resolved = urlsplit(urljoin(page.url, source))
        if resolved.path.rsplit("/", 1)[-1] == name and origin_of(resolved.geturl()) == origin_of(page.url):
            return True
    return False


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_SEEN_CHARS else flat[: MAX_SEEN_CHARS - 1] + "…"
