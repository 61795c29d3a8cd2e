"""Notes on the local system (`make dev` turns them on): a link made with `make link ARGS=--local`, opened as the
page opens it (Origin and a browser's User-Agent), and the notes' schedule fired as Scheduler would: the outbox has
the note once, however often the schedule runs after."""

from __future__ import annotations

from tests.tools.test_stats_and_link import _make, _post
from tools.local.system import LocalSystem

CODE = "notes-2026-12"


def test_an_application_links_first_open_puts_one_note_in_the_outbox(local_system: LocalSystem) -> None:
    # Given a code made with `make link` and a reader who opened the site with it
    made = _make("link", local_system, NAME=CODE)
    assert made.returncode == 0, made.stdout + made.stderr
    assert _post(local_system, {"visit_id": "notes-visit-1", "ref": CODE})["counted"] is True
    # When the notes' schedule runs, and runs again (within the same second it is a retry of the same run)
    runs = [local_system.send_notes(), local_system.send_notes()]
    # Then the outbox has the note once: its subject names the link, and nothing says who opened it
    assert all(run["ok"] for run in runs), runs
    notes = [sent for sent in local_system.outbox() if CODE in sent.subject]
    assert [sent.subject for sent in notes] == [f"{CODE} was opened for the first time"]
    assert "127.0.0.1" not in notes[0].text
