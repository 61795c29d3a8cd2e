"""Build the static resume site from a JSON Resume file.

Usage: python -m frontend.build [--resume PATH] [--out DIR] [--api-base-url URL] [--no-visit-badge] [--no-pdf]

The build validates the resume (frontend/resume.py), renders frontend/templates/ with Jinja2 (autoescape on, so
every string from the resume is escaped), copies frontend/static/ and, when given the visit counter's API, writes
its address into the page; without the visit badge (config key show_visit_badge) the page has no badge markup and
counter.js only records the visit. With `resume_pdf` it also prints the page to `<name>-resume.pdf` (frontend/pdf.py)
and the page links it for download. It stages everything in a sibling temp dir and swaps it in at the end, so a
failed build never leaves a half-written dist. All markup lives in the templates: this module only shapes data for them.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import jinja2

from frontend.pdf import PdfUnavailableError, pdf_file_name, print_page
from frontend.resume import Json, ResumeError, load_resume

FRONTEND_DIR = Path(__file__).resolve().parent
DEFAULT_RESUME = FRONTEND_DIR / "resume.json"
DEFAULT_OUT = FRONTEND_DIR / "dist"
TEMPLATES_DIR = FRONTEND_DIR / "templates"
STATIC_DIR = FRONTEND_DIR / "static"
API_META_NAME = "visit-counter-api"
"""`<meta name=... content=<API base URL>>` in index.html: where counter.js finds the API (docs/frontend.md)."""

PDF_MEDIA_TYPE = "application/pdf"

EN_DASH = "\u2013"  # typographic title separator, spelled out so no reader mistakes it for "-"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DESCRIPTION_LIMIT = 160


@dataclass(frozen=True)
class Section:
    slug: str
    """The section's id, and its partial: templates/sections/<slug>.html."""
    title: str
    key: str
    """The resume key holding the section's content (About's is basics.summary)."""
    in_nav: bool = True
    """Short sidebar sections stay out of the nav so it fits a phone without scrolling."""


PRIMARY_SECTIONS = (
    Section("about", "About", "summary"),
    Section("experience", "Experience", "work"),
    Section("projects", "Projects", "projects"),
)
SECONDARY_SECTIONS = (
    Section("skills", "Skills", "skills"),
    Section("education", "Education", "education"),
    Section("certificates", "Certificates", "certificates", in_nav=False),
    Section("languages", "Languages", "languages", in_nav=False),
)


