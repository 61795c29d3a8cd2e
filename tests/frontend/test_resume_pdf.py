"""The résumé as a PDF (frontend/pdf.py): printed by the real headless Chromium, linked from the page, reproducible.

Every build goes into pytest's tmp_path. The PDF's text is read back with the standard library: Chromium (Skia)
writes each font's glyph-to-Unicode map and shows text as hex glyph ids, which is all `_pdf_text` decodes.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from frontend import build
from frontend.build import build_site, site_size
from frontend.pdf import CHROME_PATH_ENV, FIXED_PDF_DATE, PdfUnavailableError, pdf_file_name
from frontend.resume import load_resume

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_RESUME = REPO_ROOT / "frontend" / "resume.json"
PAGE_BUDGET_BYTES = 100 * 1024
PDF_BUDGET_BYTES = 200 * 1024
"""A one-page résumé with its fonts embedded; a reader on a phone should not think twice before downloading it."""


def _pdf_text_string(value: bytes) -> str:
    """A PDF string as Chromium writes /Title: UTF-16BE in hex with a byte-order mark, or a literal."""
    if value.startswith(b"<FEFF"):
        return bytes.fromhex(value[5:-1].decode()).decode("utf-16-be")
    return value[1:-1].decode("latin-1")


def _title(pdf: bytes) -> str:
    match = re.search(rb"/Title (<[0-9A-F]+>|\([^)]*\))", pdf)
    assert match, "the PDF has no title"
    return _pdf_text_string(match[1])


_OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)endobj", re.S)
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_TEXT_OPERATION = re.compile(rb"/(F\d+) [\d.]+ Tf|<([0-9A-Fa-f]+)>|ET")


def _stream(body: bytes) -> bytes:
    match = _STREAM.search(body)
    return zlib.decompress(match[1]) if match else b""


def _to_unicode(cmap: bytes) -> dict[int, str]:
    glyphs: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
        for glyph, text in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            glyphs[int(glyph, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
        for first, last, text in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            for offset, glyph in enumerate(range(int(first, 16), int(last, 16) + 1)):
                glyphs[glyph] = chr(int(text, 16) + offset)
    return glyphs


def _pdf_text(pdf: bytes) -> str:
    """The text Chromium printed, in the order it drew it (not reading order), runs of whitespace as one space."""
    objects = {int(number): body for number, body in _OBJECT.findall(pdf)}
    unicode_of = {
        number: _to_unicode(_stream(objects[int(cmap[1])]))
        for number, body in objects.items()
        if (cmap := re.search(rb"/ToUnicode (\d+) 0 R", body))
    }
    fonts = {
        name.decode(): int(ref) for body in objects.values() for name, ref in re.findall(rb"/(F\d+) (\d+) 0 R", body)
    }
    text: list[str] = []
    for body in objects.values():
        if not (content := _stream(body) if b"/Filter /FlateDecode" in body else b"") or b" Tf" not in content:
            continue
        glyphs: dict[int, str] = {}
        for operation in _TEXT_OPERATION.finditer(content):
            if operation[1]:
                glyphs = unicode_of.get(fonts.get(operation[1].decode(), -1), {})
            elif operation[2]:
                ids = operation[2].decode()
                text.append("".join(glyphs.get(int(ids[i : i + 4], 16), "?") for i in range(0, len(ids), 4)))
            else:
                text.append("\n")
    return " ".join(unicodedata.normalize("NFKC", "".join(text)).split())  # NFKC: the "ﬂ" ligature is "fl"


def _page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page(?![a-zA-Z])", pdf))


@pytest.fixture(scope="module")
def printed_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_site(SAMPLE_RESUME, tmp_path_factory.mktemp("site") / "dist", resume_pdf=True)


def test_the_build_prints_the_resume_to_a_one_page_pdf_named_for_its_owner(printed_site: Path) -> None:
    resume = load_resume(SAMPLE_RESUME)
    name = resume["basics"]["name"]
    # Given the sample resume built with its PDF
    pdf = (printed_site / "rowan-achterberg-resume.pdf").read_bytes()
    # Then it is a PDF of one page (the sample fits one, docs/frontend.md "Print")
    assert pdf.startswith(b"%PDF-")
    assert _page_count(pdf) == 1
    # And it is this resume: its name, title and first highlight in the text; no counter or download link (the
    # printed page has neither), no skip link (the print stylesheet hides it)
    text = _pdf_text(pdf)
    assert name in text
    assert resume["basics"]["label"] in text
    assert " ".join(resume["work"][0]["highlights"][0].split()) in text
    assert "Download" not in text
    assert "visitors" not in text
    assert "Skip to content" not in text
    # And titled with the name, its email and profile links live
    assert _title(pdf).startswith(name)
    assert f"/URI (mailto:{resume['basics']['email']})".encode() in pdf
    assert all(f"/URI ({profile['url']})".encode() in pdf for profile in resume["basics"]["profiles"])
    # And it says nothing of when or where it was built
    assert re.findall(rb"/CreationDate \(([^)]*)\)", pdf) == [FIXED_PDF_DATE]
    assert b"file:" not in pdf


def test_the_page_links_the_pdf_for_download_with_its_size(printed_site: Path) -> None:
    page = (printed_site / "index.html").read_text(encoding="utf-8")
    size = (printed_site / "rowan-achterberg-resume.pdf").stat().st_size
    link = re.search(r'<p class="download"><a ([^>]*)>.*?</a></p>', page)
    assert link, "no download link on the page"
    # Then the link names the file, asks the browser to save it, and says what it is and how big
    assert 'href="rowan-achterberg-resume.pdf" download type="application/pdf" data-resume-download' in link[1]
    assert re.sub(r"<[^>]+>", "", link[0]) == f"Download résumé (PDF, {-(-size // 1024)} KB)"


def test_two_builds_give_byte_identical_pdfs(printed_site: Path, tmp_path: Path) -> None:
    # Given a second build of the same resume, seconds later
    again = build_site(SAMPLE_RESUME, tmp_path / "dist", resume_pdf=True)
    # Then every file, the PDF included, has the same bytes: the deploy asset's hash does not change
    files = sorted(path.name for path in printed_site.iterdir())
    assert files == sorted(path.name for path in again.iterdir())
    assert all((printed_site / name).read_bytes() == (again / name).read_bytes() for name in files)


def test_the_page_stays_within_its_budget_and_the_pdf_within_its_own(printed_site: Path) -> None:
    pdf = printed_site / "rowan-achterberg-resume.pdf"
    # Then what the page loads stays under 100 KB; the PDF, fetched only when asked for, under its own cap
    assert site_size(printed_site) - pdf.stat().st_size < PAGE_BUDGET_BYTES
    assert pdf.stat().st_size < PDF_BUDGET_BYTES


def test_printing_the_pdf_records_no_visit_on_the_api(tmp_path: Path) -> None:
    # Given an API that records every request it gets
    requests: list[str] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.command)
            self.send_response(200)
            self.end_headers()

        do_POST = do_OPTIONS = do_GET  # noqa: N815

        def log_message(self, format: str, *args: object) -> None:
            return

    api = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    try:
        # When the site is built for that API, its PDF printed by a browser that runs the page's script
        build_site(
            SAMPLE_RESUME, tmp_path / "dist", api_base_url=f"http://127.0.0.1:{api.server_port}", resume_pdf=True
        )
    finally:
        api.shutdown()
        api.server_close()
    # Then the build visited nothing: the printed page names no API
    assert requests == []


@pytest.fixture
def no_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CHROME_PATH_ENV, str(tmp_path / "no-chromium-here"))


@pytest.mark.usefixtures("no_chromium")
def test_without_chromium_a_build_asking_for_the_pdf_fails_and_leaves_dist_as_it_was(tmp_path: Path) -> None:
    # Given a built site
    dist = build_site(SAMPLE_RESUME, tmp_path / "dist")
    before = {path.name: path.read_bytes() for path in dist.iterdir()}
    # When a build that needs the PDF runs where no Chromium can be found
    # Then it says what is missing and how to install it, and the site is untouched
    with pytest.raises(PdfUnavailableError, match="apt-get install chromium"):
        build_site(SAMPLE_RESUME, dist, resume_pdf=True)
    assert {path.name: path.read_bytes() for path in dist.iterdir()} == before


@pytest.mark.usefixtures("no_chromium")
def test_without_chromium_the_cli_builds_the_page_without_the_link_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # When `make site` runs where no Chromium can be found
    code = build.main(["--out", str(tmp_path / "site")])
    # Then the page is built, with no PDF and no link to one, and the reason is printed once
    assert code == 0
    assert not list((tmp_path / "site").glob("*.pdf"))
    assert "data-resume-download" not in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert capsys.readouterr().err.count("building without the PDF and its download link") == 1


def test_the_cli_builds_the_pdf(tmp_path: Path) -> None:
    # When `make site` runs where Chromium is installed
    assert build.main(["--out", str(tmp_path / "site")]) == 0
    # Then the site has the résumé's PDF
    assert [path.name for path in (tmp_path / "site").glob("*.pdf")] == ["rowan-achterberg-resume.pdf"]


@pytest.mark.parametrize(
    ("name", "file_name"),
    [
        ("Rowan Achterberg", "rowan-achterberg-resume.pdf"),
        ("Zoë O'Neil-Smith, PhD", "zoe-o-neil-smith-phd-resume.pdf"),
        ("李小龍", "resume.pdf"),
        ("  ", "resume.pdf"),
    ],
)
def test_the_pdf_is_named_for_the_resume_in_plain_ascii(name: str, file_name: str) -> None:
    assert pdf_file_name({"basics": {"name": name}}) == file_name
