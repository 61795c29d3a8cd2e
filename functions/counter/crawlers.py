"""Which requests are not visitors: requests without a User-Agent, known crawlers (PyPI `crawler-user-agents`,
the maintained list), and User-Agents the maintained parser does not name as a browser (browsers.py).

The list is read on the first check, reduced at synth to COMPACT_FILE (locally, on first use): plain-text
patterns tested as substrings, and the few real expressions as one `re` (docs/performance.md).
"""

from __future__ import annotations

import importlib.util
import json
import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Final

from functions.common.catalog import IGNORED_CRAWLER, IGNORED_NO_USER_AGENT, IGNORED_NOT_A_BROWSER
from functions.counter.browsers import is_browser

PATTERNS_PACKAGE: Final = "crawleruseragents"
PATTERNS_FILE: Final = "crawler-user-agents.json"
COMPACT_FILE: Final = "crawler_patterns.json"
"""Beside this module in the Lambda asset: {"literals": [...], "expressions": [...]} of the bundled list."""
_REGEX_SYNTAX: Final = frozenset(".^$*+?{}[]|()\\")
# An escaped punctuation character stands for itself (`Googlebot\/`); `\d`, `\s` and the like do not.
_ESCAPED_PUNCTUATION: Final = re.compile(r"\\([^\w\s])")
_CACHED_USER_AGENTS: Final = 512


def ignore_reason(user_agent: str) -> str | None:
    """Why a request with this User-Agent is not counted (catalog.IGNORE_REASONS), or None for a visitor."""
    if not user_agent.strip():
        return IGNORED_NO_USER_AGENT
    # Crawlers first: many announce themselves inside a browser's User-Agent (`Chrome-Lighthouse`, `Googlebot`).
    if is_crawler(user_agent):
        return IGNORED_CRAWLER
    return None if is_browser(user_agent) else IGNORED_NOT_A_BROWSER


@lru_cache(maxsize=_CACHED_USER_AGENTS)
def is_crawler(user_agent: str) -> bool:
    """True when any pattern of the list matches, with the list's own (case-sensitive) semantics."""
    literals, expressions = _patterns()
    return any(text in user_agent for text in literals) or expressions.search(user_agent) is not None


@cache
def _patterns() -> tuple[tuple[str, ...], re.Pattern[str]]:
    """(plain-text patterns, one expression of the others): the staged compact list, else the package's."""
    staged = Path(__file__).with_name(COMPACT_FILE)
    compact = json.loads(staged.read_bytes()) if staged.is_file() else compact_patterns(_package_entries())
    return tuple(compact["literals"]), re.compile("|".join(compact["expressions"]))


def _package_entries() -> list[dict[str, object]]:
    entries: list[dict[str, object]] = json.loads(patterns_path().read_bytes())
    return entries


def compact_patterns(entries: list[dict[str, object]]) -> dict[str, list[str]]:
    literals: list[str] = []
    expressions: list[str] = []
    for entry in entries:
        pattern = str(entry["pattern"])
        plain = _as_text(pattern)
        if plain is None:
            expressions.append(f"(?:{pattern})")
        else:
            literals.append(plain)
    return {"literals": literals, "expressions": expressions}


def compact_file_content() -> bytes:
    """COMPACT_FILE for the asset, from the installed (pinned) distribution; deterministic for one list."""
    return json.dumps(compact_patterns(_package_entries()), separators=(",", ":")).encode()


def _as_text(pattern: str) -> str | None:
    """The text a pattern matches literally, or None when it uses regular-expression syntax."""
    if "\\" not in pattern:  # most of the list: checked without running a regex
        return pattern if _REGEX_SYNTAX.isdisjoint(pattern) else None
    if not _REGEX_SYNTAX.isdisjoint(_ESCAPED_PUNCTUATION.sub("", pattern)):
        return None
    return _ESCAPED_PUNCTUATION.sub(r"\1", pattern)


def patterns_path() -> Path:
    """The list's JSON file, found without importing the package (its __init__ parses the JSON at import)."""
    spec = importlib.util.find_spec(PATTERNS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the crawler pattern list ({PATTERNS_PACKAGE}) is not installed or bundled")
    return Path(next(iter(spec.submodule_search_locations))) / PATTERNS_FILE
