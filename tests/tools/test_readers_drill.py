"""The drill's `readers` scenario on the real local system (`make dev` in this process): readers from a few
sources, one through an application link made as `make link` makes it, and a download; then the live dashboard's
readers widgets and `make stats ARGS=--local`, run as the Makefile runs it, show them, and nothing of a referrer
but its source's name."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests

from functions.common import catalog
from tests.tools.test_stats_and_link import _make
from tools.local.drills.readers import LINK_CODE, READERS, passed, readers
from tools.local.system import LocalSystem

pytestmark = pytest.mark.e2e

SVG = "{http://www.w3.org/2000/svg}"


def _widget_texts(svg: str) -> dict[str, list[str]]:
    """Each widget's title → the texts drawn in it, in order (each widget is one group of the picture)."""
    widgets = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):  # noqa: S314 - our own renderer's output
        texts = ["".join(text.itertext()) for text in group.iter(f"{SVG}text")]
        if texts:
            widgets[texts[0]] = texts[1:]
    return widgets


def test_the_readers_drill_fills_the_dashboards_readers_widgets_and_make_stats(local_system: LocalSystem) -> None:
    # Given the readers scenario, run on a local system
    outcome = readers(local_system)
    assert outcome.link == f"{local_system.site_origin}/?ref={LINK_CODE}"
    assert outcome.counted == [True] * (len(READERS) + 2), outcome.counted
    assert passed(outcome)

    # When the owner opens the live dashboard
    svg = requests.get(local_system.console_url + "/dashboard.svg", timeout=30).text
    (local_system.state_dir / "dashboard.svg").write_text(svg)  # to look at when this fails
    widgets = _widget_texts(svg)

    # Then each source has its row with one reader, the link its two views, and the day its download
    sources = widgets["Where readers come from"]
    for _, source in READERS:
        assert sources[sources.index(source) + 1] == "1", sources
    links = widgets["Application links (make link)"]
    assert links[links.index(LINK_CODE) + 1] == "2", links
    downloads = widgets["Résumé downloads by UTC day"]
    assert downloads[-1] == "1", downloads

    # And `make stats ARGS=--local` shows the same sources, the link and the download
    stats = _make("stats", local_system)
    assert stats.returncode == 0, stats.stdout + stats.stderr
    [today] = [line for line in stats.stdout.splitlines() if line.strip().startswith("today")]
    assert " 1 downloads" in today, today
    for _, source in READERS:
        assert f"{source} 1" in today or f"{source} (job board) 1" in today, today
    assert any(
        line.startswith(f"  {LINK_CODE}: first opened ") and "2 views" in line for line in stats.stdout.splitlines()
    )

    # And nothing of the referrers' paths or queries reached the dashboard or the owner's figures
    for secret in ("trk", "drill-feed", "q=resume", "tab=repositories", "someone"):
        assert secret not in svg
        assert secret not in stats.stdout
    assert catalog.OTHER_LINK_CODE not in links  # the drill's code is the owner's
