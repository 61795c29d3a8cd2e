"""`make dev` as a newcomer sees it in a browser: the site counting, the outbox, the live dashboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PageLog, screenshot
from tools.local.system import LocalSystem

pytestmark = pytest.mark.browser


def test_site_outbox_and_dashboard_pages(local_system: LocalSystem, page: tuple[Page, PageLog]) -> None:
    browser_page, log = page
    # The site shows its views and visitors
    browser_page.goto(local_system.site_origin + "/")
    expect(browser_page.locator("[data-visit-counter]")).to_have_attribute("data-state", "ready", timeout=10_000)
    assert re.fullmatch(
        r"[\d,]+ views? \u00b7 [\d,]+ visitors?", browser_page.locator("[data-visit-count]").inner_text()
    )
    screenshot(browser_page, "local-site")
    # The outbox lists the emails sent (at least the alarms' first OK notices after start-up)
    browser_page.goto(local_system.console_url + "/outbox")
    expect(browser_page.locator("h1")).to_have_text("Outbox")
    # ... and, beside the emails, what Slack and the webhook (the local sink) received
    expect(browser_page.locator("h2#slack")).to_have_text("Slack")
    expect(browser_page.locator("h2#webhook")).to_have_text("Webhook")
    screenshot(browser_page, "local-outbox")
    # The dashboard is drawn from the synthesized body with live data: every widget's title is there
    browser_page.goto(local_system.console_url + "/dashboard")
    image = browser_page.locator("img[alt='Operations dashboard']")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") > 1000
    svg = browser_page.request.get(local_system.console_url + "/dashboard.svg").text()
    for title in (
        "Visits recorded",
        "Ignored visits by reason",
        "API latency",
        "Cold starts",
        "Notifier health",
        "Alarms",
    ):
        assert title in svg
    screenshot(browser_page, "local-dashboard")
    assert log.script_errors() == []
