"""Tests for the static resume site build (frontend/build.py).

Every build goes into pytest's tmp_path; the repo's frontend/dist is never touched.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from frontend import build
from frontend.build import API_META_NAME, build_site
from frontend.resume import ResumeError
from functions.common.catalog import LINK_CODE_PATTERN

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_RESUME = REPO_ROOT / "frontend" / "resume.json"
PAGE_BUDGET_BYTES = 100 * 1024


# --------------------------------------------------------------------------- helpers


class PageParser(HTMLParser):
    """Collects what the assertions need: tags with attributes and script bodies."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_bodies: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.script_bodies.append(data)

    def find(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def parse(page: str) -> PageParser:
    parser = PageParser()
    parser.feed(page)
    return parser


def sample() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SAMPLE_RESUME.read_text(encoding="utf-8"))
    return copy.deepcopy(data)


def write_resume(directory: Path, data: Any, name: str = "resume.json") -> Path:
    path = directory / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def build_page(tmp_path: Path, data: dict[str, Any]) -> str:
    dist = build_site(write_resume(tmp_path, data), tmp_path / "dist")
    return (dist / "index.html").read_text(encoding="utf-8")


def snapshot(directory: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(directory)): path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file()
    }


@pytest.fixture
def sample_dist(tmp_path: Path) -> Path:
    return build_site(SAMPLE_RESUME, tmp_path / "dist")


# --------------------------------------------------------------------------- rendering


def test_sample_resume_renders_name_job_title_and_highlight(sample_dist: Path) -> None:
    # Given the shipped sample resume, built into a fresh dist
    page = (sample_dist / "index.html").read_text(encoding="utf-8")
    data = sample()

    # Then a visitor sees the person's name as the page heading, a job title and a highlight
    assert f"<h1>{data['basics']['name']}</h1>" in page
    assert data["work"][0]["position"] in page
    assert data["work"][0]["highlights"][0] in page
    # And the assets the page links to were copied next to it
    assert {"index.html", "styles.css", "counter.js", "favicon.svg"} <= set(snapshot(sample_dist))


def test_dates_render_as_month_and_year_with_open_end_as_present(tmp_path: Path) -> None:
    # Given a job that started in April 2021 and has not ended
    data = sample()
    data["work"] = [{"name": "Acme", "position": "Engineer", "startDate": "2021-04-15"}]

    # When the site is built
    page = build_page(tmp_path, data)

    # Then the reader sees "Apr 2021 \u2013 Present", with a machine-readable date kept
    assert '<time datetime="2021-04-15">Apr 2021</time> \u2013 Present' in page


def test_resume_strings_are_html_escaped(tmp_path: Path) -> None:
    # Given resume text that contains markup and quote characters
    data = sample()
    data["basics"]["summary"] = "I <script>alert('pwned')</script> code"
    data["work"][0]["highlights"] = ['Shipped <b>bold</b> & "quoted" work']
    data["basics"]["profiles"][0]["network"] = '"><img src=x onerror=alert(1)>'

    # When the site is built
    page = build_page(tmp_path, data)

    # Then the text shows literally instead of running or becoming markup (the templates autoescape)
    assert "<script>alert" not in page
    assert "I &lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; code" in page
    assert "Shipped &lt;b&gt;bold&lt;/b&gt; &amp; &#34;quoted&#34; work" in page
    assert "<img" not in page
    assert not any(attr.startswith("on") for _, attrs in parse(page).tags for attr in attrs)


def test_sections_without_data_are_left_out(tmp_path: Path) -> None:
    # Given a resume with nothing but a name
    # When the site is built
    page = build_page(tmp_path, {"basics": {"name": "Minimal Person"}})

    # Then the page still works and shows no empty section headings or nav links
    assert "<h1>Minimal Person</h1>" in page
    assert "<h2" not in page
    assert 'href="#experience"' not in page


# --------------------------------------------------------------------------- validation


