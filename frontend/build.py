"""Build the static resume site from a JSON Resume file: `python -m frontend.build [--resume PATH] [--out DIR]`.
Loads and validates the resume (frontend/resume.py), prints its PDF (frontend/pdf.py) and renders
frontend/templates/ with Jinja2, autoescape on; all markup lives in the templates (docs/frontend.md).
"""

from __future__ import annotations

import argparse
import functools
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

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Download:
    """The résumé's PDF beside the page, which the page links for download."""

    name: str
    size_bytes: int


def render_page(
    resume: Mapping[str, Json],
    *,
    api_base_url: str | None = None,
    show_visit_badge: bool = True,
    download: Download | None = None,
) -> str:
    """Render index.html. `api_base_url` is written as given (the infra passes a deploy-time token); `download`
    adds the link to the résumé's PDF."""
    template = _environment().get_template("index.html")
    return template.render(
        resume=resume,
        basics=resume["basics"],
        api_meta_name=API_META_NAME,
        api_base_url=api_base_url,
        show_visit_badge=show_visit_badge,
        download=download,
    )


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
        tel=lambda phone: re.sub(r"[^0-9+]", "", str(phone or "")),
        location=lambda place: ", ".join(str(place[k]) for k in ("city", "region", "countryCode") if place.get(k)),
    )
    return environment


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


def build_site(
    resume_path: Path,
    out_dir: Path,
    *,
    api_base_url: str | None = None,
    show_visit_badge: bool = True,
    resume_pdf: bool = False,
) -> Path:
    """Validate, render and write a fresh site into out_dir (replacing what was there); return out_dir.

    Raises, before touching out_dir: ResumeError when the resume is invalid, ValueError when api_base_url is not
    an absolute http(s) URL, PdfUnavailableError when `resume_pdf` is asked for and Chromium cannot print it.
    Without api_base_url the page names no API and the badge stays hidden.
    """
    base_url = normalise_api_base_url(api_base_url) if api_base_url is not None else None
    resume = load_resume(resume_path)
    pdf = _printed(resume) if resume_pdf else None
    download = Download(pdf_file_name(resume), len(pdf)) if pdf is not None else None
    page = render_page(resume, api_base_url=base_url, show_visit_badge=show_visit_badge, download=download)
    shutil.rmtree(out_dir, ignore_errors=True)  # a rebuild drops files the build no longer produces
    out_dir.mkdir(parents=True)
    _write_site(out_dir, page)
    if download is not None and pdf is not None:
        (out_dir / download.name).write_bytes(pdf)
    return out_dir


def _printed(resume: Mapping[str, Json]) -> bytes:
    # Printed from a page that names no API and has no badge: loading it must not record a visit, and the
    # print stylesheet hides the badge and the download link anyway.
    with tempfile.TemporaryDirectory(prefix="resume-print-") as scratch:
        _write_site(Path(scratch), render_page(resume, show_visit_badge=False))
        return print_page(Path(scratch) / "index.html")


def _write_site(target: Path, page: str) -> None:
    (target / "index.html").write_bytes(page.encode("utf-8"))
    for source in sorted(STATIC_DIR.iterdir()):
        if source.is_file() and not source.name.startswith("."):
            shutil.copyfile(source, target / source.name)


def download_in(site_dir: Path, resume: Mapping[str, Json]) -> Download | None:
    """The résumé's PDF a build put in site_dir, if it made one."""
    path = site_dir / pdf_file_name(resume)
    return Download(path.name, path.stat().st_size) if path.is_file() else None


def normalise_api_base_url(api_base_url: str) -> str:
    """Return the URL without a trailing slash; raise ValueError unless it is absolute http(s)."""
    parts = urlsplit(api_base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"API base URL {api_base_url!r} must be an absolute http(s) URL without query or fragment")
    return api_base_url.rstrip("/")


def site_size(dist_dir: Path) -> int:
    """Total bytes of every file in dist_dir (the page budget counts all of them)."""
    return sum(path.stat().st_size for path in dist_dir.rglob("*") if path.is_file())


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m frontend.build", description="Build the static resume site.")
    parser.add_argument("--resume", type=Path, default=DEFAULT_RESUME, help="JSON Resume file")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args(argv)
    build = functools.partial(build_site, args.resume, args.out)
    try:
        try:
            out_dir = build(resume_pdf=True)
        except PdfUnavailableError as exc:
            # A preview without Chromium still builds; the deploy, which needs the PDF, stops with this message.
            print(f"note: {exc}; building without the PDF and its download link", file=sys.stderr)
            out_dir = build(resume_pdf=False)
    except ResumeError as exc:
        print(*exc.problems, sep="\n", file=sys.stderr)
        print(f"build failed: {len(exc.problems)} problem(s); {args.out} left unchanged", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    print(f"built {out_dir} ({site_size(out_dir)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
