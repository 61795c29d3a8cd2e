"""The site, built at synth time into the cloud assembly (never into frontend/dist).

The build is deterministic (same resume → same bytes), so the asset hash, and with it the deployment, only
changes when the site does. config.json is not part of it: it carries the API URL, which only exists at
deploy time, and each hosting mode adds it then (s3deploy.Source.json_data).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from aws_cdk import Stage
from constructs import Construct

from frontend.build import DEFAULT_RESUME, build_site

BUILD_DIR_NAME: Final = "site-build"


@dataclass(frozen=True)
class SiteBuild:
    directory: Path
    digest: str
    """16 hex characters of a SHA-256 over every file's path and bytes: names this version of the site."""


def build_for_synth(scope: Construct, resume_path: Path = DEFAULT_RESUME) -> SiteBuild:
    """Builds the site into `<cdk outdir>/site-build` (a ResumeError names every problem in the resume)."""
    stage = Stage.of(scope)
    if stage is None:
        raise ValueError("the site is built into the cloud assembly, so the construct must be inside an App")
    directory = build_site(resume_path, Path(stage.outdir) / BUILD_DIR_NAME)
    return SiteBuild(directory=directory, digest=content_digest(directory))


def content_digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]
