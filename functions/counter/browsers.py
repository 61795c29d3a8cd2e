"""Which User-Agents are browsers: the ones the maintained parser (PyPI `ua-parser`, its rules in
`ua-parser-builtins`) names as a browser family (BROWSER_FAMILIES); scripts and unknown clients are not visitors.

The parser's rules are read without importing it (docs/performance.md): at synth they go to COMPACT_FILE in order,
each with the literal texts any match must contain, so the check compiles only the few rules a User-Agent can match.
"""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Final

COMPACT_FILE: Final = "browser_rules.json"
"""Beside this module in the Lambda asset: [[regex, family, [[alternative literal, ...], ...]], ...] in order."""
BROWSER_FAMILIES: Final = frozenset(
    {
        "Amazon Silk",
        "Brave",
        "Chrome",
        "Chrome Mobile",
        "Chrome Mobile WebView",
        "Chrome Mobile iOS",
        "Chromium",
        "Coc Coc",
        "DuckDuckGo",
        "DuckDuckGo Mobile",
        "Ecosia Android",
        "Ecosia iOS",
        "Edge",
        "Edge Mobile",
        "Firefox",
        "Firefox Focus",
        "Firefox Mobile",
        "Firefox iOS",
        "Huawei Browser",
        "IE",
        "MiuiBrowser",
        "Mobile Safari",
        "Mobile Safari UI/WKWebView",
        "Opera",
        "Opera GX",
        "Opera Mini",
        "Opera Mobile",
        "Pale Moon",
        "QQ Browser",
        "QQ Browser Mobile",
        "Safari",
        "Samsung Internet",
        "UC Browser",
        "Vivaldi",
        "Whale",
        "Yandex Browser",
    }
)
"""Families (as the parser names them) of the browsers people read a resume with; the parser's other families are
apps, libraries, tools and bots. A browser missing here is under-counted, never a script over-counted."""
_CACHED_USER_AGENTS: Final = 512

_Rule = tuple[str, str, tuple[tuple[str, ...], ...]]


def is_browser(user_agent: str) -> bool:
    """True when the parser's first matching rule names a browser family."""
    return browser_family(user_agent) in BROWSER_FAMILIES


@lru_cache(maxsize=_CACHED_USER_AGENTS)
def browser_family(user_agent: str) -> str | None:
    """The family the parser gives this User-Agent (None when no rule matches), with the parser's semantics: the
    first rule that matches, its family with `$1` replaced by the first group (ua_parser.lazy.UserAgentMatcher)."""
    for index, (_, family, required) in enumerate(_rules()):
        if not all(any(text in user_agent for text in choice) for choice in required):
            continue
        match = _compiled(index).search(user_agent)
        if match is not None:
            return family.replace("$1", match[1]) if "$1" in family else family
    return None


@cache
def _compiled(index: int) -> re.Pattern[str]:
    return re.compile(_rules()[index][0])


@cache
def _rules() -> tuple[_Rule, ...]:
    staged = Path(__file__).with_name(COMPACT_FILE)
    raw: list[list[Any]] = json.loads(staged.read_bytes()) if staged.is_file() else compact_rules()
    return tuple((regex, family, tuple(tuple(choice) for choice in required)) for regex, family, required in raw)


def compact_rules() -> list[list[Any]]:
    """The installed parser's User-Agent rules in order, as COMPACT_FILE holds them."""
    from ua_parser_builtins.lazy import MATCHERS  # the 200 ms import: at synth, or locally on the first check

    return [[m.regex, m.family, required_literals(m.regex)] for m in MATCHERS[0]]


def compact_file_content() -> bytes:
    """COMPACT_FILE for the asset, from the installed (pinned) distribution; deterministic for one rule list."""
    return json.dumps(compact_rules(), separators=(",", ":"), ensure_ascii=False).encode()


def required_literals(regex: str) -> list[list[str]]:
    """Texts any match of `regex` contains: each inner list is a choice of which at least one occurs. Only what
    is certain is listed (an empty list requires nothing), so skipping a rule whose texts are absent is exact."""
    from re import _parser  # type: ignore[attr-defined]  # the standard library's own parse of a pattern

    try:
        parsed = _parser.parse(regex)
    except re.error:
        return []
    if parsed.state.flags & re.IGNORECASE:
        return []
    return [list(choice) for choice in _sequence_requirements(list(parsed))]


_MIN_LITERAL: Final = 2
"""Shorter texts rule out too little to be worth a test."""


def _sequence_requirements(items: list[tuple[Any, Any]]) -> list[tuple[str, ...]]:
    """For a sequence of parsed items: its runs of mandatory literal characters, and the choices of its
    alternations whose every branch has such a run."""
    from re import _constants  # type: ignore[attr-defined]

    requirements: list[tuple[str, ...]] = []
    run: list[str] = []

    def end_run() -> None:
        if len(run) >= _MIN_LITERAL:
            requirements.append(("".join(run),))
        run.clear()

    for op, arg in items:
        if op is _constants.LITERAL:
            run.append(chr(arg))
            continue
        if op is _constants.SUBPATTERN and not arg[1] & re.IGNORECASE:
            # A group of one branch is part of the sequence; its inner literals continue the run.
            inner = list(arg[-1])
            if all(inner_op is _constants.LITERAL for inner_op, _ in inner):
                run.extend(chr(value) for _, value in inner)
                continue
            end_run()
            requirements.extend(_sequence_requirements(inner))
            continue
        end_run()
        if op is _constants.BRANCH:
            choice = _branch_choice([list(branch) for branch in arg[1]])
            if choice:
                requirements.append(choice)
        elif op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT) and arg[0] >= 1:
            requirements.extend(_sequence_requirements(list(arg[2])))
    end_run()
    return requirements


def _branch_choice(branches: list[list[tuple[Any, Any]]]) -> tuple[str, ...]:
    """One text per branch (its longest certain one), or nothing when a branch has none."""
    choice: list[str] = []
    for branch in branches:
        texts = [text for option in _sequence_requirements(branch) if len(option) == 1 for text in option]
        if not texts:
            return ()
        choice.append(max(texts, key=len))
    return tuple(choice)
