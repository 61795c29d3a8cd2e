"""Who a visitor is, without storing who they are: a keyed hash under a random salt that lives for one UTC day.

The network id is HMAC-SHA256(salt of the day, source IP + site), the visitor id the same over source IP +
User-Agent + site, as Plausible and Ackee count unique visitors. Only the hashes are stored; once the day's salt is
gone (DynamoDB TTL) nobody, the owner included, can link one to an address or to another day (docs/privacy.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final

from botocore.exceptions import ClientError

from functions.common.catalog import EXPIRES_AT_ATTRIBUTE, SALT_ATTRIBUTE, SALT_KEY_PREFIX, VISITS_PARTITION_KEY
from functions.counter.store import consistent_get, error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

SALT_BYTES: Final = 32
"""256 random bits: as long as the HMAC-SHA256 key can usefully be."""
NETWORK_ID_HEX_CHARS: Final = 32
"""128 bits of the HMAC: collisions between two networks of one day are out of reach (birthday bound 2^64)."""
SHORT_ID_BYTES: Final = 6
"""48 bits, 8 characters, for what the network's item holds many of (its visitors, its counted visit ids), so the
item stays under 1 KB at the default limits: among one network's day, a collision is out of reach (~n²/2^49)."""
EXPIRY_GRACE: Final = timedelta(hours=1)
"""A request that started at 23:59:59 still finds its day's salt; after that, the salt may go."""
_FIELD_SEPARATOR: Final = "\n"
"""Cannot occur inside an IP, a header value or a table name, so (ip, ua, site) map to one message each."""
_NETWORK_FIELD: Final = "network"


class SaltUnavailableError(Exception):
    """The day's salt could neither be read nor created; nothing was counted."""


def utc_day(now: datetime) -> str:
    """The UTC calendar day of an aware datetime, as YYYY-MM-DD (sorts as the days do)."""
    return now.astimezone(UTC).strftime("%Y-%m-%d")


def day_expiry(day: str) -> int:
    """Epoch seconds at which a day's salt and visitor items may be deleted by TTL: the day's end plus grace."""
    # NOTE: fromisoformat, not strptime: strptime imports _strptime (and locale, calendar) on a cold start.
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return int((start + timedelta(days=1) + EXPIRY_GRACE).timestamp())


def network_id(salt: bytes, *, source_ip: str, site: str) -> str:
    """The day's pseudonymous id of a network (everyone behind one source IP, whatever their User-Agent); the same
    inputs under another day's salt give an unrelated id."""
    message = _FIELD_SEPARATOR.join((_NETWORK_FIELD, source_ip, site)).encode()
    return hmac.new(salt, message, hashlib.sha256).hexdigest()[:NETWORK_ID_HEX_CHARS]


def visitor_id(salt: bytes, *, source_ip: str, user_agent: str, site: str) -> str:
    """The day's pseudonymous id of a visitor, unique within their network's item of the day."""
    message = _FIELD_SEPARATOR.join((source_ip, user_agent, site)).encode()
    return _short(hmac.new(salt, message, hashlib.sha256).digest())


def visit_digest(visit_id: str) -> str:
    """What the network's item keeps of a counted visit id (a random id, not personal: hashed only to be short)."""
    return _short(hashlib.sha256(visit_id.encode()).digest())


def _short(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest[:SHORT_ID_BYTES]).decode()


class DailySalts:
    """The salt of each UTC day, created once by whichever request needs it first, read once per container."""

    def __init__(self, *, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table_name = table_name
        self._cached: tuple[str, bytes] | None = None
        self.created_day: str | None = None
        """The day whose salt this container created, if any: then it is likely the day's first visit."""

    def for_day(self, day: str) -> bytes:
        if self._cached is not None and self._cached[0] == day:
            return self._cached[1]
        salt = self._read(day)
        if salt is None:
            salt = self._create(day)
        self._cached = (day, salt)
        return salt

    def _key(self, day: str) -> dict[str, dict[str, str]]:
        return {VISITS_PARTITION_KEY: {"S": SALT_KEY_PREFIX + day}}

    def _read(self, day: str) -> bytes | None:
        item = consistent_get(self._client, self._table_name, self._key(day))
        return None if item is None else bytes.fromhex(item[SALT_ATTRIBUTE]["S"])

    def _create(self, day: str) -> bytes:
        """Race-free: the first conditional put wins, and every other container reads the winner's salt back.
        NOTE: a failed condition is an answer (ConditionalCheckFailedException), so no salt is ever replaced.
        https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html"""
        salt = secrets.token_bytes(SALT_BYTES)
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item={
                    **self._key(day),
                    # Hex text rather than a binary attribute: every tool that reads the table (and the local
                    # system's saved state, JSON) handles strings.
                    SALT_ATTRIBUTE: {"S": salt.hex()},
                    EXPIRES_AT_ATTRIBUTE: {"N": str(day_expiry(day))},
                },
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": VISITS_PARTITION_KEY},
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            winner = self._read(day)
            if winner is None:
                raise SaltUnavailableError(f"the salt of {day} was created but cannot be read") from exc
            return winner
        self.created_day = day
        return salt
