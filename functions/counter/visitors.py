"""Who a visitor is, without storing who they are: HMAC-SHA256 under a random salt that lives for one UTC day, over
source IP + site (the network) or source IP + User-Agent + site (the visitor), as Plausible counts (docs/privacy.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Final

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


def utc_day(now: datetime) -> str:
    """YYYY-MM-DD in UTC: sorts as the days do."""
    return now.astimezone(UTC).strftime("%Y-%m-%d")


def day_expiry(day: str) -> int:
    """Epoch seconds at which a day's salt and network items may be deleted by TTL: the day's end plus grace."""
    # NOTE: fromisoformat, not strptime: strptime imports _strptime (and locale, calendar) on a cold start.
    start = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return int((start + timedelta(days=1) + EXPIRY_GRACE).timestamp())


def network_id(salt: bytes, *, source_ip: str, site: str) -> str:
    """The day's pseudonymous id of a network: everyone behind one source IP, whatever their User-Agent."""
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
