"""DynamoDB stream → Lambda locally: each stream event source mapping of the template (stream_mappings.py) reads its
table's stream on the emulator and invokes its function through the one runtime, as Lambda's mapping does.

- Starting position: LATEST, taken when the system starts, after the tables' snapshot is restored (state.py): the
  restored items are written then and are no news, so they never reach the function (on AWS the table and its
  stream simply go on). Records written before the mapping starts are skipped, as on AWS.
- Shards: each is read in order with its own iterator; a shard found later (moto has one per table; DynamoDB splits
  them) is read from its start, a closed one is dropped once read to its end.
- FilterCriteria: exact values in nested objects and lists (event_filters.py); a record passes when any filter
  matches, and a filtered-out record is neither delivered nor counted in a batch.
- Batches: up to BatchSize records per event, each shaped like Lambda's DynamoDB record (stream_events.py).
- Errors: a failing batch is split in halves when BisectBatchOnFunctionError is set, else retried whole; a batch
  that cannot be split (one record) is retried up to MaximumRetryAttempts, then Lambda's on-failure record goes to
  the destination queue and later records flow on (the batch is not delivered again).
  https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html
  NOTE: locally a split does not use up a retry, and retries follow at once, without Lambda's backoff.

NOTE: the batching window is not the template's. Deployed, MaximumBatchingWindowInSeconds (5 minutes) trades
latency for fewer invocations, which cost money and log bytes; locally invocations are free, and a newcomer who
visits the site should see the visit on the local dashboard within a second or two, not minutes later. So the
streams are read every POLL_INTERVAL_SECONDS, not scaled by --period-scale (the window scaled by the default 1
would keep its 5 minutes), and what they hold is delivered at once: the local Visits graph lags less than the
deployed one.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from assembly.template import LocalTemplate
from infra.local.concurrency import FunctionNotFoundError, FunctionThrottledError
from infra.local.loops import BackgroundLoop
from infra.local.metrics import MetricStore
from infra.local.queues import send_to_queue
from infra.local.runtime import LambdaRuntime
from infra.local.stream_events import lambda_record, on_failure_record, without_moto_inserts
from infra.local.stream_mappings import StreamMapping, UnsupportedMappingError, stream_mappings_from_template

if TYPE_CHECKING:
    from infra.local.emulator import AwsClients

log = logging.getLogger("infra.local")

POLL_INTERVAL_SECONDS: Final = 0.5
"""How often the streams are read: a visit reaches the local dashboard within about this (the NOTE above)."""
IDLE_POLL_SECONDS: Final = 5.0
"""While no Lambda (the tables' writers) ran, the streams are read this often only. NOTE: moto keeps every shard
iterator it hands out, one per GetRecords call, for the life of the process: reading idle streams twice a second
would grow `make dev` by hundreds of MB a day."""
GET_RECORDS_LIMIT: Final = 1000  # DynamoDB Streams' maximum per GetRecords call


@dataclass
class _Shard:
    shard_id: str
    iterator: str | None
    """None once the shard is closed and read to its end."""
    pending: list[dict[str, Any]] = field(default_factory=list)
    """Records read and passed by the filters, not yet delivered (a round that failed midway resumes with them)."""


@dataclass
class _Attempt:
    records: list[dict[str, Any]]
    invocations: int = 0
    """Invocations of these records so far, in this batch or the one it was split from."""
    retries: int = 0
    """Retries of this very batch (a split does not count)."""


class StreamReader:
    """One mapping: its table's stream read from LATEST at construction, each shard with its iterator."""

    def __init__(
        self,
        mapping: StreamMapping,
        template: LocalTemplate,
        aws: AwsClients,
        runtime: LambdaRuntime,
        metrics: MetricStore,
    ) -> None:
        self.mapping = mapping
        self._aws = aws
        self._runtime = runtime
        self._metrics = metrics
        self._function_arn = template.arn(mapping.function_id)
        table = aws.dynamodb.describe_table(TableName=mapping.table_id)["Table"]
        if "LatestStreamArn" not in table:
            raise UnsupportedMappingError(f"{mapping.logical_id}: table {mapping.table_id} has no stream")
        self.stream_arn: str = table["LatestStreamArn"]
        self._shards: dict[str, _Shard] = {}
        self._discovered_at = time.monotonic()
        self._discover(initial=True)

    def _discover(self, *, initial: bool = False) -> None:
        """Tracks the shards not seen before: at the start from LATEST (open ones only), later from their start."""
        streams = self._aws.dynamodbstreams
        for shard in streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]:
            shard_id = shard["ShardId"]
            if shard_id in self._shards:
                continue
            if initial and "EndingSequenceNumber" in shard["SequenceNumberRange"]:
                self._shards[shard_id] = _Shard(shard_id, None)  # closed before the start: nothing new comes
                continue
            position = "LATEST" if initial else "TRIM_HORIZON"
            iterator = streams.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard_id, ShardIteratorType=position
            )["ShardIterator"]
            self._shards[shard_id] = _Shard(shard_id, iterator)

    def deliver(self) -> int:
        """Reads every shard to its current end and delivers what passes the filters; returns how many records."""
        if time.monotonic() - self._discovered_at >= IDLE_POLL_SECONDS:  # shards change seldom; reads are frequent
            self._discovered_at = time.monotonic()
            self._discover()
        delivered = 0
        for shard in self._shards.values():
            shard.pending += [record for record in self._read(shard) if self.mapping.passes(record)]
            while shard.pending:
                batch = shard.pending[: self.mapping.batch_size]
                self._deliver_batch(shard.shard_id, batch)
                del shard.pending[: len(batch)]
                delivered += len(batch)
        return delivered

    def _read(self, shard: _Shard) -> list[dict[str, Any]]:
        records, shard.iterator = read_to_end(self._aws.dynamodbstreams, self.stream_arn, shard.iterator)
        return records

    def _deliver_batch(self, shard_id: str, batch: list[dict[str, Any]]) -> None:
        """The batch, then its halves or itself again while it fails, until each part worked or was given up."""
        pending = [_Attempt(batch)]
        while pending:
            attempt = pending.pop(0)
            failure = self._invoke(attempt.records)
            attempt.invocations += 1
            if failure is None:
                continue
            if self.mapping.bisect_on_error and len(attempt.records) > 1:
                half = (len(attempt.records) + 1) // 2
                pending[0:0] = [
                    _Attempt(attempt.records[:half], attempt.invocations),
                    _Attempt(attempt.records[half:], attempt.invocations),
                ]
            elif attempt.retries < self.mapping.retry_attempts:
                attempt.retries += 1
                pending.insert(0, attempt)
            else:
                self._give_up(shard_id, attempt, *failure)

    def _invoke(self, records: list[dict[str, Any]]) -> tuple[int, str | None] | None:
        """None if the function took the batch, else the status code and function error Lambda reports."""
        try:
            invocation = self._runtime.function(self.mapping.function_id).invoke({"Records": records})
        except Exception as error:  # e.g. the handler's module does not import: Lambda's Runtime.ImportModuleError
            log.warning("%s: %s could not run: %r", self.mapping.logical_id, self.mapping.function_id, error)
            return 200, "Unhandled"
        if invocation.error is None:
            return None
        if isinstance(invocation.error, FunctionThrottledError):
            return 429, None
        if isinstance(invocation.error, FunctionNotFoundError):
            return 404, None
        return 200, "Unhandled"

    def _give_up(self, shard_id: str, attempt: _Attempt, status_code: int, function_error: str | None) -> None:
        count, invocations = len(attempt.records), attempt.invocations
        log.warning("%s: gave up %d record(s) after %d invocations", self.mapping.logical_id, count, invocations)
        if self.mapping.on_failure_queue is None:
            return  # no destination: Lambda discards the batch
        record = on_failure_record(
            function_arn=self._function_arn,
            stream_arn=self.stream_arn,
            shard_id=shard_id,
            records=attempt.records,
            invocations=invocations,
            status_code=status_code,
            function_error=function_error,
        )
        send_to_queue(self._aws.sqs, self._metrics, self.mapping.on_failure_queue, json.dumps(record))


