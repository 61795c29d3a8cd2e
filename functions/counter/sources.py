"""Where a reader comes from: the page's referrer reduced to its host, then to a source named in sources.json.
Only the source's name leaves this module (docs/privacy.md); the list is read on first use, not at import.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from functions.common.catalog import SOURCE_DIRECT, SOURCE_OTHER

SOURCES_FILE: Final = Path(__file__).with_name("sources.json")
SOURCE_NAME_PATTERN: Final = re.compile(r"[a-z][a-z0-9_]{0,23}")
"""A source's name is part of an attribute name (catalog.SOURCE_ATTRIBUTE_PREFIX): short and plain."""
_ANY_SUFFIX: Final = ".*"
_MAX_SUFFIX_LABELS: Final = 2
"""`google.*` matches google.com and google.co.uk, not google.example.attacker.net."""


@dataclass(frozen=True)
class Source:
    name: str
    job_board: bool
    hosts: tuple[str, ...]

    def matches(self, host: str) -> bool:
        return any(_host_matches(host, pattern) for pattern in self.hosts)


def _host_matches(host: str, pattern: str) -> bool:
    if pattern.endswith(_ANY_SUFFIX):
        labels = host.split(".")
        name = pattern[: -len(_ANY_SUFFIX)]
        return any(
            label == name and 1 <= len(labels) - index - 1 <= _MAX_SUFFIX_LABELS for index, label in enumerate(labels)
        )
    return host == pattern or host.endswith("." + pattern)


@cache
def curated_sources() -> tuple[Source, ...]:
    """The list in sources.json, checked: a fork's typo fails the first visit's request loudly, and the tests."""
    listed = json.loads(SOURCES_FILE.read_text(encoding="utf-8"))["sources"]
    sources = tuple(Source(entry["name"], bool(entry["job_board"]), tuple(entry["hosts"])) for entry in listed)
    names = [source.name for source in sources]
    for name in names:
        if SOURCE_NAME_PATTERN.fullmatch(name) is None or name in (SOURCE_DIRECT, SOURCE_OTHER):
            raise ValueError(f"{SOURCES_FILE.name}: {name!r} is not a valid source name")
    if len(set(names)) != len(names):
        raise ValueError(f"{SOURCES_FILE.name}: a source is listed twice")
    return sources


def source_names() -> tuple[str, ...]:
    """Every source a visit can be counted under, in the order the owner reads them."""
    return (*(source.name for source in curated_sources()), SOURCE_DIRECT, SOURCE_OTHER)


def referrer_host(referrer: str) -> str | None:
    """The host of a referrer (lower case, without port), or None when it has none."""
    try:
        host = urlsplit(referrer.strip()).hostname
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    return host.rstrip(".") or None if host else None


def source_of(referrer: str, site_hosts: frozenset[str]) -> str:
    """The source of a visit whose page had this referrer (`document.referrer`): direct when empty or the site's
    own host, the first listed source whose hosts match, else other."""
    if not referrer.strip():
        return SOURCE_DIRECT
    host = referrer_host(referrer)
    if host is None:
        return SOURCE_OTHER
    if host in site_hosts:
        return SOURCE_DIRECT
    return next((source.name for source in curated_sources() if source.matches(host)), SOURCE_OTHER)
