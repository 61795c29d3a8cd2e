"""The visit badge in real headless Chromium, against stub APIs on another origin: sized to what it shows, hidden
until the figures arrive and whenever the API fails, absent with `show_visit_badge` off while the visit still counts.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PageLog, screenshot
from tools.local.apigateway.gateway import HttpReply
from tools.local.servers import serve

pytestmark = pytest.mark.browser

BADGE = "[data-visit-counter]"
COUNT = "[data-visit-count]"
SETTLED = 10_000  # ms Playwright waits for the badge to settle; the counter's own deadline is 3 s
CORS = {"content-type": "application/json", "access-control-allow-origin": "*"}


@dataclass
class StubApi:
    """Answers /visits with `figures` (or `status`), after `release` is set; records each request's method."""

    figures: Mapping[str, int] = field(default_factory=lambda: {"count": 1234, "unique_visitors": 567})
    status: int = 200
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)
    methods: list[str] = field(default_factory=list)
    url: str = ""

    def route(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        self.methods.append(method)
        self.arrived.set()
        self.release.wait(timeout=30)
        if self.status != 200:
            return HttpReply(self.status, CORS, b'{"message":"Internal Server Error"}')
        return HttpReply(200, CORS, json.dumps({**self.figures, "today": {"count": 1, "unique_visitors": 1}}).encode())


@pytest.fixture
def stub_api() -> Iterator[Callable[..., StubApi]]:
    servers = []

    def start(*, answered: bool = True, **fields: object) -> StubApi:
        api = StubApi(**fields)  # type: ignore[arg-type]
        if answered:
            api.release.set()
        server = serve(0, api.route, "stub API")
        servers.append(server)
        api.url = f"http://127.0.0.1:{server.server_port}"
        return api

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _layout_shift(page: Page) -> float:
    """The page's cumulative layout shift so far, as Chromium reports it (what Lighthouse's CLS sums)."""
    return float(
        page.evaluate(
            """() => new Promise((resolve) => {
                new PerformanceObserver((list) => resolve(
                    list.getEntries().reduce((sum, entry) => sum + entry.value, 0)
                )).observe({type: "layout-shift", buffered: true});
                setTimeout(() => resolve(0), 500);
            })"""
        )
    )


def _text_width(page: Page) -> float:
    """The width the count's text itself takes (a Range around it), whatever box holds it."""
    script = """(el) => {
        const range = document.createRange();
        range.selectNodeContents(el);
        return range.getBoundingClientRect().width;
    }"""
    return float(page.locator(COUNT).evaluate(script))


def _root_font_size(page: Page) -> float:
    return float(page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)"))


@contextmanager
def _held_open(api: StubApi) -> Iterator[None]:
    try:
        yield
    finally:
        api.release.set()


def test_the_badge_shows_the_count_sized_to_its_content_and_shifts_nothing(
    site_with_api: Callable[..., str], stub_api: Callable[..., StubApi], page: tuple[Page, PageLog]
) -> None:
    browser_page, log = page
    widths = {}
    # Given two APIs, one with small figures and one with large ones
    for name, figures in (
        ("small", {"count": 1, "unique_visitors": 1}),
        ("large", {"count": 1234567, "unique_visitors": 89012}),
    ):
        api = stub_api(figures=figures)
        # When the page is opened against each
        browser_page.goto(site_with_api(api.url))
        badge = browser_page.locator(BADGE)
        expect(badge).to_have_attribute("data-state", "ready", timeout=SETTLED)
        # Then the badge shows the figures
        expect(badge).to_be_visible()
        count = browser_page.locator(COUNT).inner_text()
        assert count == ("1 view \u00b7 1 visitor" if name == "small" else "1,234,567 views \u00b7 89,012 visitors")
        widths[name] = badge.bounding_box()["width"]  # type: ignore[index]
        # And around the text there is only the icon, a gap and the padding (under 3 rem): no room kept for longer
        # figures (a 26-character minimum width used to add some 5 rem to "1 view · 1 visitor")
        assert widths[name] - _text_width(browser_page) < 3 * _root_font_size(browser_page)
        # And its arrival moved nothing on the page (no layout shift to cost the visitor or Lighthouse)
        assert _layout_shift(browser_page) == 0
        if name == "small":
            screenshot(browser_page, "site-badge-loaded")
    # And it is as wide as what it shows, not a fixed pill
    assert widths["small"] < widths["large"]
    assert log.script_errors() == []


def test_the_badge_is_hidden_while_the_count_is_on_its_way(
    site_with_api: Callable[..., str], stub_api: Callable[..., StubApi], page: tuple[Page, PageLog]
) -> None:
    browser_page, log = page
    # Given an API that holds its answer until the test lets it go
    api = stub_api(answered=False)
    url = site_with_api(api.url)
    with _held_open(api):
        browser_page.goto(url)
        # When the request has reached the API and is not answered yet
        assert api.arrived.wait(timeout=10)
        badge = browser_page.locator(BADGE)
        # Then the badge is hidden: no placeholder, no empty pill
        expect(badge).to_have_attribute("data-state", "loading")
        expect(badge).to_be_hidden()
    # And once the API answers, the figures show
    expect(badge).to_have_attribute("data-state", "ready", timeout=SETTLED)
    expect(badge).to_be_visible()
    assert log.script_errors() == []


def test_the_badge_stays_hidden_when_the_api_answers_500(
    site_with_api: Callable[..., str], stub_api: Callable[..., StubApi], page: tuple[Page, PageLog]
) -> None:
    browser_page, log = page
    api = stub_api(status=500)
    browser_page.goto(site_with_api(api.url))
    badge = browser_page.locator(BADGE)
    expect(badge).to_have_attribute("data-state", "unavailable", timeout=SETTLED)
    expect(badge).to_be_hidden()
    assert _layout_shift(browser_page) == 0
    assert log.script_errors() == []
    screenshot(browser_page, "site-badge-failed")


def test_with_the_badge_off_the_page_shows_none_and_still_counts_the_visit(
    site_with_api: Callable[..., str], stub_api: Callable[..., StubApi], page: tuple[Page, PageLog]
) -> None:
    browser_page, log = page
    # Given a site built with show_visit_badge off
    api = stub_api()
    url = site_with_api(api.url, show_visit_badge=False)
    # When a visitor opens it
    browser_page.goto(url)
    # Then the visit is recorded (one POST), and the page has no badge at all
    assert api.arrived.wait(timeout=10)
    expect(browser_page.locator(BADGE)).to_have_count(0)
    assert api.methods == ["POST"]
    screenshot(browser_page, "site-badge-off")
    # And a reload in the same session asks the API nothing: there is neither a visit to record nor a badge to fill
    browser_page.reload()
    browser_page.wait_for_load_state("networkidle")
    assert api.methods == ["POST"]
    assert log.script_errors() == []