@dataclass(frozen=True)
class Download:
    """The résumé's PDF beside the page, which the page links for download."""

    name: str
    size_bytes: int

    @property
    def size_kb(self) -> int:
        """What the link says, rounded up: a reader deciding whether to download needs no more precision."""
        return max(1, -(-self.size_bytes // 1024))


def render_page(
    resume: Mapping[str, Json],
    *,
    api_base_url: str | None = None,
    show_visit_badge: bool = True,
    download: Download | None = None,
) -> str:
    """Render index.html. `api_base_url` is written as given (the infra passes a deploy-time token); `download`
    adds the link to the résumé's PDF."""
    basics = resume["basics"]
    primary = [section for section in PRIMARY_SECTIONS if _has_content(resume, section)]
    secondary = [section for section in SECONDARY_SECTIONS if _has_content(resume, section)]
    return (
        _environment()
        .get_template("index.html")
        .render(
            resume=resume,
            basics=basics,
            title=_page_title(basics),
            description=_page_description(basics),
            primary=primary,
            secondary=secondary,
            api_meta_name=API_META_NAME,
            api_base_url=api_base_url,
            show_visit_badge=show_visit_badge,
            download=download,
            pdf_media_type=PDF_MEDIA_TYPE,
        )
    )


def _has_content(resume: Mapping[str, Json], section: Section) -> bool:
    source = resume["basics"] if section.key == "summary" else resume
    return bool(source.get(section.key))


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(
        month_year=_format_date,
        display_url=_display_url,
        paragraphs=_paragraphs,
        safe_href=_safe_href,
        tel=lambda phone: re.sub(r"[^0-9+]", "", str(phone or "")),
        location=lambda place: ", ".join(str(place[k]) for k in ("city", "region", "countryCode") if place.get(k)),
    )
    return environment


def _page_title(basics: Mapping[str, Json]) -> str:
    label = basics.get("label")
    return f"{basics['name']} {EN_DASH} {label}" if label else str(basics["name"])


def _page_description(basics: Mapping[str, Json]) -> str:
    summary = " ".join(str(basics.get("summary") or "").split())
    text = f"{_page_title(basics)}. {summary}".strip() if summary else f"Resume of {_page_title(basics)}."
    if len(text) <= DESCRIPTION_LIMIT:
        return text
    return text[: DESCRIPTION_LIMIT - 1].rsplit(" ", 1)[0] + "…"


def _format_date(value: str) -> str:
    year, *rest = value.split("-")
    return f"{MONTHS[int(rest[0]) - 1]} {year}" if rest else year


def _display_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}".removeprefix("www.").rstrip("/")


def _paragraphs(text: str | None) -> list[str]:
    """A blank line starts a new paragraph; other line breaks and runs of spaces are one space."""
    blocks = (" ".join(block.split()) for block in re.split(r"\n\s*\n", text or ""))
    return [block for block in blocks if block]


def _safe_href(href: str | None) -> str | None:
    # The schema already demands http(s); this guards render_page callers that skip it.
    scheme = urlsplit(href or "").scheme.lower()
    return href if scheme in ("http", "https", "mailto", "tel") else None


# --------------------------------------------------------------------------- writing


def build_site(
    resume_path: Path,
    out_dir: Path,
    *,
    api_base_url: str | None = None,
    show_visit_badge: bool = True,
    resume_pdf: bool = False,
) -> Path:
    """Validate, render and swap a fresh site into out_dir; return out_dir.

    Raises ResumeError (before touching the disk) when the resume is invalid, ValueError when api_base_url is
    not an absolute http(s) URL, PdfUnavailableError when `resume_pdf` is asked for and Chromium cannot print it
    (dist untouched in every case). Without api_base_url the page names no API and the badge stays hidden.
    """
    base_url = normalise_api_base_url(api_base_url) if api_base_url is not None else None
    resume = load_resume(resume_path)
    pdf = _printed(resume) if resume_pdf else None
    download = Download(pdf_file_name(resume), len(pdf)) if pdf is not None else None
    page = render_page(resume, api_base_url=base_url, show_visit_badge=show_visit_badge, download=download)
    out_dir = Path(os.path.abspath(out_dir))
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-new-", dir=out_dir.parent))
    try:
        _write_site(staging, page)
        if download is not None and pdf is not None:
            (staging / download.name).write_bytes(pdf)
        _swap_in(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


def _printed(resume: Mapping[str, Json]) -> bytes:
    # Printed from a page that names no API and has no badge: loading it must not record a visit, and the
    # print stylesheet hides the badge and the download link anyway.
    with tempfile.TemporaryDirectory(prefix="resume-print-") as scratch:
        _write_site(Path(scratch), render_page(resume, show_visit_badge=False))
        return print_page(Path(scratch) / "index.html")


def _write_site(target: Path, page: str) -> None:
    # mkdtemp makes the dir owner-only; a static file server may run as someone else.
    target.chmod(0o755)
    (target / "index.html").write_bytes(page.encode("utf-8"))
    for source in sorted(STATIC_DIR.iterdir()):
        if source.is_file() and not source.name.startswith("."):
            shutil.copyfile(source, target / source.name)


def download_in(site_dir: Path, resume: Mapping[str, Json]) -> Download | None:
    """The résumé's PDF a build put in site_dir, if it made one."""
    path = site_dir / pdf_file_name(resume)
    return Download(path.name, path.stat().st_size) if path.is_file() else None


def _swap_in(staging: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    retired = staging.with_name(staging.name.replace("-new-", "-old-", 1))
    out_dir.rename(retired)
    try:
        staging.rename(out_dir)
    except OSError:
        retired.rename(out_dir)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def normalise_api_base_url(api_base_url: str) -> str:
    """Return the URL without a trailing slash; raise ValueError unless it is absolute http(s)."""
    parts = urlsplit(api_base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"API base URL {api_base_url!r} must be an absolute http(s) URL without query or fragment")
    return api_base_url.rstrip("/")


def site_size(dist_dir: Path) -> int:
    """Total bytes of every file in dist_dir (the page budget counts all of them)."""
    return sum(path.stat().st_size for path in dist_dir.rglob("*") if path.is_file())


# --------------------------------------------------------------------------- CLI


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m frontend.build", description="Build the static resume site.")
    parser.add_argument("--resume", type=Path, default=DEFAULT_RESUME, help="JSON Resume file")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    parser.add_argument(
        "--api-base-url",
        type=_api_base_url_argument,
        help="visit counter API base URL, written into OUT/index.html",
    )
    parser.add_argument(
        "--no-visit-badge",
        dest="show_visit_badge",
        action="store_false",
        help="leave the visit badge off the page (the script still records the visit)",
    )
    parser.add_argument(
        "--no-pdf",
        dest="resume_pdf",
        action="store_false",
        help="build without the résumé PDF and its download link (otherwise printed with headless Chromium)",
    )
    return parser.parse_args(argv)


def _api_base_url_argument(value: str) -> str:
    try:
        return normalise_api_base_url(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _report(line: str) -> None:
    print(line, file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    args = _parse_args(argv)

    def build(resume_pdf: bool) -> Path:
        return build_site(
            args.resume,
            args.out,
            api_base_url=args.api_base_url,
            show_visit_badge=args.show_visit_badge,
            resume_pdf=resume_pdf,
        )

    try:
        try:
            out_dir = build(args.resume_pdf)
        except PdfUnavailableError as exc:
            # A preview without Chromium still builds; the deploy, which needs the PDF, stops with this message.
            _report(f"note: {exc}; building without the PDF and its download link")
            out_dir = build(resume_pdf=False)
    except ResumeError as exc:
        for problem in exc.problems:
            _report(problem)
        _report(f"build failed: {len(exc.problems)} problem(s); {args.out} left unchanged")
        return 1
    except OSError as exc:
        _report(f"build failed: {exc}; {args.out} left unchanged")
        return 1
    print(f"built {out_dir} ({site_size(out_dir)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
