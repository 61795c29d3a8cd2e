"""The post-deploy smoke test: proves over HTTP, as a visitor's browser sees it, that a deployment works.

    python -m tools.smoke --stack-outputs cdk-outputs.json   # after `cdk deploy --outputs-file cdk-outputs.json`
    python -m tools.smoke --api-url URL --site-url URL

Checks: the site answers 200 with the security headers of functions/common/security_headers.py, its CSP `connect-src`
allowing the API's origin, and a page that names the API under test; GET /visits answers a count and
CORS allows the site's origin; a foreign origin is refused by CORS, both for a preflight and for an actual POST.
It never records a visit: the foreign POST carries a body the counter refuses (400) before it counts anything.
Exit status: 0 when every check passed, 1 when one failed, 2 for bad arguments or an unusable outputs file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import requests

from frontend.build import API_META_NAME
from functions.common import catalog

# The header checks are shared with the availability probe, which runs on Lambda and cannot import infra/.
from functions.probe.expectations import origin_of, security_header_problems

# RFC 2606 reserves .invalid: no real site can ever have this origin, so no CORS rule may allow it.
FOREIGN_ORIGIN: Final = "https://smoke-test.invalid"
# Not JSON, so the counter answers 400 before counting; text/plain keeps the POST a CORS "simple request",
# the kind a foreign page can send without a preflight.
NOT_A_VISIT_BODY: Final = "smoke test: not a visit"
CONNECT_TIMEOUT_SECONDS: Final = 5.0
READ_TIMEOUT_SECONDS: Final = 10.0
RETRY_INTERVAL_SECONDS: Final = 5.0
EXIT_CHECK_FAILED: Final = 1
EXIT_USAGE: Final = 2
_TIMEOUT: Final = (CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)


class UsageError(ValueError):
    """The smoke test cannot start (bad arguments); the message says what to fix. Exit status 2."""


class OutputsError(UsageError):
    """The stack outputs file cannot give the URLs; the message says which file and what is missing."""


@dataclass(frozen=True)
class Target:
    api_url: str
    site_url: str

    @property
    def visits_url(self) -> str:
        return self.api_url.rstrip("/") + catalog.VISITS_PATH

    @property
    def site_origin(self) -> str:
        return origin_of(self.site_url)

    @property
    def api_origin(self) -> str:
        """What the site's CSP must allow the page to call: `scheme://host[:port]`, no path."""
        return origin_of(self.api_url)

    @property
    def api_base_url(self) -> str:
        """What the site's page must name (counter.js strips a trailing slash, frontend/static/counter.js)."""
        return self.api_url.rstrip("/")


@dataclass(frozen=True)
class CheckResult:
    """One line of the smoke test (and of `make verify`): what was checked, the problems found (none: a pass), the
    fix for them, and, for a check that means nothing where it ran, why it was skipped."""

    name: str
    problems: tuple[str, ...] = ()
    fix: str = ""
    skipped: str = ""

    @property
    def passed(self) -> bool:
        return not self.problems


def result_lines(results: Sequence[CheckResult]) -> list[str]:
    lines = []
    for result in results:
        lines.append(f"{'SKIP' if result.skipped else 'PASS' if result.passed else 'FAIL'}  {result.name}")
        lines += [f"      - {problem}" for problem in (*result.problems, *filter(None, [result.skipped]))]
        if not result.passed and result.fix:
            lines.append(f"      fix: {result.fix}")
    return lines


def check_site(session: requests.Session, target: Target) -> CheckResult:
    name = f"site answers 200 with its security headers, CSP allowing the API, its page naming it ({target.site_url})"
    try:
        response = session.get(target.site_url, timeout=_TIMEOUT)
    except requests.RequestException as error:
        return CheckResult(name, (f"cannot reach the site at {target.site_url}: {_reason(error)}",))
    problems = []
    if response.status_code != 200:
        problems.append(f"answered {response.status_code}, expected 200")
    problems += security_header_problems(
        response.headers, api_origin=target.api_origin, https=urlsplit(response.url).scheme == "https"
    )
    if response.status_code == 200:
        problems += page_api_problems(response.text, target)
    return CheckResult(name, tuple(problems))


class _ApiAddresses(HTMLParser):
    """The content of each <meta name=API_META_NAME> in a page (frontend/templates/index.html)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "meta" and named.get("name") == API_META_NAME:
            self.found.append(named.get("content") or "")


def page_api_problems(page: str, target: Target) -> list[str]:
    """What is wrong with the API address the page's visit counter calls (empty: it names the API under test)."""
    parser = _ApiAddresses()
    parser.feed(page)
    addresses = [address for address in parser.found if address.strip()]
    if len(addresses) != 1:
        found = len(addresses)
        return [f'the page names no API: expected one <meta name="{API_META_NAME}"> with a URL, found {found}']
    named = addresses[0]
    if named.rstrip("/") != target.api_base_url:
        return [f"the page calls the API at {named!r}, expected {target.api_base_url!r}: another API"]
    return []


