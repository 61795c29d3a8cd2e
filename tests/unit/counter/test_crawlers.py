"""The crawler check agrees with the maintained list (PyPI crawler-user-agents) and stays off the import path."""

from __future__ import annotations

import json

import crawleruseragents  # type: ignore[import-untyped]
import pytest

from functions.common import catalog
from functions.counter import crawlers
from tests.unit.counter.conftest import CHROME
from tests.unit.counter.test_honest_counting import FIREFOX, SAFARI_IOS

_ENTRIES = json.loads(crawlers.patterns_path().read_text(encoding="utf-8"))
_EXAMPLES = sorted({instance for entry in _ENTRIES for instance in entry.get("instances", [])})


def test_every_example_user_agent_of_the_list_is_a_crawler() -> None:
    # Given the example User-Agents the list documents for its patterns
    assert len(_EXAMPLES) > 1000
    # Then each is recognised, as the package's own check recognises it
    missed = [ua for ua in _EXAMPLES if not crawlers.is_crawler(ua)]
    assert missed == [ua for ua in _EXAMPLES if not crawleruseragents.is_crawler(ua)]
    assert len(missed) < len(_EXAMPLES) // 100


@pytest.mark.parametrize("user_agent", [CHROME, FIREFOX, SAFARI_IOS])
def test_browsers_are_visitors(user_agent: str) -> None:
    assert crawlers.ignore_reason(user_agent) is None
    assert not crawleruseragents.is_crawler(user_agent)


@pytest.mark.parametrize(
    ("user_agent", "reason"), [("", catalog.IGNORED_NO_USER_AGENT), ("   ", catalog.IGNORED_NO_USER_AGENT)]
)
def test_no_user_agent_is_its_own_reason(user_agent: str, reason: str) -> None:
    assert crawlers.ignore_reason(user_agent) == reason
