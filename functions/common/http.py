"""HTTP with the standard library: the probe's reads and the notifier's posts to a secret URL (Slack, a webhook).
An error status is an answer like any other; `post_json` never quotes the URL (whoever holds it can post to the
channel) and never resends what may have been taken.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

TIMEOUT_SECONDS: Final = 5.0
"""Per attempt, for connecting and for each read: the site, Slack and a webhook answer in well under a second."""
MAX_BODY_BYTES: Final = 512 * 1024  # a page is a few kB, a webhook's answer a few bytes
POST_ATTEMPTS: Final = 2
"""A blip (refused connection, 429, 5xx) is retried once here; a longer outage is left to Lambda's retries."""
RETRY_DELAY_SECONDS: Final = 1.0
"""Slack takes about one message a second; a longer Retry-After is left to Lambda's retries too."""
LOOPBACK_HOSTS: Final = frozenset({"127.0.0.1", "localhost", "::1"})


class NoAnswerError(Exception):
    """The request got no HTTP answer (refused, timed out, TLS or DNS failure)."""

    def __init__(self, url: str, reason: str, detail: str = "", *, maybe_sent: bool = False) -> None:
        super().__init__(f"no answer from {url}: {reason}{detail}"[:300])
        self.reason = reason  # in words that never quote the URL: a secret one stays secret
        self.maybe_sent = maybe_sent  # a timeout: the request may have reached the server


class PostError(Exception):
    """A POST was not taken. The text names the channel and what it answered, never the URL."""


class UnconfirmedPostError(PostError):
    """A POST got no answer in time and may have been taken (a slow Slack): it is not sent again."""


@dataclass(frozen=True)
class Answer:
    url: str  # the URL that answered, after redirects
    status: int
    headers: Mapping[str, str]  # lower-case name → value
    body: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # NOTE: urllib turns a redirected POST into a GET to wherever the Location points; a webhook that redirects
    # is misconfigured, so its 3xx is the answer instead of being followed.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_FOLLOWING: Final = urllib.request.build_opener()
_NOT_FOLLOWING: Final = urllib.request.build_opener(_NoRedirect)


def request(
    url: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    data: bytes | None = None,
    user_agent: str,
    timeout_seconds: float = TIMEOUT_SECONDS,
    follow_redirects: bool = True,
) -> Answer:
    """One request and its answer, whatever its status; raises NoAnswerError when none came."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError("only http(s) URLs are requested")
    sent = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url, data=data, method=method, headers={"User-Agent": user_agent, **(headers or {})}
    )
    opener = _FOLLOWING if follow_redirects else _NOT_FOLLOWING
    try:
        with opener.open(sent, timeout=timeout_seconds) as response:
            return _answer(response.geturl(), response.status, response.headers.items(), response.read(MAX_BODY_BYTES))
    except urllib.error.HTTPError as error:
        with error:
            return _answer(error.geturl() or url, error.code, error.headers.items(), error.read(MAX_BODY_BYTES))
    except OSError as error:
        # NOTE: URLError's reason is the socket error (refused, unreachable, DNS, a timeout while connecting),
        # never the URL itself; a timeout while waiting for the answer comes unwrapped.
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError):
            raise NoAnswerError(url, f"no answer within {timeout_seconds:g} s", maybe_sent=True) from None
        raise NoAnswerError(url, f"connection failed ({type(reason).__name__})", f": {reason}") from None
    except Exception as error:  # http.client's own errors may quote the URL: only their type is kept
        raise NoAnswerError(url, f"request failed ({type(error).__name__})") from None


def _answer(url: str, status: int, headers: list[tuple[str, str]], body: bytes) -> Answer:
    return Answer(
        url=url,
        status=status,
        headers={name.lower(): value.strip() for name, value in headers},
        body=body.decode("utf-8", errors="replace"),
    )


def check_url(channel: str, url: str) -> str:
    """The URL if it is https (plain http only to this machine, for local sinks); the error never quotes it."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise PostError(f"{channel}: the stored URL is not a URL") from None
    if not host or parts.scheme not in ("https", "http") or (parts.scheme == "http" and host not in LOOPBACK_HOSTS):
        raise PostError(f"{channel}: the stored URL is not an https URL")
    return url


def post_json(
    channel: str,
    url: str,
    document: Any,
    *,
    user_agent: str,
    headers: Mapping[str, str] | None = None,
    timeout_seconds: float = TIMEOUT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> Answer:
    """POSTs the document to a secret URL; returns the 2xx answer or raises PostError after POST_ATTEMPTS."""
    body = json.dumps(document, ensure_ascii=False).encode()
    sent = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
    checked_url = check_url(channel, url)
    for attempt in range(1, POST_ATTEMPTS + 1):
        retry = True
        try:
            answer = request(
                checked_url,
                method="POST",
                headers=sent,
                data=body,
                user_agent=user_agent,
                timeout_seconds=timeout_seconds,
                follow_redirects=False,
            )
        except NoAnswerError as error:
            if error.maybe_sent:
                # NOTE: no retry: the post may have been taken, and a webhook (Slack's) cannot deduplicate.
                raise UnconfirmedPostError(f"{channel}: {error.reason}, may have been delivered; not resent") from None
            problem = error.reason
        else:
            if 200 <= answer.status < 300:
                return answer
            problem = f"HTTP {answer.status} {_short(answer.body, url)}".rstrip()
            retry = answer.status == 429 or answer.status >= 500
        if not retry or attempt == POST_ATTEMPTS:
            break
        sleep(RETRY_DELAY_SECONDS)
    raise PostError(f"{channel}: {problem} (after {attempt} attempt(s))") from None


def _short(text: str, url: str) -> str:
    """The start of an error answer (Slack's `invalid_payload`, `channel_is_archived`), on one line, with any
    part of the URL it echoes (a 404 page may quote the path, which holds the token) cut out."""
    text = " ".join(text[:512].split())
    parts = urlsplit(url)
    secrets = [url, parts.path, parts.query, *(segment for segment in parts.path.split("/") if len(segment) >= 4)]
    for secret in sorted({secret for secret in secrets if len(secret) >= 4}, key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    return text[:200]
