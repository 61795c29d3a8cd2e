"""The probe's HTTP client: the standard library's urllib, as a browser would ask (GET, a CORS preflight), never a
POST. An error status is an answer like any other; only a request that got no answer raises."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

TIMEOUT_SECONDS: Final = 5.0
"""Per request; the probe makes three, well inside its Lambda timeout (infra/probe.py)."""
MAX_BODY_BYTES: Final = 512 * 1024
"""The page is a few kB; a larger answer is read only this far (enough to find the script tag)."""
USER_AGENT: Final = "resume-backend-availability-probe"
READ_METHODS: Final = frozenset({"GET", "OPTIONS"})


class NoAnswerError(Exception):
    """The request got no HTTP answer (refused, timed out, TLS or DNS failure); the message says which."""


@dataclass(frozen=True)
class Answer:
    url: str
    """The URL that answered, after redirects."""
    status: int
    headers: Mapping[str, str]
    """Lower-case header name → value."""
    body: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def request(url: str, *, method: str = "GET", headers: Mapping[str, str] | None = None) -> Answer:
    if method not in READ_METHODS:
        raise ValueError(f"the probe only reads: {method} is not one of {sorted(READ_METHODS)}")
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"the probe reads only http(s) URLs, not {url!r}")
    sent = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url, method=method, headers={"User-Agent": USER_AGENT, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(sent, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - checked above
            return _answer(response.geturl(), response.status, response.headers.items(), response.read(MAX_BODY_BYTES))
    except urllib.error.HTTPError as error:
        with error:
            return _answer(error.geturl() or url, error.code, error.headers.items(), error.read(MAX_BODY_BYTES))
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise NoAnswerError(f"no answer from {url}: {type(error).__name__}: {str(reason)[:200]}") from error


def _answer(url: str, status: int, headers: list[tuple[str, str]], body: bytes) -> Answer:
    return Answer(
        url=url,
        status=status,
        headers={name.lower(): value.strip() for name, value in headers},
        body=body.decode("utf-8", errors="replace"),
    )
