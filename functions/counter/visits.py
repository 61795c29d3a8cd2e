"""Counting visits honestly: the domain logic, and the only code on the counter's path that talks to DynamoDB.

A counted visit is two conditional writes (the reasoning: docs/performance.md; what is stored: docs/privacy.md):

1. the gate, on the item of the day of the visit's network (everyone behind its source IP): adds the visit's id,
   one view to the network and one to the visitor, only if that id is not there yet, the visitor is under
   `max_views_per_day` and the network under `max_views_per_network_per_day`. A failed condition returns the
   item, which says why: a retry of a counted visit, the network's limit, or the visitor's.
2. the totals, on the site's item (the one the first version wrote, so a deployed count carries on).

The client never retries (app.py): a write whose answer was lost may have been applied, and sending it again
would count a visit twice. Reads change nothing, so they are retried here. When the gate's outcome is unknown,
or the totals write is known not to have been applied, the gate's entry is undone (token-guarded) and the
client's retry counts the visit; when the totals write's outcome is unknown, the visit is taken as counted. A
visit can be lost, never counted twice.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from functions.common import catalog
from functions.counter.visitors import SALT_BYTES, day_expiry, network_id, utc_day, visit_digest, visitor_id

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# DynamoDB refused the request: nothing was applied, the same request may succeed later.
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
REFUSED_ERROR_CODES: Final = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
# The request reached DynamoDB, which failed: it may or may not have been applied.
UNCERTAIN_ERROR_CODES: Final = frozenset({"InternalServerError", "ServiceUnavailable"})
RETRYABLE_ERROR_CODES: Final = REFUSED_ERROR_CODES | UNCERTAIN_ERROR_CODES
NOT_SENT_ERRORS: Final = (EndpointConnectionError, ConnectTimeoutError)
"""The request never reached DynamoDB."""
UNCERTAIN_ERRORS: Final = (ReadTimeoutError, ConnectionClosedError)
"""The request was sent; its answer never came."""
READ_ATTEMPTS: Final = 2
READ_RETRY_PAUSE_SECONDS: Final = 0.05
"""Enough for a throttled partition to take the read; two attempts of ~1.5 s stay inside the function's timeout."""
_CONDITION_FAILED: Final = "ConditionalCheckFailedException"
_TOTALS_KEY: Final = {catalog.VISITS_PARTITION_KEY: {"S": catalog.VISITS_ITEM_KEY}}
_MAX_TOTALS_ATTEMPTS: Final = 3
"""Each attempt that fails its condition is an answer (the stored day moved on), never an uncertain write."""


class VisitStoreUnavailableError(Exception):
    """DynamoDB throttled or could not be reached. `maybe_counted`: a write's outcome is unknown."""

    def __init__(self, message: str, *, maybe_counted: bool = False) -> None:
        super().__init__(message)
        self.maybe_counted = maybe_counted


class Outcome(Enum):
    FIRST_VIEW = "first_view"
    """Counted, and the visitor's first view of the day: one more unique visitor."""
    REPEAT_VIEW = "repeat_view"
    ALREADY_COUNTED = "already_counted"
    """A retry of a visit that was counted: not counted again."""
    OVER_DAILY_LIMIT = "over_daily_limit"
    OVER_NETWORK_LIMIT = "over_network_limit"


@dataclass(frozen=True)
class Visit:
    visit_id: str
    source_ip: str
    user_agent: str


@dataclass(frozen=True)
class Totals:
    count: int
    unique_visitors: int
    today_count: int
    today_unique_visitors: int

    @classmethod
    def from_item(cls, item: dict[str, Any] | None, day: str) -> Totals:
        item = item or {}

        def number(name: str) -> int:
            return int(item[name]["N"]) if name in item else 0

        is_today = item.get(catalog.TODAY_ATTRIBUTE, {}).get("S") == day
        return cls(
            count=number(catalog.VISITS_COUNT_ATTRIBUTE),
            unique_visitors=number(catalog.UNIQUE_VISITORS_ATTRIBUTE),
            today_count=number(catalog.TODAY_VIEWS_ATTRIBUTE) if is_today else 0,
            today_unique_visitors=number(catalog.TODAY_UNIQUE_ATTRIBUTE) if is_today else 0,
        )


@dataclass(frozen=True)
class VisitResult:
    outcome: Outcome
    totals: Totals


