"""Counting visits honestly: the domain logic, and the only code on the counter's path that talks to DynamoDB.

A counted visit is two conditional writes, the gate on its network's item of the day and the site's totals item;
a view with an application link's code writes its link's item too (best effort). The client makes one attempt per
call: a visit can be lost, never counted twice. Why and how: docs/performance.md; what is stored: docs/privacy.md.
"""

from __future__ import annotations

import secrets
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
NOT_SENT_ERRORS: Final = (EndpointConnectionError, ConnectTimeoutError)
"""The request never reached DynamoDB."""
UNCERTAIN_ERRORS: Final = (ReadTimeoutError, ConnectionClosedError)
"""The request was sent; its answer never came."""
_CONDITION_FAILED: Final = "ConditionalCheckFailedException"
_TOTALS_KEY: Final = {catalog.VISITS_PARTITION_KEY: {"S": catalog.VISITS_ITEM_KEY}}
_SECONDS_PER_DAY: Final = 86_400
_MAX_TOTALS_ATTEMPTS: Final = 3
"""Each attempt that fails its condition is an answer (the stored day moved on), never an uncertain write."""
_MAX_LINK_ATTEMPTS: Final = 4
"""An unknown code, a guess of the link's last day, the right variant, one more if a new day began between them."""


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
    source: str | None = None
    """Where the visitor came from (sources.py), counted on their first counted view of the day; None: not told."""
    link: str | None = None
    """The application link's code the page was opened with (catalog.LINK_CODE_PATTERN)."""
    download: bool = False
    """A download of the résumé, counted once per visitor and day, not a view."""


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
    link_lost: bool = False
    """The view counted, but its application link's item could not be written (DynamoDB unavailable)."""
    link: str | None = None
    """The code the view was counted under: the owner's, or OTHER_LINK_CODE for one the owner did not make."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class VisitCounter:
    """`client` must make a single attempt per call (no SDK retries): a resent write could count a visit twice."""

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
        self._link_days: dict[str, str] = {}
        """The day each link was last seen opened by this container: its next view that day is one write, not a
        refused guess and a second write."""

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
            visitor=visitor,
            visit=visit_digest(visit.visit_id),
            download=visit.download,
        )
        outcome = gate.enter(
            day, max_views=self.max_views_per_day, max_network_views=self.max_views_per_network_per_day
        )
        if outcome not in (Outcome.FIRST_VIEW, Outcome.REPEAT_VIEW):
            return VisitResult(outcome, self.totals())
        first_view = outcome is Outcome.FIRST_VIEW and not visit.download
        added = _Added(
            views=0 if visit.download else 1,
            unique=1 if first_view else 0,
            downloads=1 if visit.download else 0,
            source=visit.source if first_view else None,
        )
        try:
            totals = self._add_to_totals(day, added)
        except VisitStoreUnavailableError as error:
            if not error.maybe_counted:
                gate.undo()
            raise
        if visit.link is None or visit.download:
            return VisitResult(outcome, totals)
        try:
            counted_as = self._open_link(visit.link, day)
        except VisitStoreUnavailableError:
            # The view is counted (its retry would be answered already_counted): only the link's view is lost.
            return VisitResult(outcome, totals, link_lost=True)
        return VisitResult(outcome, totals, link=counted_as)

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

    def _add_to_totals(self, day: str, added: _Added) -> Totals:
        """One conditional update of the totals item, for the stored day being today's; a refused write returns
        the item, whose day says which write applies: a new UTC day resets today's figures in the same write, once
        the day before is copied to its day item."""
        stored_day = day
        stored: dict[str, Any] = {}
        for _ in range(_MAX_TOTALS_ATTEMPTS):
            update = _totals_update(day, stored_day, added, stored)
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
                stored = exc.response.get("Item", {})  # type: ignore[assignment]
                stored_day = stored.get(catalog.TODAY_ATTRIBUTE, {}).get("S", "")
                if stored_day and stored_day < day:
                    self._keep_day(stored_day, stored)
                continue
            return Totals.from_item(response["Attributes"], day)
        raise VisitStoreUnavailableError(f"the totals' day kept changing during {_MAX_TOTALS_ATTEMPTS} writes")

    def _keep_day(self, day: str, totals_item: dict[str, Any]) -> None:
        """Copies a past day's figures from the totals item (as its refused write returned it) to the day's item,
        for `make stats` and the digest. A later copy of the same day replaces it with the same figures.
        Failing, it fails the visit before the totals move on (nothing counted), so the retry copies it again."""
        figures = catalog.DAY_FIGURES_FROM_TODAY
        item = {name: totals_item[today] for name, today in figures.items() if today in totals_item}
        item |= {name: value for name, value in totals_item.items() if name.startswith(catalog.SOURCE_ATTRIBUTE_PREFIX)}
        expires = day_expiry(day) + catalog.DAY_ITEM_RETENTION_DAYS * _SECONDS_PER_DAY
        try:
            with _store_errors():
                self.client.put_item(
                    TableName=self.table_name,
                    Item={
                        **item,
                        catalog.VISITS_PARTITION_KEY: {"S": catalog.DAY_KEY_PREFIX + day},
                        catalog.EXPIRES_AT_ATTRIBUTE: {"N": str(expires)},
                    },
                )
        except VisitStoreUnavailableError as error:
            raise VisitStoreUnavailableError(str(error)) from error

    def _open_link(self, code: str, day: str) -> str:
        """One view of an application link: on its item when the owner made the code, else on OTHER_LINK_CODE's
        (so a stranger's codes add no item); returns which. The first write takes it for the link's first view of
        the day unless this container saw it opened today; refused, the item it returns says whether the code is
        unknown or the link was opened today."""
        must_exist = True
        new_day = self._link_days.get(code) != day
        for _ in range(_MAX_LINK_ATTEMPTS):
            try:
                with _store_errors():
                    self.client.update_item(
                        TableName=self.table_name,
                        Key={catalog.VISITS_PARTITION_KEY: {"S": catalog.LINK_KEY_PREFIX + code}},
                        ReturnValuesOnConditionCheckFailure="ALL_OLD",
                        **_link_update(day, new_day=new_day, must_exist=must_exist),
                    )
            except ClientError as exc:
                if error_code(exc) != _CONDITION_FAILED:
                    raise
                item: dict[str, Any] = exc.response.get("Item", {})  # type: ignore[assignment]
                if not item and must_exist:
                    code, must_exist = catalog.OTHER_LINK_CODE, False
                    new_day = self._link_days.get(code) != day
                    continue
                new_day = item.get(catalog.LINK_LAST_OPENED_ATTRIBUTE, {}).get("S", "") < day
                continue
            self._link_days[code] = day
            return code
        raise VisitStoreUnavailableError(f"the link's day kept changing during {_MAX_LINK_ATTEMPTS} writes")


@dataclass(frozen=True)
class _Added:
    """What one counted request adds to the totals item."""

    views: int
    unique: int
    downloads: int
    source: str | None
    """Today's count of this source gets one (a visitor's first counted view of the day only)."""


def _link_update(day: str, *, new_day: bool, must_exist: bool) -> dict[str, Any]:
    names = {
        "#last": catalog.LINK_LAST_OPENED_ATTRIBUTE,
        "#views": catalog.LINK_VIEWS_ATTRIBUTE,
    }
    values: dict[str, Any] = {":one": {"N": "1"}, ":day": {"S": day}}
    exists = ""
    if must_exist:
        names["#pk"] = catalog.VISITS_PARTITION_KEY
        exists = "attribute_exists(#pk) AND "
    if not new_day:
        # The link was opened today already (or a request began before midnight, after it): a view, no new day.
        return _expression("ADD #views :one", f"{exists}#last >= :day", names, values)
    names |= {"#first": catalog.LINK_FIRST_OPENED_ATTRIBUTE, "#days": catalog.LINK_DAYS_ATTRIBUTE}
    return _expression(
        "SET #last = :day, #first = if_not_exists(#first, :day) ADD #days :one, #views :one",
        f"{exists}(attribute_not_exists(#last) OR #last < :day)",
        names,
        values,
    )


def _salt_key(day: str) -> dict[str, Any]:
    return {catalog.VISITS_PARTITION_KEY: {"S": catalog.SALT_KEY_PREFIX + day}}


def _totals_update(day: str, stored_day: str, added: _Added, stored: dict[str, Any]) -> dict[str, Any]:
    """The update for a totals item believed to count `stored_day`: the same day, an older one (reset today's
    figures; `stored` is the item as its refused write returned it) or a newer one (a request that began before
    midnight: it adds to the totals only)."""
    names = {
        "#count": catalog.VISITS_COUNT_ATTRIBUTE,
        "#unique": catalog.UNIQUE_VISITORS_ATTRIBUTE,
        "#day": catalog.TODAY_ATTRIBUTE,
    }
    values: dict[str, Any] = {
        ":views": {"N": str(added.views)},
        ":unique": {"N": str(added.unique)},
        ":day": {"S": day},
    }
    totals = "#count :views, #unique :unique"
    if stored_day > day:
        return _expression(f"ADD {totals}", "#day > :day", names, values)
    values[":downloads"] = {"N": str(added.downloads)}
    names |= {
        "#today_views": catalog.TODAY_VIEWS_ATTRIBUTE,
        "#today_unique": catalog.TODAY_UNIQUE_ATTRIBUTE,
        "#today_downloads": catalog.TODAY_DOWNLOADS_ATTRIBUTE,
    }
    source = "" if added.source is None else catalog.SOURCE_ATTRIBUTE_PREFIX + added.source
    if source:
        names["#source"] = source
        values[":one"] = {"N": "1"}
    if stored_day == day:
        add_source = ", #source :one" if source else ""
        return _expression(
            f"ADD {totals}, #today_views :views, #today_unique :unique, #today_downloads :downloads{add_source}",
            "#day = :day",
            names,
            values,
        )
    # NOTE: a new day starts its sources from nothing: the day before's (the stored item's) are removed in the
    # same write; a path may not be both set and removed.
    removed = sorted(name for name in stored if name.startswith(catalog.SOURCE_ATTRIBUTE_PREFIX) and name != source)
    names |= {f"#old{index}": name for index, name in enumerate(removed)}
    remove = " REMOVE " + ", ".join(f"#old{index}" for index in range(len(removed))) if removed else ""
    set_source = ", #source = :one" if source else ""
    return _expression(
        "SET #day = :day, #today_views = :views, #today_unique = :unique, #today_downloads = :downloads"
        f"{set_source} ADD {totals}{remove}",
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
    views, and one top-level attribute per visitor of the network with that visitor's views; or, for a download,
    the visitor's short hash in the network's set of the day's downloaders (at most the network's view limit).
    NOTE: a top-level attribute, not a map's entry: SET or ADD on a path inside a map fails when the map does not
    exist yet, and one write has to create the item or add to it.
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html"""

    client: DynamoDBClient
    table_name: str
    key: str
    visitor: str
    """The visitor's short keyed hash of the day."""
    visit: str
    """The visit id's digest, as stored in the set of counted visits."""
    download: bool = False
    write_token: str = field(default_factory=lambda: secrets.token_hex(8))
    """Marks this write, so undo() reverts it and never an earlier write of the same visit (a retry whose own
    write failed its condition must not take the first, counted one back out)."""

    def enter(self, day: str, *, max_views: int, max_network_views: int) -> Outcome:
        try:
            with _store_errors():
                response = self.client.update_item(
                    TableName=self.table_name,
                    Key={catalog.VISITS_PARTITION_KEY: {"S": self.key}},
                    ReturnValues="UPDATED_NEW",
                    # NOTE: a failed condition returns the item as it was, so the refusal says why without
                    # another read; it still costs 1 WRU, like any write.
                    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                    **self._entry(day, max_views=max_views, max_network_views=max_network_views),
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
        if self.download:
            return Outcome.FIRST_VIEW  # the visitor's one download of the day
        views = int(response["Attributes"][self._visitor_attribute]["N"])
        return Outcome.FIRST_VIEW if views == 1 else Outcome.REPEAT_VIEW

    def _entry(self, day: str, *, max_views: int, max_network_views: int) -> dict[str, Any]:
        names = self._names() | {"#expires": catalog.EXPIRES_AT_ATTRIBUTE}
        values: dict[str, Any] = {
            ":max_network_views": {"N": str(max_network_views)},
            ":expires": {"N": str(day_expiry(day))},
            ":token": {"S": self.write_token},
        }
        # NOTE: `contains` on a set is true when the set holds the value, false on a missing attribute; `size` of a
        # set is its number of members. A failed condition writes nothing.
        # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html
        if self.download:
            return _expression(
                "ADD #downloaded :visitors SET #expires = :expires, #token = :token",
                "NOT contains(#downloaded, :visitor)"
                " AND (attribute_not_exists(#downloaded) OR size(#downloaded) < :max_network_views)",
                names,
                values | {":visitors": {"SS": [self.visitor]}, ":visitor": {"S": self.visitor}},
            )
        return _expression(
            "ADD #views :one, #visitor :one, #ids :ids SET #expires = :expires, #token = :token",
            "NOT contains(#ids, :id)"
            " AND (attribute_not_exists(#visitor) OR #visitor < :max_views)"
            " AND (attribute_not_exists(#views) OR #views < :max_network_views)",
            names,
            values
            | {
                ":one": {"N": "1"},
                ":ids": {"SS": [self.visit]},
                ":id": {"S": self.visit},
                ":max_views": {"N": str(max_views)},
            },
        )

    @property
    def _visitor_attribute(self) -> str:
        return catalog.VISITOR_ATTRIBUTE_PREFIX + self.visitor

    def _refusal(self, item: dict[str, Any], max_network_views: int) -> Outcome:
        """Which part of the condition the item as it was failed (a counted retry first: it is the same visit)."""
        if self.download:
            downloaded = item.get(catalog.DOWNLOADED_ATTRIBUTE, {}).get("SS", [])
            return Outcome.ALREADY_COUNTED if self.visitor in downloaded else Outcome.OVER_NETWORK_LIMIT
        if self.visit in item.get(catalog.VISIT_IDS_ATTRIBUTE, {}).get("SS", []):
            return Outcome.ALREADY_COUNTED
        if int(item.get(catalog.NETWORK_VIEWS_ATTRIBUTE, {}).get("N", "0")) >= max_network_views:
            return Outcome.OVER_NETWORK_LIMIT
        return Outcome.OVER_DAILY_LIMIT

    def undo(self) -> None:
        """Takes this write's view back out of the gate, so a retry of the visit is counted. Best effort: if this
        fails too, or a later view from the network replaced the token, a retry is answered as already counted
        (one visit lost, none doubled)."""
        token = {":token": {"S": self.write_token}}
        if self.download:
            undo = _expression(
                "DELETE #downloaded :visitors REMOVE #token",
                "contains(#downloaded, :visitor) AND #token = :token",
                self._names(),
                token | {":visitors": {"SS": [self.visitor]}, ":visitor": {"S": self.visitor}},
            )
        else:
            undo = _expression(
                "ADD #views :minus_one, #visitor :minus_one DELETE #ids :ids REMOVE #token",
                "contains(#ids, :id) AND #token = :token",
                self._names(),
                token | {":minus_one": {"N": "-1"}, ":ids": {"SS": [self.visit]}, ":id": {"S": self.visit}},
            )
        try:
            with _store_errors():
                self.client.update_item(
                    TableName=self.table_name, Key={catalog.VISITS_PARTITION_KEY: {"S": self.key}}, **undo
                )
        except (ClientError, VisitStoreUnavailableError):
            return

    def _names(self) -> dict[str, str]:
        """The names the gate's expressions use (DynamoDB refuses a name an expression does not use)."""
        if self.download:
            return {"#downloaded": catalog.DOWNLOADED_ATTRIBUTE, "#token": catalog.LAST_WRITE_ATTRIBUTE}
        return {
            "#views": catalog.NETWORK_VIEWS_ATTRIBUTE,
            "#visitor": self._visitor_attribute,
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
        if code in REFUSED_ERROR_CODES | UNCERTAIN_ERROR_CODES:
            raise VisitStoreUnavailableError(str(exc), maybe_counted=code in UNCERTAIN_ERROR_CODES) from exc
        raise
    except NOT_SENT_ERRORS as exc:
        raise VisitStoreUnavailableError(str(exc)) from exc
    except UNCERTAIN_ERRORS as exc:
        raise VisitStoreUnavailableError(str(exc), maybe_counted=True) from exc


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def consistent_get(client: DynamoDBClient, table_name: str, key: dict[str, Any]) -> dict[str, Any] | None:
    """The item (None if there is none), read strongly consistently.
    NOTE: a reload right after a POST must show that visit, and a salt just created by another container must
    be found, so every read is of the latest write."""
    item: dict[str, Any] | None = client.get_item(TableName=table_name, Key=key, ConsistentRead=True).get("Item")
    return item
