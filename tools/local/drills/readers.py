"""The `readers` scenario of `make drill`: readers from LinkedIn (through an application link made as `make link`
makes it, then a reload and a download), Google, GitHub and directly, each with a referrer's path and query as a
browser sends them; then what `make stats` reads back and the note the notes' run sends (docs/local.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

import requests

from functions.common import catalog
from functions.counter.http import REF_FIELD
from functions.digest.render import link_text
from tools.link import create_link, link_url
from tools.local.system import LocalSystem
from tools.stats import Stats, owner_table, read_stats, utc_today

LINK_CODE: Final = "acme-drill"
CHROME: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
READERS: Final = (
    # (the page's referrer as the browser sends it, the source it counts under)
    ("https://www.linkedin.com/feed/?trk=drill-feed", "linkedin"),
    ("https://www.google.com/search?q=resume", "google"),
    ("https://github.com/someone?tab=repositories", "github"),
    ("", catalog.SOURCE_DIRECT),
)
"""The first reader opens the application link."""


@dataclass
class ReadersOutcome:
    code: str
    link: str
    """The application link, as `make link` prints it."""
    counted: list[bool] = field(default_factory=list)
    """Whether each request of the scenario counted: the readers' views, the reload, the download."""
    stats: Stats | None = None
    """What `make stats` reads afterwards."""
    notes: list[str] = field(default_factory=list)
    """The emails the notes' run sent (subject and text), one expected."""


def readers(system: LocalSystem, code: str = LINK_CODE) -> ReadersOutcome:
    """Makes the application link, sends the readers, and reads the figures back as `make stats --local` does."""
    target = owner_table(system.state_dir, [])
    create_link(target.client, target.table_name, code, today=utc_today())
    outcome = ReadersOutcome(code, link_url(target.site_url, code))
    for index, (referrer, _source) in enumerate(READERS):
        body: dict[str, Any] = {"visit_id": f"drill-reader-{index}", "referrer": referrer}
        if index == 0:
            body[REF_FIELD] = code
        outcome.counted.append(_post(system, body, index))
    outcome.counted.append(_post(system, {"visit_id": "drill-reload", "referrer": READERS[0][0], REF_FIELD: code}, 0))
    outcome.counted.append(_post(system, {"visit_id": "drill-reader-0", "kind": "download"}, 0))
    outcome.stats = read_stats(target.client, target.table_name, today=utc_today(), days=1)
    sent_before = len(system.outbox())
    system.send_notes()
    outcome.notes = [f"{email.subject}\n{email.text}" for email in system.outbox()[sent_before:]]
    return outcome


def _post(system: LocalSystem, body: dict[str, Any], reader: int) -> bool:
    """One POST /visits from the site's page, as reader number `reader` (its own browser)."""
    response = requests.post(
        system.api_url + catalog.VISITS_PATH,
        data=json.dumps(body),
        headers={
            "origin": system.site_origin,
            "user-agent": CHROME.replace("Chrome/131.0.0.0", f"Chrome/131.0.{reader}.0"),
            "content-type": "text/plain",
        },
        timeout=10,
    )
    return response.status_code == 200 and response.json().get("counted") is True


def report_lines(outcome: ReadersOutcome) -> list[str]:
    """What the scenario sent and what the owner reads back."""
    lines = [f"  application link made: {outcome.link}"]
    sent = [f"{source} reader" for _, source in READERS] + ["a reload through the link", "a download"]
    lines += [
        f"  {what}: {'counted' if counted else 'NOT counted'}"
        for what, counted in zip(sent, outcome.counted, strict=True)
    ]
    if outcome.stats is not None:
        (today,) = outcome.stats.days
        sources = ", ".join(f"{name} {count}" for name, count in sorted(today.sources.items()))
        lines.append(f"  today: {today.views} views, {today.unique_visitors} unique, {today.downloads} downloads")
        lines.append(f"  sources: {sources}")
        lines += [f"  link {link_text(link)}" for link in outcome.stats.links]
    lines += [f"  note sent: {note.splitlines()[0]}" for note in outcome.notes] or ["  NO note sent"]
    return lines


def passed(outcome: ReadersOutcome) -> bool:
    """Every request counted; `make stats` has each reader's source, the link's two views and the download; and one
    note told of the link's first open and the download."""
    if outcome.stats is None or not all(outcome.counted):
        return False
    (today,) = outcome.stats.days
    links = {link.code: link.views for link in outcome.stats.links}
    return (
        all(today.sources.get(source, 0) >= 1 for _, source in READERS)
        and today.downloads >= 1
        and links.get(outcome.code, 0) >= 2
        and len(outcome.notes) == 1
        and outcome.code in outcome.notes[0]
        and "download" in outcome.notes[0]
    )
