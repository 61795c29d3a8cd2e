"""What the visits table's stream says was counted, per 5-minute bucket: the domain of the visit metrics Lambda.

The counter adds each counted view (and each visitor's first view of a UTC day) to the site's totals item
(functions/counter/visits.py); every applied write of that item is one stream record with the item before and
after it. The increase of its counts from OldImage to NewImage is what DynamoDB really stored, so metrics summed
from it equal the stored figures: a write that failed or was refused has no record, and a retry that was not
counted again changes nothing.

Plain code on the records' dicts (no boto3, no Powertools), so tests hand it real or crafted records.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from functions.common import catalog

_REMOVE: Final = "REMOVE"


@dataclass(frozen=True, order=True)
class BucketFigures:
    """What the totals item gained during one clock-aligned bucket of catalog.VISIT_METRICS_BUCKET_SECONDS (`start`:
    its first second, timezone-aware UTC)."""

    start: datetime
    views: int
    """Page views counted: the increase of VISITS_COUNT_ATTRIBUTE (the Visits metric)."""
    unique_visitors: int
    """The increase of UNIQUE_VISITORS_ATTRIBUTE (the UniqueVisitors metric)."""


@dataclass(frozen=True)
class UnreadableTimestamp:
    """A counted record whose ApproximateCreationDateTime was neither an epoch number nor an ISO-8601 string."""

    event_id: str
    value: str
    """repr() of what the record held, shortened: enough to see the shape, never the item."""


@dataclass(frozen=True)
class BatchFigures:
    buckets: list[BucketFigures]
    """Sorted by start; a bucket that gained nothing is left out."""
    unreadable_timestamps: list[UnreadableTimestamp] = field(default_factory=list)
    """Records counted in the invocation's bucket because their own time could not be read."""


def bucket_figures(
    records: Iterable[Mapping[str, Any]], *, now: datetime, bucket_seconds: int = catalog.VISIT_METRICS_BUCKET_SECONDS
) -> BatchFigures:
    """Sums, per bucket, what each stream record of the totals item added to its two counts.

    Only records of the totals item count; any other item's (a visitor's, a day's salt) is ignored, as are
    REMOVE records (TTL expiries, an owner deleting the item): the event source mapping's filter should already
    have dropped them. A count that went down or stayed put adds nothing: an owner who resets or lowers the item
    must not produce negative metrics, and a write of today's figures alone adds no view.

    `now` is the invocation's time: a record whose creation time cannot be read is counted in its bucket rather
    than lost, and listed in `unreadable_timestamps`.
    """
    views: dict[datetime, int] = {}
    unique: dict[datetime, int] = {}
    unreadable: list[UnreadableTimestamp] = []
    for record in records:
        # NOTE: the record format (Keys, OldImage/NewImage in DynamoDB JSON, ApproximateCreationDateTime):
        # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_StreamRecord.html
        stream_record = record.get("dynamodb", {})
        if record.get("eventName") == _REMOVE or stream_record.get("Keys") != catalog.VISITS_TOTALS_KEY:
            continue
        old_image = stream_record.get("OldImage", {})
        new_image = stream_record.get("NewImage", {})
        added_views = _increase(old_image, new_image, catalog.VISITS_COUNT_ATTRIBUTE)
        added_unique = _increase(old_image, new_image, catalog.UNIQUE_VISITORS_ATTRIBUTE)
        if not added_views and not added_unique:
            continue
        created = _created_at(stream_record.get("ApproximateCreationDateTime"))
        if created is None:
            unreadable.append(
                UnreadableTimestamp(
                    event_id=str(record.get("eventID", "")),
                    value=repr(stream_record.get("ApproximateCreationDateTime"))[:80],
                )
            )
            created = now
        bucket = _bucket_of(created, bucket_seconds)
        views[bucket] = views.get(bucket, 0) + added_views
        unique[bucket] = unique.get(bucket, 0) + added_unique
    buckets = [BucketFigures(start, views[start], unique[start]) for start in sorted(views)]
    return BatchFigures(buckets=buckets, unreadable_timestamps=unreadable)


def _increase(old_image: Mapping[str, Any], new_image: Mapping[str, Any], attribute: str) -> int:
    """NewImage minus OldImage, never below zero; an image or attribute that is missing (INSERT) counts as 0."""
    return max(0, _number(new_image, attribute) - _number(old_image, attribute))


def _number(image: Mapping[str, Any], attribute: str) -> int:
    # A number attribute is {"N": "12"}; any other type here is not the counter's item and fails loudly, so
    # Lambda retries the batch and the event source mapping's failure settings take over.
    return int(image[attribute]["N"]) if attribute in image else 0


def _created_at(value: object) -> datetime | None:
    """The record's creation time, or None if it is in no shape known to be sent.

    NOTE: Lambda's event source mapping passes epoch seconds (a number, possibly with a fraction), as do
    moto's mock and server (1796152243.559); AWS's event-filtering example shows them as a string
    ("1678831218.0"), so a string of epoch seconds is read too, and an ISO-8601 string, one without an offset
    taken as UTC. A datetime is not: it means the caller passed records parsed by an SDK, not Lambda's event.
    https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html
    https://docs.aws.amazon.com/lambda/latest/dg/with-ddb-filtering.html
    """
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            return None
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            # e.g. epoch milliseconds: far past the year 9999
            return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return None


def _bucket_of(moment: datetime, bucket_seconds: int) -> datetime:
    """The start of the clock-aligned bucket the moment falls in."""
    seconds = math.floor(moment.timestamp())
    return datetime.fromtimestamp(seconds - seconds % bucket_seconds, UTC)
