"""Notes on the local system (`make dev` turns them on): a link made with `make link ARGS=--local`, opened as the
page opens it (Origin and a browser's User-Agent), and `make notes` run against it, as the hourly schedule would
run: the outbox has the note once, however often the run is repeated."""

from __future__ import annotations

from tests.tools.test_make_verbs import run_verb
from tests.tools.test_stats_and_link import _make, _post
from tools.local.system import LocalSystem

CODE = "notes-2026-12"


def test_an_application_links_first_open_puts_one_note_in_the_outbox(local_system: LocalSystem) -> None:
    # Given a code made with `make link` and a reader who opened the site with it
    made = _make("link", local_system, NAME=CODE)
    assert made.returncode == 0, made.stdout + made.stderr
    assert _post(local_system, {"visit_id": "notes-visit-1", "ref": CODE})["counted"] is True
    # When `make notes` runs the notes' hourly run now, against the running system
    first = run_verb("notes", timeout=120, PORT_BASE=str(local_system.ports.emulator))
    # Then it says where the note went, and the outbox has it: its subject names the link, nothing says who opened it
    assert first.returncode == 0, first.stdout + first.stderr
    assert "sent:" in first.stdout
    assert "See it in the outbox" in first.stdout
    notes = [sent for sent in local_system.outbox() if CODE in sent.subject]
    assert [sent.subject for sent in notes] == [f"{CODE} was opened for the first time"]
    assert "127.0.0.1" not in notes[0].text
    # And later runs (the schedule's, and `make notes` again: within the same second, a retry of the same run) add
    # nothing to the outbox
    local_system.send_notes()
    again = run_verb("notes", timeout=120, PORT_BASE=str(local_system.ports.emulator))
    assert again.returncode == 0, again.stdout + again.stderr
    assert [sent.subject for sent in local_system.outbox() if CODE in sent.subject] == [notes[0].subject]
