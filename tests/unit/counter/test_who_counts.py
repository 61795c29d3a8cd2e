"""Only browsers on the site's own pages count, and one address counts at most the network's daily limit: real
User-Agent strings through the real handler on moto; the browser check agrees with the maintained parser."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from ua_parser import Domain
from ua_parser.basic import Resolver
from ua_parser_builtins.lazy import MATCHERS

from functions.common import catalog
from functions.counter import browsers, crawlers
from tests.support.lambda_output import emitted_metrics
from tests.unit.counter.conftest import CHROME, MAX_NETWORK_VIEWS, SITE_ORIGIN, Invoke

BROWSERS = {
    "chrome": CHROME,
    "firefox": "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "safari": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.1 Safari/605.1.15"
    ),
    "edge": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
        "Safari/537.36 Edg/131.0.2903.86"
    ),
    "mobile-safari": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.1 Mobile/15E148 Safari/604.1"
    ),
    "samsung-internet": (
        "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36"
    ),
    "chrome-android": (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
        "Mobile Safari/537.36"
    ),
}
SCRIPTS = {
    "curl": "curl/8.5.0",
    "postman": "PostmanRuntime/7.39.0",
    "java": "Java/17.0.10",
    "node-fetch": "node",
    "node-undici": "undici",
    "powershell": "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.19045; en-US) PowerShell/7.4.2",
    "windows-powershell": "Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.3803",
    "python-requests": "python-requests/2.32.3",
    "pagespeed": (
        "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse"
    ),
    "notifier": "resume-backend-alarm-notifier/1",
    "x": "x",
    "wget": "Wget/1.21.4",
    "go": "Go-http-client/2.0",
    "okhttp": "okhttp/4.12.0",
    "bare-mozilla": "Mozilla/5.0",
}


def _post(invoke: Invoke, *, ua: str, ip: str = "198.51.100.40", **headers: str) -> dict[str, object]:
    response = invoke("POST", source_ip=ip, headers={"user-agent": ua, **headers})
    assert response["statusCode"] == 200, response
    answer: dict[str, object] = json.loads(response["body"])
    return answer


@pytest.mark.parametrize("user_agent", BROWSERS.values(), ids=BROWSERS.keys())
def test_browsers_count(invoke: Invoke, user_agent: str) -> None:
    # Given a reader's browser on the site / When it posts a visit / Then it counts
    answer = _post(invoke, ua=user_agent, origin=SITE_ORIGIN)
    assert (answer["counted"], answer["count"]) == (True, 1)


@pytest.mark.parametrize("user_agent", SCRIPTS.values(), ids=SCRIPTS.keys())
def test_scripts_and_tools_do_not_count_and_are_told_why(
    invoke: Invoke, lambda_stdout: Callable[[], str], user_agent: str
) -> None:
    # Given a client that is not a browser / When it posts a visit
    answer = _post(invoke, ua=user_agent)
    # Then it is answered the figures, not counted, with the reason
    assert answer["count"] == 0
    assert answer["counted"] is False
    assert answer["reason"] in (catalog.IGNORED_NOT_A_BROWSER, catalog.IGNORED_CRAWLER)
    reasons = [m.dimensions.get(catalog.IGNORE_REASON_DIMENSION) for m in emitted_metrics(lambda_stdout())]
    assert answer["reason"] in reasons


def test_a_post_from_a_foreign_origin_does_not_count(invoke: Invoke) -> None:
    # Given a browser on another site's page (CORS hides the answer from that page; the POST still arrives)
    answer = _post(invoke, ua=CHROME, origin="https://elsewhere.example.net")
    # Then nothing is counted, and the answer says why
    assert (answer["counted"], answer.get("reason"), answer["count"]) == (False, catalog.IGNORED_FOREIGN_ORIGIN, 0)
    # And a browser on the site itself still counts
    assert _post(invoke, ua=CHROME, origin=SITE_ORIGIN, ip="198.51.100.41")["counted"] is True


def test_rotating_user_agents_from_one_address_count_at_most_the_network_limit(
    invoke: Invoke, lambda_stdout: Callable[[], str]
) -> None:
    # Given one address sending 50 POSTs, each with another (real-looking) browser User-Agent: 50 visitors
    answers = [_post(invoke, ua=f"{CHROME} rotation/{i}", ip="203.0.113.9") for i in range(50)]
    # Then no more than the network's daily limit count
    assert sum(1 for answer in answers if answer["counted"]) == MAX_NETWORK_VIEWS
    assert answers[-1]["count"] == MAX_NETWORK_VIEWS
    assert {answer.get("reason") for answer in answers[MAX_NETWORK_VIEWS:]} == {catalog.IGNORED_OVER_NETWORK_LIMIT}
    # And another address is not affected
    assert _post(invoke, ua=CHROME, ip="203.0.113.10")["counted"] is True


def test_the_browser_check_agrees_with_the_parser_on_every_documented_user_agent() -> None:
    # Given the parser itself, and the 2,000+ example User-Agents of the crawler list, with ours
    resolver = Resolver(MATCHERS)  # type: ignore[arg-type]  # the parser's own rules, typed as their subclasses
    entries = json.loads(crawlers.patterns_path().read_text(encoding="utf-8"))
    examples = sorted({ua for entry in entries for ua in entry.get("instances", [])})
    examples += [*BROWSERS.values(), *SCRIPTS.values()]

    def parsed(ua: str) -> str | None:
        agent = resolver(ua, Domain.USER_AGENT).user_agent
        return None if agent is None else agent.family

    # Then our reading of its rules names the same family for each
    assert [ua for ua in examples if browsers.browser_family(ua) != parsed(ua)] == []


def test_a_rule_is_never_skipped_for_a_user_agent_it_matches() -> None:
    # Given every rule with the texts the check requires before trying it, and real User-Agents
    entries = json.loads(crawlers.patterns_path().read_text(encoding="utf-8"))
    examples = sorted({ua for entry in entries for ua in entry.get("instances", [])})
    examples += [*BROWSERS.values(), *SCRIPTS.values()]
    skipped_wrongly = [
        (regex, ua)
        for regex, _, required in browsers.compact_rules()
        for ua in examples
        if re.search(regex, ua) and not all(any(text in ua for text in choice) for choice in required)
    ]
    # Then wherever a rule matches, its required texts are there: skipping never changes the answer
    assert skipped_wrongly == []
    # And nearly every rule has such texts (what keeps the check from compiling the whole list)
    assert sum(1 for *_, required in browsers.compact_rules() if not required) < 10
