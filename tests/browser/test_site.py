"""The resume site in real headless Chromium, against the local counter API on another origin."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Page, expect

from frontend.build import build_site
from functions.common.security_headers import security_headers
from tests.browser.conftest import REPO, PageLog, screenshot
from tools.local.apigateway.gateway import HttpReply
from tools.local.servers import serve, static_site
from tools.local.system import LocalSystem

pytestmark = pytest.mark.browser

BADGE = "[data-visit-counter]"
COUNT = "[data-visit-count]"


def _api_figures(system: LocalSystem) -> tuple[int, int]:
    figures = requests.get(f"{system.api_url}/visits", timeout=5).json()
    return int(figures["count"]), int(figures["unique_visitors"])


def _api_count(system: LocalSystem) -> int:
    return _api_figures(system)[0]


def _shown(views: int, visitors: int) -> str:
    return f"{views:,} view{'s' * (views != 1)} \u00b7 {visitors:,} visitor{'s' * (visitors != 1)}"


def test_the_count_appears_and_a_reload_in_the_same_session_does_not_increment(
    local_system: LocalSystem, page: tuple[Page, PageLog]
) -> None:
    browser_page, log = page
    views, visitors = _api_figures(local_system)
    # When a visitor opens the site
    browser_page.goto(local_system.site_origin + "/")
    expect(browser_page.locator(BADGE)).to_have_attribute("data-state", "ready", timeout=10_000)
    # Then their visit is counted and shown with the visitors (unless this browser was already counted today)
    now_views, now_visitors = _api_figures(local_system)
    assert now_views == views + 1
    assert now_visitors in (visitors, visitors + 1)
    assert browser_page.locator(COUNT).inner_text() == _shown(now_views, now_visitors)
    screenshot(browser_page, "site-with-count")
    # And a reload in the same session reads the count without counting again
    browser_page.reload()
    expect(browser_page.locator(BADGE)).to_have_attribute("data-state", "ready", timeout=10_000)
    assert _api_count(local_system) == now_views
    # And nothing went wrong on the page, including the CSP (connect-src allows the API origin)
    assert log.script_errors() == []
    assert log.csp_violations == []


def test_the_count_arrives_with_one_request_to_the_api_and_none_for_configuration(
    local_system: LocalSystem, page: tuple[Page, PageLog]
) -> None:
    browser_page, log = page
    requested: list[str] = []
    browser_page.on("request", lambda request: requested.append(request.url))
    # When a visitor opens the site
    browser_page.goto(local_system.site_origin + "/")
    expect(browser_page.locator(BADGE)).to_have_attribute("data-state", "ready", timeout=10_000)
    # Then the count took exactly one request to the API, the page itself naming where the API is
    assert [url for url in requested if url.startswith(local_system.api_url)] == [f"{local_system.api_url}/visits"]
    # And the browser fetched no configuration first: only the page and the files it links
    site_paths = {urlsplit(url).path for url in requested if url.startswith(local_system.site_origin)}
    assert "/config.json" not in site_paths
    assert {"/", "/counter.js", "/styles.css"} <= site_paths <= {"/", "/counter.js", "/styles.css", "/favicon.svg"}
    assert log.script_errors() == []


def test_a_page_naming_no_api_keeps_the_badge_hidden_without_script_errors(
    tmp_path: Path, page: tuple[Page, PageLog]
) -> None:
    browser_page, log = page
    # Given a site built without an API address (a plain `python -m frontend.build`)
    dist = build_site(REPO / "frontend" / "resume.json", tmp_path / "dist")
    server = serve(0, static_site(dist, security_headers(None)), "site without an API")
    try:
        requested: list[str] = []
        browser_page.on("request", lambda request: requested.append(request.url))
        # When a visitor opens it
        browser_page.goto(f"http://127.0.0.1:{server.server_port}/")
        # Then the badge settles hidden, having asked nobody, and nothing broke
        expect(browser_page.locator(BADGE)).to_have_attribute("data-state", "unavailable", timeout=10_000)
        expect(browser_page.locator(BADGE)).to_be_hidden()
        assert not [url for url in requested if "/visits" in url]
        assert log.script_errors() == []
    finally:
        server.shutdown()
        server.server_close()


def test_print_layout_hides_the_counter(local_system: LocalSystem, page: tuple[Page, PageLog]) -> None:
    browser_page, _ = page
    browser_page.goto(local_system.site_origin + "/")
    expect(browser_page.locator(BADGE)).to_have_attribute("data-state", "ready", timeout=10_000)
    browser_page.emulate_media(media="print")
    expect(browser_page.locator(BADGE)).to_be_hidden()
    expect(browser_page.locator("h1")).to_be_visible()
    screenshot(browser_page, "site-print")


def _slow_api(delay_seconds: float) -> Callable[..., HttpReply]:
    def route(method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        time.sleep(delay_seconds)
        return HttpReply(200, {"content-type": "application/json", "access-control-allow-origin": "*"}, b'{"count":1}')

    return route


def test_a_failed_visit_is_sent_again_with_the_same_visit_id_on_the_next_page_view(
    site_with_api: Callable[..., str], page: tuple[Page, PageLog]
) -> None:
    browser_page, log = page
    # Given an API that answers the first POST 503 (the visit may not have been counted) and then 200
    posted: list[bytes] = []

    def route(method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        cors = {"content-type": "application/json", "access-control-allow-origin": "*"}
        if method == "POST":
            posted.append(body)
            if len(posted) == 1:
                return HttpReply(503, cors | {"retry-after": "2"}, b'{"error":"store_unavailable","message":"m"}')
        return HttpReply(200, cors, b'{"count":1234,"unique_visitors":567,"today":{"count":1,"unique_visitors":1}}')

    api = serve(0, route, "flaky API")
    try:
        url = site_with_api(f"http://127.0.0.1:{api.server_port}")
        # When the visitor opens the page, sees no badge, and opens it again in the same session
        browser_page.goto(url)
        expect(browser_page.locator(BADGE)).to_have_attribute("data-state", "unavailable", timeout=10_000)
        expect(browser_page.locator(BADGE)).to_be_hidden()
        browser_page.reload()
        expect(browser_page.locator(BADGE)).to_have_attribute("data-state", "ready", timeout=10_000)
        # Then the second page view sent the same visit again (same visit_id), and the figures show
        visit_ids = [json.loads(body)["visit_id"] for body in posted]
        assert len(visit_ids) == 2
        assert visit_ids[0] == visit_ids[1]
        assert browser_page.locator(COUNT).inner_text() == "1,234 views \u00b7 567 visitors"
        # And a third page view only reads
        browser_page.reload()
        expect(browser_page.locator(BADGE)).to_have_attribute("data-state", "ready", timeout=10_000)
        assert len(posted) == 2
        assert log.script_errors() == []
    finally:
        api.shutdown()
        api.server_close()


def test_with_the_api_unreachable_the_badge_stays_hidden_and_the_page_has_no_script_errors(
    site_with_api: Callable[..., str], page: tuple[Page, PageLog]
) -> None:
    browser_page, log = page
    # Given the API's port has nobody listening
    url = site_with_api("http://127.0.0.1:9")
    browser_page.goto(url)
    # Then the badge settles hidden: no placeholder, nothing in its place
    expect(browser_page.locator(BADGE)).to_have_attribute("data-state", "unavailable", timeout=10_000)
    expect(browser_page.locator(BADGE)).to_be_hidden()
    assert log.script_errors() == []
    screenshot(browser_page, "site-api-down")


def test_with_a_slow_api_the_counter_times_out_and_the_badge_stays_hidden(
    site_with_api: Callable[..., str], page: tuple[Page, PageLog]
) -> None:
    browser_page, log = page
    slow = serve(0, _slow_api(6.0), "slow API")
    try:
        url = site_with_api(f"http://127.0.0.1:{slow.server_port}")
        started = time.monotonic()
        browser_page.goto(url)
        expect(browser_page.locator(BADGE)).to_have_attribute("data-state", "unavailable", timeout=10_000)
        expect(browser_page.locator(BADGE)).to_be_hidden()
        # Then the visitor waited a few seconds, not the API's six
        assert time.monotonic() - started < 5.5
        assert log.script_errors() == []
    finally:
        slow.shutdown()
        slow.server_close()
