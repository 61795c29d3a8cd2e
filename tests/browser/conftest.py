"""Real headless Chromium (Debian's package) driven by Playwright; screenshots go to artifacts/ (not committed)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from frontend.build import build_site
from functions.common.security_headers import security_headers
from tools.local.servers import serve, static_site

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "artifacts" / "screenshots"
# Without these, Chromium tries Google's services at start and on this closed network fails noisily.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    assert Path(executable).exists(), (
        "install Debian's chromium (make browser, part of make test, does): apt-get install chromium"
    )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@dataclass
class PageLog:
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def script_errors(self) -> list[str]:
        # NOTE: Chromium itself reports every failed request ("Failed to load resource: ...") as a console error;
        # those are the network's, not the page's, and the tests that take the API down expect them.
        return [m for m in self.console_errors if "Failed to load resource" not in m] + self.page_errors


@pytest.fixture
def page(browser: Browser) -> Iterator[tuple[Page, PageLog]]:
    """A fresh browser context (its own sessionStorage) with console, script errors and CSP violations recorded."""
    # NOTE: headless Chromium says "HeadlessChrome" in its User-Agent, which the counter rightly ignores as a
    # crawler (functions/counter/crawlers.py); the tests browse as the same Chromium does with a window.
    user_agent = (
        f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{browser.version} Safari/537.36"
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900}, user_agent=user_agent)
    opened = context.new_page()
    log = PageLog()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            log.console_errors.append(message.text)
            if "Content Security Policy" in message.text:
                log.csp_violations.append(message.text)

    opened.on("console", on_console)
    opened.on("pageerror", lambda error: log.page_errors.append(str(error)))
    yield opened, log
    context.close()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def site_with_api(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Serves the built site, with the hosting's security headers, against a chosen API URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(api_url: str, *, show_visit_badge: bool = True, resume_pdf: bool = False) -> str:
        dist = build_site(
            REPO / "frontend" / "resume.json",
            tmp_path / f"dist{len(servers)}",
            api_base_url=api_url,
            show_visit_badge=show_visit_badge,
            resume_pdf=resume_pdf,
        )
        server = serve(0, static_site(dist, security_headers(api_url)), "test site")
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


from tests.support.local_system import local_system, one_synth_per_context  # noqa: E402, F401 - fixtures, found by name
