"""A note when it matters (config reader_notes, docs/alerting.md): each hourly run tells the owner, in one message,
the application links opened for the first time and the résumé's downloads since the run before, or nothing.
What was told lives in one item (catalog.NOTES_STATE_KEY), written on a condition on the run before's time; a
retry of a run finds its own note there and delivers it again, which each channel's idempotency makes a no-op.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from functions.common import catalog
from functions.digest.figures import midnight
from functions.digest.readers import VisitsReader, number, text
from functions.digest.render import html_list
from functions.notifier.alert_email import Email, html_links, html_page
from functions.notifier.presentation import AlertLinks
from functions.notifier.slack import buttons, escape, header, section

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

NOTE_PAYLOAD_VERSION: Final = 1
"""Bumped by a change that could break a receiver of the note payload (like the digest's)."""
MAX_DAYS_BACK: Final = 7
"""Downloads of past days are read back this far when runs were missed (a longer gap: those days are not told)."""


@dataclass(frozen=True)
class Note:
    since: datetime
    """The run before's scheduled time (the day's start on the first run)."""
    until: datetime
    first_opens: tuple[str, ...] = ()
    """Codes opened for the first time since `since`."""
    downloads: int = 0

    @property
    def empty(self) -> bool:
        return not self.first_opens and self.downloads <= 0

    def as_dict(self) -> dict[str, Any]:
        """What the state item keeps of the note, and the webhook's `note` (docs/alerting.md, "Note payload")."""
        return {
            "since": self.since.astimezone(UTC).isoformat(),
            "until": self.until.astimezone(UTC).isoformat(),
            "first_opens": list(self.first_opens),
            "downloads": self.downloads,
        }

    @classmethod
    def from_json(cls, value: str) -> Note:
        data = json.loads(value)
        return cls(
            datetime.fromisoformat(data["since"]),
            datetime.fromisoformat(data["until"]),
            tuple(data["first_opens"]),
            int(data["downloads"]),
        )


@dataclass(frozen=True)
class NotesState:
    """The state item as read: None for each part before the first run."""

    last_run: datetime | None
    told: frozenset[str]
    downloads_day: str
    downloads_seen: int
    last_note: Note | None

    @classmethod
    def from_item(cls, item: dict[str, Any] | None) -> NotesState:
        if not item:
            return cls(None, frozenset(), "", 0, None)
        last_note = text(item, catalog.NOTES_LAST_NOTE_ATTRIBUTE)
        return cls(
            datetime.fromisoformat(text(item, catalog.NOTES_LAST_RUN_ATTRIBUTE)),
            frozenset(item.get(catalog.NOTES_TOLD_LINKS_ATTRIBUTE, {}).get("SS", [])),
            text(item, catalog.NOTES_DOWNLOADS_DAY_ATTRIBUTE),
            number(item, catalog.NOTES_DOWNLOADS_SEEN_ATTRIBUTE),
            Note.from_json(last_note) if last_note else None,
        )


def take_note(client: DynamoDBClient, table_name: str, at: datetime) -> Note | None:
    """The note of the run scheduled at `at`, or None when there is nothing to tell (or a later run told it).
    Reads: the state item (consistent), the link registry, the untold links, the totals item, and past days'
    items only when the day changed since the run before. Writes the state item every run (1 WRU), so the next
    note's period starts at this run."""
    visits = VisitsReader(client, table_name)
    at = at.astimezone(UTC)
    state = NotesState.from_item(visits.item(catalog.NOTES_STATE_KEY, consistent=True))
    if state.last_run is not None and state.last_run >= at:
        return state.last_note if state.last_run == at else None  # a retry, or an older run retried late
    first_run = state.last_run is None
    since = midnight(at.date()) if state.last_run is None else state.last_run
    opened = [link for link in visits.links(c for c in visits.link_codes() if c not in state.told) if link.first_opened]
    # On the first run, links opened before today were opened before the notes began: told as known, silently.
    first_opens = [link.code for link in opened if not first_run or link.first_opened >= at.date().isoformat()]
    totals = visits.item(catalog.VISITS_ITEM_KEY) or {}
    totals_day = text(totals, catalog.TODAY_ATTRIBUTE)
    day = totals_day or state.downloads_day
    today = number(totals, catalog.TODAY_DOWNLOADS_ATTRIBUTE) if totals_day else 0
    if first_run:
        downloads = today if day == at.date().isoformat() else 0
    else:
        downloads = _downloads_since(visits, state, day, today)
    note = Note(since, at, tuple(first_opens), max(downloads, 0))
    told = state.told | {link.code for link in opened}
    if not _remember(client, table_name, state, at, told, day, today, note):
        return _told_by_another(visits, at)
    return None if note.empty else note


def _downloads_since(visits: VisitsReader, state: NotesState, day: str, today: int) -> int:
    """Downloads counted since the run before: the rest of its day, the days between, and today's."""
    if not state.downloads_day or day == state.downloads_day:
        return today - (state.downloads_seen if day == state.downloads_day else 0)
    current = date.fromisoformat(day)
    known = date.fromisoformat(state.downloads_day)
    start = max(known, current - timedelta(days=MAX_DAYS_BACK))
    # Consistent: the day item was written just before the totals item moved on to the new day.
    past = visits.days([start + timedelta(days=n) for n in range((current - start).days)], None, consistent=True)
    seen = state.downloads_seen if start == known else 0
    return sum(figures.downloads for figures in past) - seen + today


def _remember(
    client: DynamoDBClient,
    table_name: str,
    state: NotesState,
    at: datetime,
    told: frozenset[str] | set[str],
    day: str,
    seen: int,
    note: Note,
) -> bool:
    """Writes the new state only if no other run wrote since this one read it (False then).
    NOTE: a failed condition writes nothing and is an answer (ConditionalCheckFailedException).
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html"""
    item: dict[str, Any] = {
        catalog.VISITS_PARTITION_KEY: {"S": catalog.NOTES_STATE_KEY},
        catalog.NOTES_LAST_RUN_ATTRIBUTE: {"S": at.isoformat()},
        catalog.NOTES_DOWNLOADS_DAY_ATTRIBUTE: {"S": day},
        catalog.NOTES_DOWNLOADS_SEEN_ATTRIBUTE: {"N": str(seen)},
    }
    if told:  # DynamoDB refuses an empty set
        item[catalog.NOTES_TOLD_LINKS_ATTRIBUTE] = {"SS": sorted(told)}
    if not note.empty:
        item[catalog.NOTES_LAST_NOTE_ATTRIBUTE] = {"S": json.dumps(note.as_dict())}
    # Before the first run there is no item: "never" is no stored run's time.
    last_run = "never" if state.last_run is None else state.last_run.isoformat()
    try:
        client.put_item(
            TableName=table_name,
            Item=item,
            ConditionExpression="attribute_not_exists(#last_run) OR #last_run = :last_run",
            ExpressionAttributeNames={"#last_run": catalog.NOTES_LAST_RUN_ATTRIBUTE},
            ExpressionAttributeValues={":last_run": {"S": last_run}},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _told_by_another(visits: VisitsReader, at: datetime) -> Note | None:
    """Another invocation of this run (Lambda and Scheduler retry) wrote first: its note, delivered again, reaches
    each channel once; a later run's state means this run has nothing left to tell."""
    state = NotesState.from_item(visits.item(catalog.NOTES_STATE_KEY, consistent=True))
    return state.last_note if state.last_run == at else None


def _clock(at: datetime, until: datetime) -> str:
    at, until = at.astimezone(UTC), until.astimezone(UTC)
    return f"{at:%H:%M} UTC" if at.date() == until.date() else f"{at:%Y-%m-%d %H:%M} UTC"


def note_lines(note: Note) -> list[str]:
    """One line per first open, one for the downloads. The counter keeps a link's first day, not its minute: the
    time told is the hour between two runs."""
    since, until = _clock(note.since, note.until), _clock(note.until, note.until)
    lines = [f"{code} was opened for the first time between {since} and {until}" for code in note.first_opens]
    return [*lines, _downloads_text(note)] if note.downloads else lines


def _downloads_text(note: Note) -> str:
    plural = "download" if note.downloads == 1 else "downloads"
    return f"{note.downloads} {plural} of your résumé since {_clock(note.since, note.until)}"


def note_title(note: Note) -> str:
    parts = []
    if len(note.first_opens) == 1:
        parts.append(f"{note.first_opens[0]} was opened for the first time")
    elif note.first_opens:
        parts.append(f"{len(note.first_opens)} application links were opened for the first time")
    if note.downloads:
        parts.append(_downloads_text(note))
    return "; ".join(parts)


@dataclass(frozen=True)
class NoteMessage:
    """The note as the notifier's channels deliver it, idempotent per channel on the run's delivery id."""

    note: Note
    links: AlertLinks

    @property
    def delivery_id(self) -> str:
        return f"notes:{self.note.until.astimezone(UTC).isoformat()}"

    def email(self) -> Email:
        subject, lines, dashboard = note_title(self.note), note_lines(self.note), self.links.dashboard(None)
        text_body = "\n".join([*lines, "", "Every figure: make stats", f"Dashboard: {dashboard}"]) + "\n"
        body = f"<h2>{html.escape(subject)}</h2>{html_list(lines)}{html_links([('Dashboard', dashboard)])}"
        return Email(subject=subject, text=text_body, html=html_page(subject, body))

    def slack(self) -> dict[str, Any]:
        title = note_title(self.note)
        blocks = [
            header(f":wave: {title}"),
            section(escape("\n".join(note_lines(self.note)))),
            buttons([("Dashboard", self.links.dashboard(None))]),
        ]
        return {"text": title, "blocks": blocks}

    def webhook(self) -> dict[str, Any]:
        """The webhook's document for a note (docs/alerting.md, "Note payload")."""
        return {
            "version": NOTE_PAYLOAD_VERSION,
            "delivery_id": self.delivery_id,
            "type": "note",
            "title": note_title(self.note),
            "note": self.note.as_dict(),
            "links": {"dashboard": self.links.dashboard(None)},
        }
