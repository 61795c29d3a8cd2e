"""The post-deploy smoke test: proves over HTTP, as a visitor's browser sees it, that a deployment works.

    python -m infra.smoke --stack-outputs cdk-outputs.json   # after `cdk deploy --outputs-file cdk-outputs.json`
    python -m infra.smoke --api-url URL --site-url URL

Checks: the site answers 200 with its security headers; GET /visits answers a count and CORS allows the site's
origin; a foreign origin is refused by CORS, both for a preflight and for an actual POST. It never records a
visit: the foreign POST carries a body the counter refuses (400) before it counts anything.
Exit status: 0 when every check passed, 1 when one failed, 2 for bad arguments or an unusable outputs file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import requests

# Maintenance: the output ids of infra/stack.py (SiteUrl comes with the hosting); tests/e2e/test_smoke.py
# checks they agree.
API_URL_OUTPUT: Final = "ApiUrl"
SITE_URL_OUTPUT: Final = "SiteUrl"
VISITS_PATH: Final = "/visits"

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
_MAX_AGE: Final = re.compile(r"max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


class OutputsError(ValueError):
    """The stack outputs file cannot give the URLs; the message says which file and what is missing."""


@dataclass(frozen=True)
class Target:
    api_url: str
    site_url: str

    @property
    def visits_url(self) -> str:
        return self.api_url.rstrip("/") + VISITS_PATH

    @property
    def site_origin(self) -> str:
        parts = urlsplit(self.site_url)
        return f"{parts.scheme}://{parts.netloc}".lower()


@dataclass(frozen=True)
class CheckResult:
    name: str
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems


def security_header_problems(headers: Mapping[str, str], *, https: bool) -> list[str]:
    """What the site's response lacks of the security headers it must send (empty when it has them all)."""
    lowered = {name.lower(): value.strip() for name, value in headers.items()}
    csp = lowered.get("content-security-policy", "")
    problems = []
    if not csp:
        problems.append("no Content-Security-Policy header")
    if lowered.get("x-content-type-options", "").lower() != "nosniff":
        problems.append("X-Content-Type-Options is not 'nosniff'")
    if lowered.get("x-frame-options", "").upper() not in ("DENY", "SAMEORIGIN") and "frame-ancestors" not in csp:
        problems.append("no framing protection (X-Frame-Options DENY/SAMEORIGIN or CSP frame-ancestors)")
    if not lowered.get("referrer-policy"):
        problems.append("no Referrer-Policy header")
    # NOTE: browsers ignore HSTS received over plain HTTP (RFC 6797 §8.1), so only an https site must send it.
    max_age = _MAX_AGE.search(lowered.get("strict-transport-security", ""))
    if https and (max_age is None or int(max_age[1]) <= 0):
        problems.append("no Strict-Transport-Security header with a positive max-age")
    return problems


def check_site(session: requests.Session, target: Target) -> CheckResult:
    name = f"site answers 200 with its security headers ({target.site_url})"
    try:
        response = session.get(target.site_url, timeout=_TIMEOUT)
    except requests.RequestException as error:
        return CheckResult(name, (f"cannot reach the site at {target.site_url}: {_reason(error)}",))
    problems = []
    if response.status_code != 200:
        problems.append(f"answered {response.status_code}, expected 200")
    problems += security_header_problems(response.headers, https=urlsplit(response.url).scheme == "https")
    return CheckResult(name, tuple(problems))


def check_visits(session: requests.Session, target: Target) -> CheckResult:
    name = f"GET {VISITS_PATH} answers the count to the site's origin ({target.visits_url})"
    try:
        response = session.get(target.visits_url, headers={"Origin": target.site_origin}, timeout=_TIMEOUT)
    except requests.RequestException as error:
        return CheckResult(name, (f"cannot reach the API at {target.visits_url}: {_reason(error)}",))
    if response.status_code != 200:
        return CheckResult(name, (f"answered {response.status_code}, expected 200: {response.text[:200]!r}",))
    problems = []
    try:
        count = response.json().get("count")
    except (ValueError, AttributeError):
        count = None
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        problems.append(f'body is not {{"count": <whole number>}}: {response.text[:200]!r}')
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
    with_api = [name for name, outputs in stacks.items() if API_URL_OUTPUT in outputs]
    if len(with_api) != 1:
        raise OutputsError(
            f"{path}: expected exactly one stack with an {API_URL_OUTPUT} output, found {with_api or 'none'}; "
            "name it with --stack-name"
        )
    return {str(key): str(value) for key, value in stacks[with_api[0]].items()}


def report(results: Sequence[CheckResult]) -> str:
    lines = []
    for result in results:
        lines.append(f"{'PASS' if result.passed else 'FAIL'}  {result.name}")
        lines.extend(f"      - {problem}" for problem in result.problems)
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
    parser = argparse.ArgumentParser(prog="python -m infra.smoke", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack-outputs", type=Path, help="`cdk deploy --outputs-file` JSON to read the URLs from")
    parser.add_argument("--stack-name", help="the stack to read in --stack-outputs (default: the one with ApiUrl)")
    parser.add_argument("--api-url", help=f"base URL of the API (default: the {API_URL_OUTPUT} output)")
    parser.add_argument("--site-url", help=f"URL of the site (default: the {SITE_URL_OUTPUT} output)")
    parser.add_argument(
        "--retry-seconds", type=float, default=0.0, help="keep retrying failing checks this long (default: 0, once)"
    )
    args = parser.parse_args(argv)

    outputs: dict[str, str] = {}
    if args.stack_outputs is not None:
        try:
            outputs = stack_outputs_from_file(args.stack_outputs, args.stack_name)
        except OutputsError as error:
            print(f"smoke test cannot start: {error}", file=sys.stderr)
            return EXIT_USAGE
    api_url: str = args.api_url or outputs.get(API_URL_OUTPUT, "")
    site_url: str = args.site_url or outputs.get(SITE_URL_OUTPUT, "")
    missing = [
        f"--{flag} (or the {output} output)"
        for flag, output, value in (("api-url", API_URL_OUTPUT, api_url), ("site-url", SITE_URL_OUTPUT, site_url))
        if not value
    ]
    if missing:
        source = f" in {args.stack_outputs}" if args.stack_outputs else ""
        print(f"smoke test cannot start: no {' and no '.join(missing)}{source}", file=sys.stderr)
        return EXIT_USAGE
    for flag, url in (("api-url", api_url), ("site-url", site_url)):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            print(f"smoke test cannot start: --{flag} {url!r} is not an http(s) URL", file=sys.stderr)
            return EXIT_USAGE

    results = run_until_passed(Target(api_url=api_url, site_url=site_url), retry_seconds=args.retry_seconds)
    print(report(results))
    summary_path = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        with open(summary_path, "a", encoding="utf-8") as summary:
            summary.write(markdown_summary(results))
    return 0 if all(result.passed for result in results) else EXIT_CHECK_FAILED


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
