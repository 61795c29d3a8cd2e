"""The site, built at synth time into the cloud assembly (never into frontend/dist), deterministic so the asset hash
changes only with the site; its page naming the API is rendered with the API's deploy-time URL (`page_calling`).
The résumé's PDF needs Chromium at synth (docs/hosting.md, "What happens on `cdk synth` and `cdk deploy`")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from aws_cdk import Stage
from constructs import Construct

from frontend.build import DEFAULT_RESUME, Download, build_site, download_in, render_page
from frontend.pdf import PdfUnavailableError
from frontend.resume import load_resume
from infra.lambda_factory import content_digest

BUILD_DIR_NAME: Final = "site-build"
PAGE_NAME: Final = "index.html"


@dataclass(frozen=True)
class SiteBuild:
    directory: Path
    digest: str
    """lambda_factory.content_digest of its files: names this version of the site."""
    resume: Mapping[str, Any]
    show_visit_badge: bool
    download: Download | None
    """The résumé's PDF in `directory`, which the page links."""

    def page_calling(self, api_url: str) -> str:
        """index.html with the counter's API address in it; `api_url` may be a deploy-time token."""
        return render_page(
            self.resume, api_base_url=api_url, show_visit_badge=self.show_visit_badge, download=self.download
        )


class SiteBuildError(RuntimeError):
    """The site cannot be built for a deploy; the message says how to fix it."""


def build_for_synth(scope: Construct, *, show_visit_badge: bool, resume_path: Path = DEFAULT_RESUME) -> SiteBuild:
    """Builds the site and its PDF into `<cdk outdir>/site-build` (a ResumeError names every problem in the resume;
    a SiteBuildError says how to get the PDF printed)."""
    stage = Stage.of(scope)
    assert stage is not None, "the site is built into the cloud assembly: the construct must be inside an App"
    try:
        directory = build_site(
            resume_path, Path(stage.outdir) / BUILD_DIR_NAME, show_visit_badge=show_visit_badge, resume_pdf=True
        )
    except PdfUnavailableError as exc:
        raise SiteBuildError(
            f"cannot build the site for a deploy: {exc}. The deployed page offers the résumé as a PDF, so the "
            "machine that synthesizes needs Chromium (CI's synth and diff jobs run `make browser` first)."
        ) from exc
    resume = load_resume(resume_path)
    files = [path for path in directory.rglob("*") if path.is_file()]
    return SiteBuild(
        directory=directory,
        digest=content_digest({path.relative_to(directory).as_posix(): path.read_bytes() for path in files}),
        resume=resume,
        show_visit_badge=show_visit_badge,
        download=download_in(directory, resume),
    )
