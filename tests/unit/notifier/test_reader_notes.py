"""Notes (config reader_notes): the hourly run of the digest's function tells the owner, in one message, of an
application link's first open and of downloads since the run before; nothing otherwise. Visits are counted by the
real counter on moto, links made by `make link`'s own code, and the runs invoke the real entry point."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.common import catalog
from functions.counter.visits import Visit, VisitCounter
from functions.digest.notes import take_note
from tests.unit.notifier.conftest import VISITS_TABLE, Invoke, SentEmail
from tools.link import create_link

FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
DAY = datetime(2026, 12, 7, tzinfo=UTC)
RUN_13 = DAY + timedelta(hours=13)
RUN_14 = DAY + timedelta(hours=14)
RUN_15 = DAY + timedelta(hours=15)


class Readers:
    """Visitors as the counter counts them, each with their own network, at a time the test sets."""

    def __init__(self) -> None:
        self.now = RUN_13
        self.counter = VisitCounter(
            client=boto3.client("dynamodb"),
            table_name=VISITS_TABLE,
            max_views_per_day=10,
            max_views_per_network_per_day=30,
            clock=lambda: self.now,
        )
        self.visits = 0

    def view(self, visitor: int, *, link: str | None = None) -> None:
        self.visits += 1
        self.counter.record_visit(Visit(f"visit-{self.visits}", f"203.0.113.{visitor}", FIREFOX, link=link))

    def download(self, visitor: int) -> None:
        self.visits += 1
        self.counter.record_visit(Visit(f"dl-{self.visits}", f"198.51.100.{visitor}", FIREFOX, download=True))


@pytest.fixture
def readers(visits_table: str) -> Readers:
    return Readers()


def _run(invoke_digest: Invoke, at: datetime) -> dict[str, Any]:
    # What EventBridge Scheduler sends (infra/digest.py): the input with its scheduled-time attribute filled in.
    return invoke_digest({"kind": catalog.NOTES_EVENT_KIND, "scheduled_time": at.strftime("%Y-%m-%dT%H:%M:%SZ")})


def _make_link(code: str, made: datetime = DAY - timedelta(days=3)) -> None:
    create_link(boto3.client("dynamodb"), VISITS_TABLE, code, today=made.date().isoformat())


def test_a_first_open_is_told_once_with_the_hour_and_no_visitor(
    invoke_digest: Invoke, readers: Readers, sent_emails: Callable[[], list[SentEmail]]
) -> None:
    # Given a link made with `make link`, hourly runs that found nothing, and the link's first open at 13:20
    _make_link("acme-2026-12")
    for quiet in (RUN_13 - timedelta(hours=2), RUN_13 - timedelta(hours=1), RUN_13):
        assert _run(invoke_digest, quiet) == {"note": None, "deliveries": {}}
    readers.now = RUN_13 + timedelta(minutes=20)
    readers.view(1, link="acme-2026-12")
    # When the next run comes, and Lambda retries that same run
    told = _run(invoke_digest, RUN_14)
    retried = _run(invoke_digest, RUN_14)
    # Then one email went out, naming the link and the hour it was opened in, and nobody who opened it
    assert told["note"] == retried["note"] == "notes:2026-12-07T14:00:00+00:00"
    (sent,) = sent_emails()
    assert sent.subject == "acme-2026-12 was opened for the first time"
    assert "acme-2026-12 was opened for the first time between 13:00 UTC and 14:00 UTC" in sent.part("plain")
    assert "203.0.113" not in sent.part("plain") + sent.part("html")


def test_a_second_open_and_the_next_runs_tell_nothing(
    invoke_digest: Invoke, readers: Readers, sent_emails: Callable[[], list[SentEmail]]
) -> None:
    # Given a link whose first open was told
    _make_link("acme-2026-12")
    _run(invoke_digest, RUN_13)
    readers.now = RUN_13 + timedelta(minutes=5)
    readers.view(1, link="acme-2026-12")
    assert _run(invoke_digest, RUN_14)["note"]
    # When it is opened again, by someone else, and the next runs come (one of them a day later)
    readers.now = RUN_14 + timedelta(minutes=30)
    readers.view(2, link="acme-2026-12")
    readers.view(3)
    later = [_run(invoke_digest, at) for at in (RUN_15, RUN_15 + timedelta(hours=1), RUN_15 + timedelta(days=1))]
    # Then nothing more is sent
    assert [run["note"] for run in later] == [None, None, None]
    assert len(sent_emails()) == 1


def test_downloads_and_a_first_open_of_one_hour_are_one_message_at_the_next_run(
    invoke_digest: Invoke, readers: Readers, sent_emails: Callable[[], list[SentEmail]]
) -> None:
    # Given a first run, then two downloads (and one visitor's second download, counted once a day) and two links'
    # first opens between 13:00 and 14:00
    _make_link("acme-2026-12")
    _make_link("globex-2026-11")
    _make_link("never-opened")
    _run(invoke_digest, RUN_13)
    readers.now = RUN_13 + timedelta(minutes=2)
    readers.download(1)
    readers.download(1)
    readers.download(2)
    readers.view(3, link="acme-2026-12")
    readers.view(4, link="globex-2026-11")
    # When the next run comes
    _run(invoke_digest, RUN_14)
    # Then it sent one message with everything; a later download goes into the run after
    (sent,) = sent_emails()
    assert sent.subject == (
        "2 application links were opened for the first time; 2 downloads of your résumé since 13:00 UTC"
    )
    text = sent.part("plain")
    assert "acme-2026-12 was opened for the first time between 13:00 UTC and 14:00 UTC" in text
    assert "globex-2026-11 was opened for the first time" in text
    assert "never-opened" not in text
    readers.now = RUN_14 + timedelta(minutes=59)
    readers.download(3)
    _run(invoke_digest, RUN_15)
    assert sent_emails()[-1].subject == "1 download of your résumé since 14:00 UTC"
    assert len(sent_emails()) == 2


def test_downloads_counted_before_midnight_are_told_after_it(
    invoke_digest: Invoke, readers: Readers, sent_emails: Callable[[], list[SentEmail]]
) -> None:
    # Given a run at 23:00, a download at 23:30 and one after midnight (the totals item moves to the new day)
    late = DAY + timedelta(hours=23)
    readers.now = late - timedelta(minutes=10)
    readers.view(9)
    _run(invoke_digest, late)
    readers.now = late + timedelta(minutes=30)
    readers.download(1)
    readers.now = late + timedelta(hours=1, minutes=10)
    readers.download(2)
    # When the run at 01:00 comes (the one at midnight did not run)
    _run(invoke_digest, late + timedelta(hours=2))
    # Then both are told, from the day item and the totals item
    (sent,) = sent_emails()
    assert sent.subject == "2 downloads of your résumé since 2026-12-07 23:00 UTC"


def test_the_first_run_tells_todays_news_and_keeps_older_opens_silent(
    invoke_digest: Invoke, readers: Readers, sent_emails: Callable[[], list[SentEmail]]
) -> None:
    # Given a link opened yesterday, before the notes were turned on, and one opened and a download this morning
    _make_link("old-application")
    _make_link("acme-2026-12")
    readers.now = DAY - timedelta(hours=3)
    readers.view(1, link="old-application")
    readers.now = DAY + timedelta(hours=9)
    readers.view(2, link="acme-2026-12")
    readers.download(2)
    # When the notes' first run comes
    _run(invoke_digest, RUN_13)
    # Then today's news is told since midnight, and the old open never is
    (sent,) = sent_emails()
    assert "acme-2026-12 was opened for the first time between 00:00 UTC and 13:00 UTC" in sent.part("plain")
    assert "1 download of your résumé since 00:00 UTC" in sent.part("plain")
    assert "old-application" not in sent.part("plain")
    _run(invoke_digest, RUN_14)
    assert len(sent_emails()) == 1


def test_a_run_retried_after_a_later_run_tells_nothing_and_the_state_item_is_small(
    visits_table: str, readers: Readers
) -> None:
    client = boto3.client("dynamodb")
    _make_link("acme-2026-12")
    assert take_note(client, visits_table, RUN_13) is None
    readers.view(1, link="acme-2026-12")
    note = take_note(client, visits_table, RUN_14)
    assert note is not None
    assert note.first_opens == ("acme-2026-12",)
    # A retry of the 14:00 run gets its own note back (each channel then delivers it at most once) ...
    assert take_note(client, visits_table, RUN_14) == note
    # ... and a late retry of the 13:00 run, after 14:00 ran, tells nothing
    assert take_note(client, visits_table, RUN_13) is None
    item = client.get_item(TableName=visits_table, Key={catalog.VISITS_PARTITION_KEY: {"S": catalog.NOTES_STATE_KEY}})
    state = item["Item"]
    assert state[catalog.NOTES_TOLD_LINKS_ATTRIBUTE] == {"SS": ["acme-2026-12"]}
    assert set(state) == {
        catalog.VISITS_PARTITION_KEY,
        catalog.NOTES_LAST_RUN_ATTRIBUTE,
        catalog.NOTES_TOLD_LINKS_ATTRIBUTE,
        catalog.NOTES_DOWNLOADS_DAY_ATTRIBUTE,
        catalog.NOTES_DOWNLOADS_SEEN_ATTRIBUTE,
        catalog.NOTES_LAST_NOTE_ATTRIBUTE,
    }
