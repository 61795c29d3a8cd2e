"""The visit metrics Lambda: Visits and UniqueVisitors from the visits table's stream, an EMF document a bucket."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.common import catalog
from functions.visit_metrics.deltas import BucketFigures, bucket_figures
from tests.support.lambda_output import emitted_metrics, log_records
from tests.support.stream_records import stream_records
from tests.unit.visit_metrics.conftest import (
    PostVisit,
    RunVisitMetrics,
    stored_totals,
    totals_record,
)

GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
SERVICE = {catalog.SERVICE_DIMENSION: catalog.COUNTER_SERVICE}


def _emf_documents(output: str) -> list[dict[str, Any]]:
    documents = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [document for document in documents if "_aws" in document]


def _sums(output: str) -> dict[str, float]:
    sums: dict[str, float] = {}
    for metric in emitted_metrics(output):
        sums[metric.name] = sums.get(metric.name, 0.0) + metric.value
    return sums


def _recent_bucket(buckets_ago: int) -> datetime:
    """The start of a recent 5-minute bucket, which CloudWatch still accepts (EMF timestamps: at most 2 weeks old)."""
    now = int(datetime.now(UTC).timestamp())
    start = now - now % catalog.VISIT_METRICS_BUCKET_SECONDS
    return datetime.fromtimestamp(start, UTC) - timedelta(seconds=buckets_ago * catalog.VISIT_METRICS_BUCKET_SECONDS)


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def test_the_published_metrics_equal_the_figures_the_counter_stored(
    visits_table: str, post_visit: PostVisit, run_visit_metrics: RunVisitMetrics
) -> None:
    # Given the real counter handler served three new visitors, two repeat views of the first, a retry of a
    # counted visit (same visit id) and a crawler
    for number in (1, 2, 3):
        post_visit(source_ip=f"198.51.100.{number}", visit_id=f"first-visit-{number}")
    post_visit(source_ip="198.51.100.1", visit_id="second-visit-1")
    post_visit(source_ip="198.51.100.1", visit_id="third-visit-1")
    post_visit(source_ip="198.51.100.2", visit_id="first-visit-2")
    post_visit(source_ip="198.51.100.9", visit_id="crawler-visit", user_agent=GOOGLEBOT)
    # When the table's real stream records are handed to the visit metrics Lambda
    output = run_visit_metrics(stream_records(visits_table))
    # Then its Visits and UniqueVisitors add up to what the table stored (5 views, 3 visitors)
    totals = stored_totals(visits_table)
    stored = (int(totals[catalog.VISITS_COUNT_ATTRIBUTE]["N"]), int(totals[catalog.UNIQUE_VISITORS_ATTRIBUTE]["N"]))
    assert stored == (5, 3)
    assert _sums(output) == {catalog.VISITS_METRIC: stored[0], catalog.UNIQUE_VISITORS_METRIC: stored[1]}
    # And they are the counter's metrics: same namespace, unit and only dimension set, so the same alarms,
    # dashboard and digest read them
    metrics = emitted_metrics(output)
    assert {(m.namespace, m.unit) for m in metrics} == {(catalog.METRICS_NAMESPACE, "Count")}
    assert all(m.dimensions == SERVICE for m in metrics)
    assert all(d["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [list(SERVICE)] for d in _emf_documents(output))
    # And the batch wrote no log line, only its metrics
    assert log_records(output) == []


def test_a_batch_spanning_two_buckets_publishes_one_document_per_bucket_stamped_with_its_start(
    run_visit_metrics: RunVisitMetrics,
) -> None:
    # Given four counted views in one 5-minute bucket (two from new visitors) and one in the next, with creation times
    # as Lambda passes them (epoch seconds, whole or with a fraction)
    first, second = _recent_bucket(3), _recent_bucket(2)
    records = [
        totals_record(created=first.timestamp() + 1, old=None, new=(1, 1), event_name="INSERT"),
        totals_record(created=first.timestamp() + 20.5, old=(1, 1), new=(2, 2)),
        totals_record(created=first.timestamp() + 299.999, old=(2, 2), new=(4, 2)),
        totals_record(created=int(second.timestamp()), old=(4, 2), new=(5, 2)),
    ]
    # When the batch is handled
    output = run_visit_metrics(records)
    # Then one EMF document per bucket carries that bucket's figures, stamped with the bucket's start
    documents = _emf_documents(output)
    assert [
        (d["_aws"]["Timestamp"], d.get(catalog.VISITS_METRIC), d.get(catalog.UNIQUE_VISITORS_METRIC)) for d in documents
    ] == [
        (_epoch_ms(first), [4.0], [2.0]),
        (_epoch_ms(second), [1.0], None),  # no visitor was new: no UniqueVisitors datapoint
    ]


def test_records_of_other_items_and_removals_add_nothing(run_visit_metrics: RunVisitMetrics) -> None:
    # Given a batch with a visitor's item, a day's salt, TTL removals and a removal of the totals item itself,
    # shaped like totals records so only their keys or event name tell them apart
    created = _recent_bucket(1).timestamp()
    visitor = {catalog.VISITS_PARTITION_KEY: {"S": f"{catalog.VISITOR_KEY_PREFIX}2026-12-01#abc"}}
    salt = {catalog.VISITS_PARTITION_KEY: {"S": f"{catalog.SALT_KEY_PREFIX}2026-12-01"}}
    records = [
        totals_record(created=created, old=None, new=(1, 1), keys=visitor, event_name="INSERT"),
        totals_record(created=created, old=(1, 1), new=(2, 1), keys=visitor),
        totals_record(created=created, old=None, new=(7, 7), keys=salt, event_name="INSERT"),
        totals_record(created=created, old=(2, 1), new=None, keys=visitor, event_name="REMOVE"),
        totals_record(created=created, old=(9, 9), new=(10, 10), event_name="REMOVE"),
        # And one real view, so the batch is not empty
        totals_record(created=created, old=(9, 9), new=(10, 9)),
    ]
    # When the batch is handled
    output = run_visit_metrics(records)
    # Then only the totals item's one view is published
    assert _sums(output) == {catalog.VISITS_METRIC: 1.0}


def test_a_reset_of_the_totals_adds_nothing(run_visit_metrics: RunVisitMetrics) -> None:
    # Given the owner reset the totals item to zero, and then one visit was counted
    created = _recent_bucket(1).timestamp()
    records = [
        totals_record(created=created, old=(1200, 300), new=(0, 0)),
        totals_record(created=created + 1, old=(0, 0), new=(1, 1)),
    ]
    # When the batch is handled
    output = run_visit_metrics(records)
    # Then no negative figure is published, only the one visit after the reset
    assert _sums(output) == {catalog.VISITS_METRIC: 1.0, catalog.UNIQUE_VISITORS_METRIC: 1.0}
    # And a batch of the reset alone publishes nothing at all
    assert run_visit_metrics(records[:1]) == ""


def test_an_unreadable_timestamp_is_counted_in_the_current_bucket_with_a_warning(
    run_visit_metrics: RunVisitMetrics,
) -> None:
    # Given a counted view whose creation time is in no known shape
    records = [totals_record(created={"seconds": 1}, old=(1, 1), new=(2, 2), event_id="bad-time")]
    # When the batch is handled
    before = _recent_bucket(0)
    output = run_visit_metrics(records)
    after = _recent_bucket(0)
    # Then the view is still counted, under the bucket the batch ran in
    [document] = _emf_documents(output)
    assert document["_aws"]["Timestamp"] in {_epoch_ms(before), _epoch_ms(after)}
    assert _sums(output) == {catalog.VISITS_METRIC: 1.0, catalog.UNIQUE_VISITORS_METRIC: 1.0}
    # And one warning says which record, and what it held
    [warning] = log_records(output)
    assert warning["level"] == "WARNING"
    assert warning["event_ids"] == ["bad-time"]
    assert warning["timestamps_seen"] == ["{'seconds': 1}"]


def test_an_empty_batch_prints_nothing(run_visit_metrics: RunVisitMetrics) -> None:
    # Given / When a batch without records
    output = run_visit_metrics([])
    # Then no EMF document and no log line is written
    assert output == ""


def test_creation_times_are_read_as_epoch_seconds_or_iso_8601_and_nothing_else() -> None:
    # Given the same view timestamped as epoch seconds (a number or a string), as ISO-8601 with and without an
    # offset, and in shapes Lambda never sends (a datetime parsed by an SDK, epoch milliseconds, a bool, nonsense)
    bucket = datetime(2026, 12, 1, 18, 55, tzinfo=UTC)
    readable = [
        bucket.timestamp() + 270,
        str(bucket.timestamp() + 270),
        "2026-12-01T18:59:30Z",
        "2026-12-01T19:59:30+01:00",
        "2026-12-01T18:59:30",
    ]
    unreadable = [bucket, bucket.timestamp() * 1000, True, "yesterday", float("nan")]
    now = datetime(2026, 12, 1, 19, 7, 42, tzinfo=UTC)

    def figures_of(created: object) -> tuple[list[BucketFigures], int]:
        record = totals_record(created=created, old=(1, 1), new=(2, 1))
        figures = bucket_figures([record], now=now)
        return figures.buckets, len(figures.unreadable_timestamps)

    # When each is read / Then the readable ones count in their own bucket, the others in `now`'s, flagged
    assert [figures_of(created) for created in readable] == [([BucketFigures(bucket, 1, 0)], 0)] * len(readable)
    current = datetime(2026, 12, 1, 19, 5, tzinfo=UTC)
    assert [figures_of(created) for created in unreadable] == [([BucketFigures(current, 1, 0)], 1)] * len(unreadable)