def _is_figures(response: requests.Response) -> bool:
    """The answer of GET /visits (docs/api/openapi.yaml, Figures)."""

    def counts(value: object) -> bool:
        return isinstance(value, dict) and all(
            isinstance(value.get(key), int) and not isinstance(value.get(key), bool) and value[key] >= 0
            for key in ("count", "unique_visitors")
        )

    try:
        body = response.json()
    except ValueError:
        return False
    return counts(body) and counts(body.get("today"))


def check_visits(session: requests.Session, target: Target) -> CheckResult:
    name = f"GET {catalog.VISITS_PATH} answers the count to the site's origin ({target.visits_url})"
    try:
        response = session.get(target.visits_url, headers={"Origin": target.site_origin}, timeout=_TIMEOUT)
    except requests.RequestException as error:
        return CheckResult(name, (f"cannot reach the API at {target.visits_url}: {_reason(error)}",))
    if response.status_code != 200:
        return CheckResult(name, (f"answered {response.status_code}, expected 200: {response.text[:200]!r}",))
    problems = []
    if not _is_figures(response):
        problems.append(
            'body is not {"count": n, "unique_visitors": n, "today": {"count": n, "unique_visitors": n}} '
            f"of whole numbers: {response.text[:200]!r}"
        )
    allowed = response.headers.get("access-control-allow-origin")
    if allowed != target.site_origin:
        problems.append(
            f"CORS does not allow the site's origin {target.site_origin}: Access-Control-Allow-Origin is {allowed!r}"
        )
    return CheckResult(name, tuple(problems))


