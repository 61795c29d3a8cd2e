"""Where a reader came from, and the résumé's download, as real headless Chromium sends them to a stub API on another
origin that records every POST body: the referrer reduced to its origin, a valid ?ref= code, one download POST.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PageLog, screenshot
from tools.local.apigateway.gateway import HttpReply
from tools.local.servers import serve

pytestmark = pytest.mark.browser

BADGE = "[data-visit-counter]"
DOWNLOAD = "[data-resume-download]"
SETTLED = 10_000  # ms Playwright waits for the badge to settle; the counter's own deadline is 3 s
POST_ARRIVES_SECONDS = 10.0
"""How long a test waits for a POST the page sent without waiting for its answer (the download's keepalive)."""
CORS = {"content-type": "application/json", "access-control-allow-origin": "*"}
FIGURES = b'{"count":1234,"unique_visitors":567,"today":{"count":1,"unique_visitors":1}}'


@dataclass
class RecordingApi:
    """Answers /visits with figures; keeps each POST's JSON body."""

    posted: list[dict[str, Any]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    url: str = ""

    def route(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        if method == "POST":
            with self.arrived:
                self.posted.append(json.loads(body))
                self.arrived.notify_all()
        return HttpReply(200, CORS, FIGURES)

    def views(self) -> list[dict[str, Any]]:
        return [body for body in self.posted if body.get("kind") != "download"]

    def downloads(self) -> list[dict[str, Any]]:
        return [body for body in self.posted if body.get("kind") == "download"]

    def wait_for_downloads(self, count: int) -> list[dict[str, Any]]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.downloads()) >= count, timeout=POST_ARRIVES_SECONDS)
        return self.downloads()


@pytest.fixture
def recording_api() -> Iterator[RecordingApi]:
    api = RecordingApi()
    server = serve(0, api.route, "recording API")
    api.url = f"http://127.0.0.1:{server.server_port}"
    yield api
    server.shutdown()
    server.server_close()


@pytest.fixture
def site(site_with_api: Callable[..., str], recording_api: RecordingApi) -> str:
    """The site with its résumé PDF, built to call the recording API."""
    return site_with_api(recording_api.url, resume_pdf=True)


def _open(page: Page, url: str, *, referer: str | None = None) -> None:
    page.goto(url, referer=referer) if referer else page.goto(url)
    expect(page.locator(BADGE)).to_have_attribute("data-state", "ready", timeout=SETTLED)


def test_a_reader_from_linkedin_is_posted_with_linkedins_origin_only(
    site: str, recording_api: RecordingApi, page: tuple[Page, PageLog]
) -> None:
    browser_page, log = page
    # When a reader follows a link in LinkedIn's feed, whose address carries a path and a tracking query
    _open(browser_page, site, referer="https://www.linkedin.com/feed/?trk=abc")
    # Then the one visit POSTed says where they came from, and nothing of the path or the query
    [visit] = recording_api.posted
    assert visit["referrer"] == "https://www.linkedin.com"
    assert set(visit) == {"visit_id", "referrer"}
    assert "feed" not in json.dumps(recording_api.posted)
    assert log.script_errors() == []


def test_a_direct_visit_posts_an_empty_referrer(
    site: str, recording_api: RecordingApi, page: tuple[Page, PageLog]
) -> None:
    browser_page, _ = page
    # When a reader types the address (no referrer)
    _open(browser_page, site)
    # Then the visit says so, and the API counts it as direct
    [visit] = recording_api.posted
    assert visit["referrer"] == ""


def test_an_application_link_posts_its_code_in_lower_case(
    site: str, recording_api: RecordingApi, page: tuple[Page, PageLog]
) -> None:
    browser_page, _ = page
    # When a reader opens the link the owner pasted into an application, typed in mixed case
    _open(browser_page, site + "?ref=Acme-2026")
    # Then the visit carries the code as the API accepts it
    [visit] = recording_api.posted
    assert visit["ref"] == "acme-2026"


@pytest.mark.parametrize("bad_ref", ["-acme", "acme_2026", "a" * 41, "acme%202026", ""])
def test_a_code_the_api_would_refuse_is_left_out_and_the_view_still_counts(
    site: str, recording_api: RecordingApi, page: tuple[Page, PageLog], bad_ref: str
) -> None:
    browser_page, _ = page
    # When the page is opened with a ?ref= the API answers with 400 (and would not count the view)
    _open(browser_page, f"{site}?ref={bad_ref}")
    # Then the visit is sent without it, and counted (the badge shows the figures)
    [visit] = recording_api.posted
    assert "ref" not in visit
    assert set(visit) == {"visit_id", "referrer"}


def test_the_download_link_downloads_the_pdf_and_posts_one_download_of_this_visit(
    site: str, recording_api: RecordingApi, page: tuple[Page, PageLog], tmp_path: Path
) -> None:
    browser_page, log = page
    _open(browser_page, site + "?ref=acme-2026")
    link = browser_page.locator(DOWNLOAD)
    # Given a link a reader can find by its name
    expect(browser_page.get_by_role("link", name="Download résumé")).to_be_visible()
    screenshot(browser_page, "site-with-download-link")
    # When they click it
    with browser_page.expect_download() as downloading:
        link.click()
    download = downloading.value
    # Then the browser saves the résumé's PDF under its owner's name
    assert download.suggested_filename == "rowan-achterberg-resume.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    # And the API got one download, marked as such and sent with this view's visit id, and nothing else
    [posted] = recording_api.wait_for_downloads(1)
    [view] = recording_api.views()
    assert posted == {"visit_id": view["visit_id"], "kind": "download"}
    assert log.script_errors() == []
    assert log.csp_violations == []


def test_a_second_click_in_the_same_page_view_posts_no_second_download(
    site: str, recording_api: RecordingApi, page: tuple[Page, PageLog]
) -> None:
    browser_page, _ = page
    _open(browser_page, site)
    link = browser_page.locator(DOWNLOAD)
    # When the reader clicks the link twice
    for _ in range(2):
        with browser_page.expect_download():
            link.click()
    recording_api.wait_for_downloads(1)
    # And then opens the page again (a GET, sent after whatever the clicks sent)
    _open(browser_page, site)
    time.sleep(0.5)  # a second download POST, had one been sent, is on a connection of its own
    # Then one download was posted: the API counts a visitor's download once a day anyway
    assert len(recording_api.downloads()) == 1


def test_the_download_link_is_left_out_of_the_print(site: str, page: tuple[Page, PageLog]) -> None:
    browser_page, _ = page
    _open(browser_page, site)
    browser_page.emulate_media(media="print")
    expect(browser_page.locator(DOWNLOAD)).to_be_hidden()
