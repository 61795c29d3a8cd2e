"""The résumé as a PDF: the built page printed by headless Chromium with its own print stylesheet, with the print
time Chromium stamps into it replaced by a fixed date, so two builds give the same bytes (docs/frontend.md, "The
résumé as a PDF").
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from frontend.resume import Json

CHROMIUM_NAMES: Final = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
"""Looked up on PATH in this order; CHROME_PATH (the variable Lighthouse reads too) names another."""
CHROME_PATH_ENV: Final = "CHROME_PATH"
INSTALL_HINT: Final = "install Chromium (Debian/Ubuntu: sudo apt-get install chromium; or `make browser`)"
PRINT_TIMEOUT_SECONDS: Final = 120
"""A one-page print takes about a second; a busy CI runner may take many times that, a hung browser forever."""
FIXED_PDF_DATE: Final = b"D:20000101000000+00'00'"
"""What replaces Chromium's print time (`D:YYYYMMDDHHmmSS+HH'mm'`): the same length, so the file's byte offsets stay
valid, and a reproducible PDF says nothing about when it was built."""
_PDF_DATE: Final = re.compile(rb"(/(?:CreationDate|ModDate) \()D:\d{14}[-+Z]\d\d'\d\d'(\))")
_CHROMIUM_FLAGS: Final = (
    "--headless",
    "--no-sandbox",  # it prints a page this build just wrote; CI runners and containers often run as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
    "--no-pdf-header-footer",  # no date, title, URL or page number stamped into the margins
)


class PdfUnavailableError(RuntimeError):
    """Chromium is not installed, or did not produce the PDF; the message says which, and the fix."""


def pdf_file_name(resume: Mapping[str, Json]) -> str:
    """`<name>-resume.pdf` from basics.name in plain ASCII ("Zoë O'Neil" → zoe-o-neil-resume.pdf), else resume.pdf."""
    ascii_name = unicodedata.normalize("NFKD", resume["basics"]["name"]).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].rstrip("-")
    return f"{slug}-resume.pdf" if slug else "resume.pdf"


def find_chromium() -> str | None:
    """The Chromium to print with: CHROME_PATH when set, else the first of CHROMIUM_NAMES on PATH."""
    configured = os.environ.get(CHROME_PATH_ENV)
    if configured:
        return configured if Path(configured).is_file() else None
    return next((path for path in map(shutil.which, CHROMIUM_NAMES) if path), None)


def print_page(page: Path) -> bytes:
    """The PDF of `page` (a file whose stylesheet sits beside it) with its dates fixed; raises PdfUnavailableError."""
    executable = find_chromium()
    if executable is None:
        where = (
            f"{CHROME_PATH_ENV} ({os.environ[CHROME_PATH_ENV]}) names no file"
            if os.environ.get(CHROME_PATH_ENV)
            else f"none of {', '.join(CHROMIUM_NAMES)} is on PATH"
        )
        raise PdfUnavailableError(f"the résumé PDF is printed by headless Chromium, and {where}: {INSTALL_HINT}")
    with tempfile.TemporaryDirectory(prefix="resume-pdf-") as scratch:
        target = Path(scratch) / "resume.pdf"
        # Its own profile: a Chromium already running (a browser test, the owner's browser) holds the default one.
        command = [
            executable,
            *_CHROMIUM_FLAGS,
            f"--user-data-dir={Path(scratch) / 'profile'}",
            f"--print-to-pdf={target}",
            page.resolve().as_uri(),
        ]
        try:
            finished = subprocess.run(  # noqa: S603 - a browser found on PATH, our own file as argument
                command, capture_output=True, text=True, timeout=PRINT_TIMEOUT_SECONDS, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PdfUnavailableError(f"Chromium ({executable}) could not print the résumé: {exc}") from exc
        if finished.returncode != 0 or not target.is_file() or not target.read_bytes().startswith(b"%PDF-"):
            detail = " / ".join((finished.stderr or finished.stdout).strip().splitlines()[-3:]) or "no output"
            raise PdfUnavailableError(f"Chromium ({executable}) printed no PDF (exit {finished.returncode}): {detail}")
        return _PDF_DATE.sub(lambda match: match[1] + FIXED_PDF_DATE + match[2], target.read_bytes())
