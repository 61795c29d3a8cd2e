"""`make link` and `make stats` with `ARGS=--local`, run as the Makefile runs them, against the real local system
(`make dev` in this process): a code made, a visit from LinkedIn through that link and a download, both read back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import requests

from functions.common import catalog
from tests.tools.test_make_verbs import REPO, recipe
from tools.local.system import LocalSystem

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)


def _make(verb: str, local_system: LocalSystem, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        ["bash", "-c", recipe(verb, f"--local {local_system.state_dir}", **variables)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _post(local_system: LocalSystem, body: dict[str, str]) -> dict[str, object]:
    response = requests.post(
        local_system.api_url + catalog.VISITS_PATH,
        data=json.dumps(body),
        headers={"Origin": local_system.site_origin, "User-Agent": CHROME, "Content-Type": "text/plain"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()
    return answer


def test_make_link_then_make_stats_show_the_links_opening_its_source_and_a_download(
    local_system: LocalSystem,
) -> None:
    # Given a code made with `make link`
    made = _make("link", local_system, NAME="acme-2026-12")
    assert made.returncode == 0, made.stdout + made.stderr
    link = f"{local_system.site_origin}/?ref=acme-2026-12"
    assert made.stdout.splitlines()[-1] == link
    # When a reader opens it from LinkedIn, then downloads the résumé
    opened = _post(
        local_system,
        {"visit_id": "stats-visit-1", "referrer": "https://www.linkedin.com/feed/?trk=abc", "ref": "acme-2026-12"},
    )
    downloaded = _post(local_system, {"visit_id": "stats-visit-1", "kind": "download"})
    assert (opened["counted"], downloaded["counted"]) == (True, True)
    # Then `make stats` shows today's source and download, and the link's first and last opening
    stats = _make("stats", local_system)
    assert stats.returncode == 0, stats.stdout + stats.stderr
    today = datetime.now(UTC).date().isoformat()
    lines = stats.stdout.splitlines()
    [today_line] = [line for line in lines if line.strip().startswith("today")]
    assert " 1 views" in today_line
    assert " 1 downloads" in today_line
    assert "sources: linkedin (job board) 1" in today_line
    assert f"  acme-2026-12: first opened {today}, last opened {today}, on 1 day, 1 view" in lines, stats.stdout
    for secret in ("trk", "feed"):
        assert secret not in stats.stdout


def test_make_link_refuses_a_code_outside_the_charset(local_system: LocalSystem) -> None:
    refused = _make("link", local_system, NAME="Acme_2026")
    assert refused.returncode == 2
    assert "'Acme_2026' is not a code" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_make_stats_make_link_and_make_dev_start_without_the_cdk() -> None:
    # Given the modules these verbs run (the CDK's jsii takes seconds to start, and they synthesize nothing here)
    code = "import sys, tools.stats, tools.link, tools.local.cli; print([m for m in sys.modules if 'aws_cdk' in m])"
    # When they are imported in a fresh interpreter
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    # Then none of them loaded the CDK
    assert result.stdout.strip() == "[]", result.stdout