def _without_name(data: dict[str, Any]) -> None:
    del data["basics"]["name"]


def _month_13(data: dict[str, Any]) -> None:
    data["work"][1]["startDate"] = "2020-13"


def _impossible_day(data: dict[str, Any]) -> None:
    data["education"][0]["endDate"] = "2021-02-30"


def _highlights_as_string(data: dict[str, Any]) -> None:
    data["work"][0]["highlights"] = "Did many things"


def _number_as_name(data: dict[str, Any]) -> None:
    data["basics"]["name"] = 42


def _javascript_url(data: dict[str, Any]) -> None:
    data["basics"]["profiles"][1]["url"] = "javascript:alert(1)"


def _end_before_start(data: dict[str, Any]) -> None:
    data["work"][0]["endDate"] = "2019-01"


def _bad_email(data: dict[str, Any]) -> None:
    data["basics"]["email"] = "rowan at example.com"


@pytest.mark.parametrize(
    ("break_resume", "expected"),
    [
        (_without_name, "resume.json: basics.name: is required"),
        (
            _month_13,
            "resume.json: work[1].startDate: '2020-13' is not a valid date (YYYY, YYYY-MM or YYYY-MM-DD)",
        ),
        (
            _impossible_day,
            "resume.json: education[0].endDate: '2021-02-30' is not a valid date (YYYY, YYYY-MM or YYYY-MM-DD)",
        ),
        (
            _highlights_as_string,
            "resume.json: work[0].highlights: expected an array, got string ('Did many things')",
        ),
        (_number_as_name, "resume.json: basics.name: expected a string, got number (42)"),
        (
            _javascript_url,
            "resume.json: basics.profiles[1].url: 'javascript:alert(1)' is not an absolute http(s) URL",
        ),
        (
            _end_before_start,
            "resume.json: work[0].endDate: '2019-01' is before startDate '2021-04'",
        ),
        (_bad_email, "resume.json: basics.email: 'rowan at example.com' is not a valid email"),
    ],
    ids=lambda value: getattr(value, "__name__", "")[1:] or None,
)
def test_invalid_resume_fails_with_message_naming_the_field(tmp_path: Path, break_resume: Any, expected: str) -> None:
    # Given the sample resume with one field broken
    data = sample()
    break_resume(data)

    # When the site is built
    with pytest.raises(ResumeError) as caught:
        build_site(write_resume(tmp_path, data), tmp_path / "dist")

    # Then the error names the file, the JSON path and what is wrong, once
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(expected)
    # And nothing was written
    assert not (tmp_path / "dist").exists()


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    # Given a resume with two unrelated mistakes
    data = sample()
    data["work"][2]["startDate"] = "June 2016"
    data["skills"][0]["keywords"] = "AWS"

    # When the site is built
    with pytest.raises(ResumeError) as caught:
        build_site(write_resume(tmp_path, data), tmp_path / "dist")

    # Then the owner can fix both in one go
    paths = [problem.split(": ")[1] for problem in caught.value.problems]
    assert paths == ["skills[0].keywords", "work[2].startDate"]


def test_malformed_json_is_reported_with_its_position(tmp_path: Path) -> None:
    # Given a resume file with a trailing comma
    path = tmp_path / "resume.json"
    path.write_text('{"basics": {"name": "A",}}', encoding="utf-8")

    # When the site is built
    with pytest.raises(ResumeError, match=r"resume\.json: not valid JSON at line 1 column 25"):
        build_site(path, tmp_path / "dist")