def read_to_end(streams: Any, stream_arn: str, iterator: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """A shard's records from `iterator` to its current end, as Lambda passes them, and the iterator to go on
    from (None once a closed shard is read to its end)."""
    records: list[dict[str, Any]] = []
    while iterator is not None:
        page = streams.get_records(ShardIterator=iterator, Limit=GET_RECORDS_LIMIT)
        iterator = page.get("NextShardIterator")  # absent once a closed shard is read to its end
        records += [lambda_record(record, stream_arn) for record in page["Records"]]
        if len(page["Records"]) < GET_RECORDS_LIMIT:
            break  # moto returns all it holds up to the limit: the shard is read to its current end
    return without_moto_inserts(records), iterator


class StreamDelivery:
    """Every stream mapping of the template, read from LATEST from construction on. `loop` delivers in the
    background; `deliver` runs one round now; `catch_up` one unless nothing was written since the last."""

    def __init__(self, readers: list[StreamReader], writes: Callable[[], int]) -> None:
        """`writes`: a count of what may have written to the tables (Lambda invocations: `runtime.invocations`)."""
        self.readers = readers
        self.delivered = 0
        """Records delivered since the start, given-up ones included."""
        self._writes = writes
        self._lock = threading.Lock()
        self._delivered_at: int | None = None
        self._last_round = 0.0
        self.loop = BackgroundLoop("stream delivery", POLL_INTERVAL_SECONDS, self._deliver_new)

    @classmethod
    def from_template(
        cls, template: LocalTemplate, aws: AwsClients, runtime: LambdaRuntime, metrics: MetricStore
    ) -> StreamDelivery:
        """Raises UnsupportedMappingError, naming the mapping, for what the local runtime does not implement."""
        mappings = stream_mappings_from_template(template)
        readers = [StreamReader(mapping, template, aws, runtime, metrics) for mapping in mappings]
        return cls(readers, lambda: runtime.invocations)

    def deliver(self) -> int:
        """One round: every stream read to its end and its records delivered; returns how many. One round at a time
        (the loop's and a caller's that needs the metrics now)."""
        with self._lock:
            self._last_round = time.monotonic()
            delivered = 0
            for reader in self.readers:
                delivered += reader.deliver()
            self.delivered += delivered
            return delivered

    def catch_up(self) -> None:
        """Before metrics are read (alarms, dashboard, digest): the records not delivered yet, at once. A failure is
        logged (as the loop logs its rounds') and the reader goes on with the metrics there are."""
        self.loop.run_once()

    def _deliver_new(self) -> int:
        writes = self._writes()
        recent = time.monotonic() - self._last_round < IDLE_POLL_SECONDS
        if writes == self._delivered_at and recent:
            return 0  # nothing ran since the last round (a write from elsewhere waits IDLE_POLL_SECONDS at most)
        delivered = self.deliver()
        self._delivered_at = writes  # only once delivered: after a failed round the next one tries again
        return delivered