def utc_now() -> datetime:
    return datetime.now(UTC)


class VisitCounter:
    """`client` must make a single attempt per call (no SDK retries): reads are retried here, writes never."""

    def __init__(
        self,
        *,
        client: DynamoDBClient,
        table_name: str,
        max_views_per_day: int,
        max_views_per_network_per_day: int,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.client = client
        self.table_name = table_name
        self.max_views_per_day = max_views_per_day
        self.max_views_per_network_per_day = max_views_per_network_per_day
        self.clock = clock
        self._salt: tuple[str, bytes] | None = None
        """The day's salt, once read or created: read once per container and day."""
        self._stored_day: str | None = None
        """The day the totals item counted at this container's last write: picks the right write first (a wrong
        guess, as on the day's first visit, costs one refused write)."""

    def totals(self) -> Totals:
        """The stored figures (zeros before the first visit); today's are zero until today's first visit."""
        day = utc_day(self.clock())
        with _store_errors():
            item = consistent_get(self.client, self.table_name, _TOTALS_KEY)
        return Totals.from_item(item, day)

    def record_visit(self, visit: Visit) -> VisitResult:
        day = utc_day(self.clock())
        with _store_errors():
            salt = self._salt_of(day)
        network = network_id(salt, source_ip=visit.source_ip, site=self.table_name)
        visitor = visitor_id(salt, source_ip=visit.source_ip, user_agent=visit.user_agent, site=self.table_name)
        gate = _Gate(
            self.client,
            self.table_name,
            key=f"{catalog.NETWORK_KEY_PREFIX}{day}#{network}",
            visitor=f"{catalog.VISITOR_ATTRIBUTE_PREFIX}{visitor}",
            visit=visit_digest(visit.visit_id),
        )
        outcome = gate.enter(
            day, max_views=self.max_views_per_day, max_network_views=self.max_views_per_network_per_day
        )
        if outcome not in (Outcome.FIRST_VIEW, Outcome.REPEAT_VIEW):
            return VisitResult(outcome, self.totals())
        try:
            totals = self._add_to_totals(day, first_view=outcome is Outcome.FIRST_VIEW)
        except VisitStoreUnavailableError as error:
            if not error.maybe_counted:
                gate.undo()
            raise
        return VisitResult(outcome, totals)

    def _salt_of(self, day: str) -> bytes:
        if self._salt is None or self._salt[0] != day:
            self._salt = (day, self._read_salt(day) or self._create_salt(day))
        return self._salt[1]

    def _read_salt(self, day: str) -> bytes | None:
        item = consistent_get(self.client, self.table_name, _salt_key(day))
        return None if item is None else bytes.fromhex(item[catalog.SALT_ATTRIBUTE]["S"])

    def _create_salt(self, day: str) -> bytes:
        """Race-free: the first conditional put wins, and every other container reads the winner's salt back.
        NOTE: a failed condition is an answer (ConditionalCheckFailedException), so no salt is ever replaced.
        https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html"""
        salt = secrets.token_bytes(SALT_BYTES)
        try:
            self.client.put_item(
                TableName=self.table_name,
                Item={
                    **_salt_key(day),
                    # Hex text rather than a binary attribute: every tool that reads the table (and the local
                    # system's saved state, JSON) handles strings.
                    catalog.SALT_ATTRIBUTE: {"S": salt.hex()},
                    catalog.EXPIRES_AT_ATTRIBUTE: {"N": str(day_expiry(day))},
                },
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": catalog.VISITS_PARTITION_KEY},
            )
        except ClientError as exc:
            if error_code(exc) != _CONDITION_FAILED:
                raise
            winner = self._read_salt(day)
            if winner is None:
                raise VisitStoreUnavailableError(f"the salt of {day} was created but cannot be read") from exc
            return winner
        return salt

    def _add_to_totals(self, day: str, *, first_view: bool) -> Totals:
        """One conditional update of the totals item; a new UTC day resets today's figures in the same write."""
        stored_day = self._stored_day or day
        for _ in range(_MAX_TOTALS_ATTEMPTS):
            update = _totals_update(day, stored_day, first_view=first_view)
            try:
                with _store_errors():
                    response = self.client.update_item(
                        TableName=self.table_name,
                        Key=_TOTALS_KEY,
                        ReturnValues="ALL_NEW",
                        ReturnValuesOnConditionCheckFailure="ALL_OLD",
                        **update,
                    )
            except ClientError as exc:
                if error_code(exc) != _CONDITION_FAILED:
                    raise
                stored_day = exc.response.get("Item", {}).get(catalog.TODAY_ATTRIBUTE, {}).get("S", "")  # type: ignore[attr-defined]
                continue
            item = response["Attributes"]
            self._stored_day = item[catalog.TODAY_ATTRIBUTE]["S"]
            return Totals.from_item(item, day)
        raise VisitStoreUnavailableError(f"the totals' day kept changing during {_MAX_TOTALS_ATTEMPTS} writes")


def _salt_key(day: str) -> dict[str, Any]:
    return {catalog.VISITS_PARTITION_KEY: {"S": catalog.SALT_KEY_PREFIX + day}}


def _totals_update(day: str, stored_day: str, *, first_view: bool) -> dict[str, Any]:
    """The update for a totals item believed to count `stored_day`: the same day, an older one (reset today's
    figures) or a newer one (a request that began before midnight: it adds to the totals only)."""
    names = {
        "#count": catalog.VISITS_COUNT_ATTRIBUTE,
        "#unique": catalog.UNIQUE_VISITORS_ATTRIBUTE,
        "#day": catalog.TODAY_ATTRIBUTE,
    }
    values: dict[str, Any] = {":one": {"N": "1"}, ":unique": {"N": "1" if first_view else "0"}, ":day": {"S": day}}
    totals = "#count :one, #unique :unique"
    if stored_day > day:
        return _expression(f"ADD {totals}", "#day > :day", names, values)
    names |= {"#today_views": catalog.TODAY_VIEWS_ATTRIBUTE, "#today_unique": catalog.TODAY_UNIQUE_ATTRIBUTE}
    if stored_day == day:
        return _expression(f"ADD {totals}, #today_views :one, #today_unique :unique", "#day = :day", names, values)
    return _expression(
        f"SET #day = :day, #today_views = :one, #today_unique = :unique ADD {totals}",
        "attribute_not_exists(#day) OR #day < :day",
        names,
        values,
    )


def _expression(update: str, condition: str, names: dict[str, str], values: dict[str, Any]) -> dict[str, Any]:
    return {
        "UpdateExpression": update,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }


@dataclass(frozen=True)
class _Gate:
    """One visit's entry on its network's item of the day: the counted visit ids (short digests), the network's
    views, and one top-level attribute per visitor of the network with that visitor's views.
    NOTE: a top-level attribute, not a map's entry: SET or ADD on a path inside a map fails when the map does not
    exist yet, and one write has to create the item or add to it.
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html"""

    client: DynamoDBClient
    table_name: str
    key: str
    visitor: str
    """The attribute holding the visitor's views."""
    visit: str
    """The visit id's digest, as stored in the set of counted visits."""
    write_token: str = field(default_factory=lambda: secrets.token_hex(8))
    """Marks this write, so undo() reverts it and never an earlier write of the same visit (a retry whose own
    write failed its condition must not take the first, counted one back out)."""

    def enter(self, day: str, *, max_views: int, max_network_views: int) -> Outcome:
        try:
            with _store_errors():
                response = self.client.update_item(
                    TableName=self.table_name,
                    Key={catalog.VISITS_PARTITION_KEY: {"S": self.key}},
                    UpdateExpression="ADD #views :one, #visitor :one, #ids :ids"
                    " SET #expires = :expires, #token = :token",
                    # NOTE: `contains` on a string set is true when the set holds the value; on a missing
                    # attribute it is false. A failed condition writes nothing.
                    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html
                    ConditionExpression="NOT contains(#ids, :id)"
                    " AND (attribute_not_exists(#visitor) OR #visitor < :max_views)"
                    " AND (attribute_not_exists(#views) OR #views < :max_network_views)",
                    ExpressionAttributeNames={**self._names(), "#expires": catalog.EXPIRES_AT_ATTRIBUTE},
                    ExpressionAttributeValues={
                        ":one": {"N": "1"},
                        ":ids": {"SS": [self.visit]},
                        ":id": {"S": self.visit},
                        ":max_views": {"N": str(max_views)},
                        ":max_network_views": {"N": str(max_network_views)},
                        ":expires": {"N": str(day_expiry(day))},
                        ":token": {"S": self.write_token},
                    },
                    ReturnValues="UPDATED_NEW",
                    # NOTE: a failed condition returns the item as it was, so the refusal says why without
                    # another read; it still costs 1 WRU, like any write.
                    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as exc:
            if error_code(exc) != _CONDITION_FAILED:
                raise
            item: dict[str, Any] = exc.response.get("Item", {})  # type: ignore[assignment]
            return self._refusal(item, max_network_views)
        except VisitStoreUnavailableError as error:
            if error.maybe_counted:
                self.undo()
            raise
        views = int(response["Attributes"][self.visitor]["N"])
        return Outcome.FIRST_VIEW if views == 1 else Outcome.REPEAT_VIEW

    def _refusal(self, item: dict[str, Any], max_network_views: int) -> Outcome:
        """Which part of the condition the item as it was failed (a counted retry first: it is the same visit)."""
        if self.visit in item.get(catalog.VISIT_IDS_ATTRIBUTE, {}).get("SS", []):
            return Outcome.ALREADY_COUNTED
        if int(item.get(catalog.NETWORK_VIEWS_ATTRIBUTE, {}).get("N", "0")) >= max_network_views:
            return Outcome.OVER_NETWORK_LIMIT
        return Outcome.OVER_DAILY_LIMIT

    def undo(self) -> None:
        """Takes this write's view back out of the gate, so a retry of the visit is counted. Best effort: if this
        fails too, or a later view from the network replaced the token, a retry is answered as already counted
        (one visit lost, none doubled)."""
        try:
            with _store_errors():
                self.client.update_item(
                    TableName=self.table_name,
                    Key={catalog.VISITS_PARTITION_KEY: {"S": self.key}},
                    UpdateExpression="ADD #views :minus_one, #visitor :minus_one DELETE #ids :ids REMOVE #token",
                    ConditionExpression="contains(#ids, :id) AND #token = :token",
                    ExpressionAttributeNames=self._names(),
                    ExpressionAttributeValues={
                        ":minus_one": {"N": "-1"},
                        ":ids": {"SS": [self.visit]},
                        ":id": {"S": self.visit},
                        ":token": {"S": self.write_token},
                    },
                )
        except (ClientError, VisitStoreUnavailableError):
            return

    def _names(self) -> dict[str, str]:
        return {
            "#views": catalog.NETWORK_VIEWS_ATTRIBUTE,
            "#visitor": self.visitor,
            "#ids": catalog.VISIT_IDS_ATTRIBUTE,
            "#token": catalog.LAST_WRITE_ATTRIBUTE,
        }


@contextmanager
def _store_errors() -> Iterator[None]:
    """Turns DynamoDB's transient failures into VisitStoreUnavailableError, saying whether the write may have
    been applied; a failed condition and any other error propagate."""
    try:
        yield
    except ClientError as exc:
        code = error_code(exc)
        if code in RETRYABLE_ERROR_CODES:
            raise VisitStoreUnavailableError(str(exc), maybe_counted=code in UNCERTAIN_ERROR_CODES) from exc
        raise
    except NOT_SENT_ERRORS as exc:
        raise VisitStoreUnavailableError(str(exc)) from exc
    except UNCERTAIN_ERRORS as exc:
        raise VisitStoreUnavailableError(str(exc), maybe_counted=True) from exc


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def consistent_get(client: DynamoDBClient, table_name: str, key: dict[str, Any]) -> dict[str, Any] | None:
    """The item (None if there is none), read strongly consistently, tried twice on a transient failure.
    NOTE: a reload right after a POST must show that visit, and a salt just created by another container must
    be found, so every read is of the latest write."""
    for attempt in range(1, READ_ATTEMPTS + 1):
        try:
            item: dict[str, Any] | None = client.get_item(TableName=table_name, Key=key, ConsistentRead=True).get(
                "Item"
            )
            return item
        except ClientError as exc:
            if attempt == READ_ATTEMPTS or error_code(exc) not in RETRYABLE_ERROR_CODES:
                raise
        except (*NOT_SENT_ERRORS, *UNCERTAIN_ERRORS):
            if attempt == READ_ATTEMPTS:
                raise
        time.sleep(READ_RETRY_PAUSE_SECONDS)
    raise AssertionError("unreachable: the last attempt returns or raises")