def check_foreign_preflight(session: requests.Session, target: Target) -> CheckResult:
    name = f"CORS preflight for a POST from a foreign origin is refused ({FOREIGN_ORIGIN})"
    headers = {
        "Origin": FOREIGN_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    try:
        response = session.options(target.visits_url, headers=headers, timeout=_TIMEOUT)
    except requests.RequestException as error:
        return CheckResult(name, (f"cannot reach the API at {target.visits_url}: {_reason(error)}",))
    return CheckResult(name, tuple(_foreign_origin_allowed(response)))


def check_foreign_post(session: requests.Session, target: Target) -> CheckResult:
    name = f"a POST from a foreign origin gets no CORS permission ({FOREIGN_ORIGIN})"
    headers = {"Origin": FOREIGN_ORIGIN, "Content-Type": "text/plain"}
    try:
        response = session.post(target.visits_url, data=NOT_A_VISIT_BODY, headers=headers, timeout=_TIMEOUT)
    except requests.RequestException as error:
        return CheckResult(name, (f"cannot reach the API at {target.visits_url}: {_reason(error)}",))
    problems = _foreign_origin_allowed(response)
    if response.status_code < 300 or response.status_code >= 500:
        problems.append(
            f"answered {response.status_code} to a body the counter must refuse with 400"
            + (" (a visit may have been recorded)" if response.status_code < 300 else "")
        )
    return CheckResult(name, tuple(problems))


CHECKS: Final[Sequence[Callable[[requests.Session, Target], CheckResult]]] = (
    check_site,
    check_visits,
    check_foreign_preflight,
    check_foreign_post,
)


def run_checks(target: Target) -> list[CheckResult]:
    with _new_session() as session:
        return [check(session, target) for check in CHECKS]


def run_until_passed(
    target: Target,
    *,
    retry_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[CheckResult]:
    """Runs the checks, again every few seconds while some fail, for up to `retry_seconds` (0: once).
    A fresh deployment can take a little while to answer everywhere (CDN, hosting)."""
    deadline = clock() + retry_seconds
    while True:
        results = run_checks(target)
        failing = sum(not result.passed for result in results)
        if not failing or clock() + RETRY_INTERVAL_SECONDS > deadline:
            return results
        print(f"{failing} check(s) failing; trying again in {RETRY_INTERVAL_SECONDS:g} s", file=sys.stderr)
        sleep(RETRY_INTERVAL_SECONDS)


def stack_outputs_from_file(path: Path, stack_name: str | None = None) -> dict[str, str]:
    """The outputs of the app's stack in a `cdk deploy --outputs-file` file ({stack: {output: value}})."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise OutputsError(f"cannot read stack outputs from {path}: {error}") from error
    if not isinstance(data, dict):
        raise OutputsError(f"{path} is not a `cdk deploy --outputs-file` file (expected {{stack: {{output: value}}}})")
    stacks = {name: outputs for name, outputs in data.items() if isinstance(outputs, dict)}
    if stack_name is not None:
        if stack_name not in stacks:
            raise OutputsError(f"{path} has no stack {stack_name!r}; it has {sorted(stacks)}")
        return {str(key): str(value) for key, value in stacks[stack_name].items()}
    with_api = [name for name, outputs in stacks.items() if catalog.API_URL_OUTPUT in outputs]
    if len(with_api) != 1:
        raise OutputsError(
            f"{path}: expected exactly one stack with an {catalog.API_URL_OUTPUT} output, found {with_api or 'none'}; "
            "name it with --stack-name"
        )
    return {str(key): str(value) for key, value in stacks[with_api[0]].items()}


def report(results: Sequence[CheckResult]) -> str:
    lines = result_lines(results)
    failed = sum(not result.passed for result in results)
    lines.append(f"smoke test {'failed' if failed else 'passed'}: {len(results) - failed} passed, {failed} failed")
    return "\n".join(lines)


def markdown_summary(results: Sequence[CheckResult]) -> str:
    """The GitHub Actions run summary (written when GITHUB_STEP_SUMMARY is set)."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    rows = [
        f"| {'✅' if result.passed else '❌'} | {cell(result.name)} | {cell('; '.join(result.problems) or 'ok')} |"
        for result in results
    ]
    return "\n".join(["### Smoke test", "", "| | check | result |", "| --- | --- | --- |", *rows, ""])


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        target = target_from(args.stack_outputs, args.stack_name, api_url=args.api_url, site_url=args.site_url)
    except UsageError as error:
        print(f"smoke test cannot start: {error}", file=sys.stderr)
        return EXIT_USAGE
    results = run_until_passed(target, retry_seconds=args.retry_seconds)
    print(report(results))
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        with open(summary_path, "a", encoding="utf-8") as summary:
            summary.write(markdown_summary(results))
    return 0 if all(result.passed for result in results) else EXIT_CHECK_FAILED


def target_from(
    stack_outputs: Path | None, stack_name: str | None, *, api_url: str | None, site_url: str | None
) -> Target:
    """The URLs under test: the flags, else the stack outputs. UsageError says what is missing or malformed."""
    outputs = stack_outputs_from_file(stack_outputs, stack_name) if stack_outputs is not None else {}
    urls = {
        "api-url": api_url or outputs.get(catalog.API_URL_OUTPUT, ""),
        "site-url": site_url or outputs.get(catalog.SITE_URL_OUTPUT, ""),
    }
    output_ids = {"api-url": catalog.API_URL_OUTPUT, "site-url": catalog.SITE_URL_OUTPUT}
    missing = [f"--{flag} (or the {output_ids[flag]} output)" for flag, url in urls.items() if not url]
    if missing:
        source = f" in {stack_outputs}" if stack_outputs else ""
        raise UsageError(f"no {' and no '.join(missing)}{source}")
    for flag, url in urls.items():
        if not _is_http_url(url):
            raise UsageError(f"--{flag} {url!r} is not an http(s) URL")
    return Target(api_url=urls["api-url"], site_url=urls["site-url"])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.smoke", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack-outputs", type=Path, help="`cdk deploy --outputs-file` JSON to read the URLs from")
    parser.add_argument("--stack-name", help="the stack to read in --stack-outputs (default: the one with ApiUrl)")
    parser.add_argument("--api-url", help=f"base URL of the API (default: the {catalog.API_URL_OUTPUT} output)")
    parser.add_argument("--site-url", help=f"URL of the site (default: the {catalog.SITE_URL_OUTPUT} output)")
    parser.add_argument(
        "--retry-seconds", type=float, default=0.0, help="keep retrying failing checks this long (default: 0, once)"
    )
    return parser


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port that is not a number raises here, not in the middle of a check
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _new_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = "resume-backend-smoke-test"
    return session


def _foreign_origin_allowed(response: requests.Response) -> list[str]:
    allowed = response.headers.get("access-control-allow-origin")
    if allowed is not None and allowed.strip() in ("*", FOREIGN_ORIGIN):
        return [f"CORS allows a foreign origin: Access-Control-Allow-Origin is {allowed!r} for {FOREIGN_ORIGIN}"]
    return []


def _reason(error: requests.RequestException) -> str:
    # requests wraps urllib3's error in layers; the innermost one says what happened (e.g. connection refused).
    inner: BaseException = error
    while inner.__context__ is not None and inner.__context__ is not inner:
        inner = inner.__context__
    return f"{type(error).__name__}: {str(inner)[:200]}"


if __name__ == "__main__":
    sys.exit(main())