def test_cli_prints_problems_and_exits_non_zero(tmp_path: Path) -> None:
    # Given a resume with an invalid month
    data = sample()
    _month_13(data)
    resume = write_resume(tmp_path, data)

    # When the owner runs the build command
    result = subprocess.run(
        [sys.executable, "-m", "frontend.build", "--resume", str(resume), "--out", str(tmp_path / "out")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    # Then it fails with the field named on stderr and writes nothing
    assert result.returncode == 1
    assert "work[1].startDate: '2020-13' is not a valid date" in result.stderr
    assert not (tmp_path / "out").exists()


def test_failed_build_leaves_previous_dist_untouched(tmp_path: Path) -> None:
    # Given a dist from a good build (with the API's address in its page)
    dist = build_site(SAMPLE_RESUME, tmp_path / "dist", api_base_url="https://api.example.com")
    before = snapshot(dist)

    # When a later build uses an invalid resume
    data = sample()
    _without_name(data)
    with pytest.raises(ResumeError):
        build_site(write_resume(tmp_path, data), dist)

    # Then the live site is byte-for-byte what it was, with nothing left beside it
    assert snapshot(dist) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["dist", "resume.json"]


def test_rebuild_replaces_dist_instead_of_merging(tmp_path: Path) -> None:
    # Given a dist that holds a file no longer produced by the build
    dist = build_site(SAMPLE_RESUME, tmp_path / "dist")
    (dist / "old-page.html").write_text("stale", encoding="utf-8")

    # When the site is rebuilt
    build_site(SAMPLE_RESUME, dist)

    # Then visitors can no longer reach the stale file
    assert not (dist / "old-page.html").exists()
    assert (dist / "index.html").is_file()


# --------------------------------------------------------------------------- output properties


def test_page_fits_the_size_budget(sample_dist: Path) -> None:
    # Given the built sample site
    # Then everything a visitor downloads stays under 100 KB
    total = sum(len(content) for content in snapshot(sample_dist).values())
    assert total < PAGE_BUDGET_BYTES, f"dist is {total} bytes"


def test_assets_load_only_from_the_site_itself(sample_dist: Path) -> None:
    # Given the built sample page
    page = parse((sample_dist / "index.html").read_text(encoding="utf-8"))

    # Then stylesheets, scripts, icons, fonts and images use relative same-origin URLs
    candidates = [attrs.get("href") for attrs in page.find("link")]
    for tag in ("script", "img", "source", "iframe"):
        candidates += [attrs.get(key) for attrs in page.find(tag) for key in ("src", "srcset")]
    asset_urls = [url for url in candidates if url is not None]
    assert asset_urls, "expected the page to link its assets"
    assert all(":" not in url and not url.startswith("//") for url in asset_urls), asset_urls
    # And the stylesheet pulls in no remote fonts or images
    css = (sample_dist / "styles.css").read_text(encoding="utf-8")
    assert "@import" not in css
    assert "url(" not in css


def test_build_is_deterministic(tmp_path: Path) -> None:
    # Given the same resume built twice into different places
    first = build_site(SAMPLE_RESUME, tmp_path / "one", api_base_url="https://api.example.com")
    second = build_site(SAMPLE_RESUME, tmp_path / "two", api_base_url="https://api.example.com")

    # Then the two sites are identical byte for byte (so deploys only change what changed)
    assert snapshot(first) == snapshot(second)


def test_page_works_under_a_strict_content_security_policy(sample_dist: Path) -> None:
    # Given the built sample page
    html_text = (sample_dist / "index.html").read_text(encoding="utf-8")
    page = parse(html_text)

    # Then no script or style is inline, so "script-src 'self'; style-src 'self'" allows all of it
    assert page.script_bodies == []
    assert page.find("style") == []
    assert not any("style" in attrs for _, attrs in page.tags)
    assert not any(attr.startswith("on") for _, attrs in page.tags for attr in attrs)
    # And the counter script does not block rendering
    assert page.find("script") == [{"src": "counter.js", "defer": None}]


def test_page_is_navigable_by_keyboard_and_screen_reader(sample_dist: Path) -> None:
    # Given the built sample page
    html_text = (sample_dist / "index.html").read_text(encoding="utf-8")
    page = parse(html_text)

    # Then it declares its language and has a working skip link as the first link
    assert page.find("html") == [{"lang": "en"}]
    first_link = page.find("a")[0]
    assert first_link["href"] == "#main"
    assert page.find("main")[0]["id"] == "main"
    # And headings never skip a level
    levels = [int(tag[1]) for tag, _ in page.tags if tag in ("h1", "h2", "h3", "h4", "h5", "h6")]
    assert levels[0] == 1
    assert levels.count(1) == 1
    assert all(later - earlier <= 1 for earlier, later in itertools.pairwise(levels))
    # And the visit counter is announced politely, hidden (no placeholder) until its figures arrive
    counter = [attrs for _, attrs in page.tags if "data-visit-counter" in attrs]
    assert len(counter) == 1
    assert counter[0]["aria-live"] == "polite"
    assert "hidden" in counter[0]
    assert '<span class="visits-count" data-visit-count></span>' in html_text


# --------------------------------------------------------------------------- the API's address


def _api_addresses(dist: Path) -> list[str | None]:
    page = parse((dist / "index.html").read_text(encoding="utf-8"))
    return [attrs.get("content") for attrs in page.find("meta") if attrs.get("name") == API_META_NAME]


def test_the_page_names_the_api_only_when_an_api_url_is_given(tmp_path: Path) -> None:
    # Given one build without and one with an API base URL
    plain = build_site(SAMPLE_RESUME, tmp_path / "plain")
    wired = build_site(SAMPLE_RESUME, tmp_path / "wired", api_base_url="https://api.example.com/prod/")

    # Then only the second page tells the counter where the API is (without a trailing slash)
    assert _api_addresses(plain) == []
    assert _api_addresses(wired) == ["https://api.example.com/prod"]
    # And there is no separate file to fetch first
    assert not (plain / "config.json").exists()
    assert not (wired / "config.json").exists()


@pytest.mark.parametrize("bad_url", ["api.example.com", "javascript:alert(1)", "https://x.example/?a=1"])
def test_unusable_api_url_is_rejected_before_anything_is_written(tmp_path: Path, bad_url: str) -> None:
    # Given an API base URL the browser could not use safely
    # When a build is asked to use it
    # Then it is refused and no dist appears
    with pytest.raises(ValueError, match="absolute http"):
        build_site(SAMPLE_RESUME, tmp_path / "dist", api_base_url=bad_url)
    assert not (tmp_path / "dist").exists()


def test_cli_builds_a_site_that_names_no_api(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Given the build command with an output dir (what `make site` runs)
    # When it runs
    code = build.main(["--out", str(tmp_path / "site")])

    # Then it succeeds, reports the size, and the page, a preview, calls no API
    assert code == 0
    assert "bytes" in capsys.readouterr().out
    assert _api_addresses(tmp_path / "site") == []


def test_without_the_visit_badge_the_page_has_no_badge_and_still_loads_the_counter(tmp_path: Path) -> None:
    # Given a build with the badge turned off (config show_visit_badge: false)
    dist = build_site(SAMPLE_RESUME, tmp_path / "dist", api_base_url="https://api.example.com", show_visit_badge=False)
    page = parse((dist / "index.html").read_text(encoding="utf-8"))
    # Then nothing on the page is the badge
    assert not [attrs for _, attrs in page.tags if "data-visit-counter" in attrs or "data-visit-count" in attrs]
    # And the page still names the API and loads the script that records the visit
    assert _api_addresses(dist) == ["https://api.example.com"]
    assert {"src": "counter.js", "defer": None} in page.find("script")


def test_the_counter_checks_a_ref_code_with_the_apis_own_pattern() -> None:
    # Given the pattern the API checks a link code against (a 400, and no count, for any other)
    # Then counter.js, which leaves a code the API would refuse out of the visit, checks the very same pattern
    script = (REPO_ROOT / "frontend" / "static" / "counter.js").read_text(encoding="utf-8")
    [pattern] = re.findall(r"var REF_PATTERN = /\^(.*)\$/;", script)
    assert pattern == LINK_CODE_PATTERN
