"""POSTing one JSON document to a secret URL (a Slack incoming webhook, an owner's webhook), with the standard
library: a short timeout, one retry of what may pass, no redirects, and errors that never quote the URL.

The URL is a secret (whoever holds it can post to the owner's channel), so nothing here puts it in an
exception, a log line or a receipt: errors say which channel failed and what it answered, and are raised
`from None`, so no library exception that might quote the URL is chained into the traceback.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from functions.notifier.channel import ChannelDeliveryError

REQUEST_TIMEOUT_SECONDS: Final = 5.0
"""Per attempt, for connecting and for each read: Slack answers in well under a second."""
ATTEMPTS: Final = 2
"""A blip (timeout, refused connection, 429, 5xx) is retried once here; an outage longer than that fails the
invocation, and Lambda's own retries (minutes apart) try this channel again, and only this one (app.py)."""
RETRY_DELAY_SECONDS: Final = 1.0
MAX_RETRY_AFTER_SECONDS: Final = 3.0
"""A 429's Retry-After is honoured up to this; a longer wait is left to Lambda's retry."""
USER_AGENT: Final = "resume-backend-alarm-notifier/1"
_LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # NOTE: urllib turns a redirected POST into a GET to wherever the Location points; a webhook that redirects
    # is misconfigured, so a 3xx fails the delivery instead of following it.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER: Final = urllib.request.build_opener(_NoRedirect)


@dataclass(frozen=True)
class Answer:
    status: int
    body: str


def check_url(channel: str, url: str) -> str:
    """The URL if it is https (plain http only to this machine, for local sinks); the error never quotes it."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise ChannelDeliveryError(f"{channel}: the stored URL is not a URL") from None
    if not host or parts.scheme not in ("https", "http") or (parts.scheme == "http" and host not in _LOOPBACK_HOSTS):
        raise ChannelDeliveryError(f"{channel}: the stored URL is not an https URL")
    return url


def post_json(
    channel: str,
    url: str,
    document: Any,
    *,
    headers: dict[str, str] | None = None,
    timeout_seconds: float = REQUEST_TIMEOUT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> Answer:
    """POSTs the document; returns the 2xx answer or raises ChannelDeliveryError after ATTEMPTS tries."""
    body = json.dumps(document, ensure_ascii=False).encode()
    problem = "not tried"
    for attempt in range(1, ATTEMPTS + 1):
        # The scheme is checked first (check_url: https, or http to this machine only): never file: or ftp:.
        request = urllib.request.Request(  # noqa: S310
            check_url(channel, url),
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT, **(headers or {})},
        )
        retry_after: float | None = RETRY_DELAY_SECONDS
        try:
            with _OPENER.open(request, timeout=timeout_seconds) as response:
                return Answer(status=response.status, body=response.read(2048).decode("utf-8", "replace"))
        except urllib.error.HTTPError as error:
            problem = f"HTTP {error.code} {_short(error.read(512), url)}".rstrip()
            retry_after = _retry_delay(error) if error.code == 429 or error.code >= 500 else None
        except TimeoutError:
            problem = f"no answer within {timeout_seconds:g} s"
        except (urllib.error.URLError, OSError) as error:
            # NOTE: URLError's reason is the socket error (refused, unreachable, DNS), never the URL itself.
            reason = error.reason if isinstance(error, urllib.error.URLError) else error
            problem = (
                "timed out" if isinstance(reason, TimeoutError) else f"connection failed ({type(reason).__name__})"
            )
        except Exception as error:  # http.client's own errors may quote the URL: only their type is kept
            problem = f"request failed ({type(error).__name__})"
            retry_after = None
        if retry_after is None or attempt == ATTEMPTS:
            break
        sleep(retry_after)
    raise ChannelDeliveryError(f"{channel}: {problem} (after {attempt} attempt(s))") from None


def _retry_delay(error: urllib.error.HTTPError) -> float | None:
    header = error.headers.get("Retry-After") if error.headers else None
    if header is None:
        return RETRY_DELAY_SECONDS
    try:
        seconds = float(header)
    except ValueError:
        return RETRY_DELAY_SECONDS
    return seconds if seconds <= MAX_RETRY_AFTER_SECONDS else None


def _short(raw: bytes, url: str) -> str:
    """The start of an error answer (Slack's `invalid_payload`, `channel_is_archived`), on one line, with any
    part of the URL it echoes (a 404 page may quote the path, which holds the token) cut out."""
    text = " ".join(raw.decode("utf-8", "replace").split())
    parts = urlsplit(url)
    secrets = [url, parts.path, parts.query, *(segment for segment in parts.path.split("/") if len(segment) >= 4)]
    for secret in sorted({secret for secret in secrets if len(secret) >= 4}, key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    return text[:200]
