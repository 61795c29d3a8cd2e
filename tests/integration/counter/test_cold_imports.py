"""What a cold start imports, in a fresh interpreter (a subprocess): the crawler list stays off the import path."""

from __future__ import annotations

import subprocess
import sys


def test_the_list_is_neither_imported_nor_compiled_when_the_handler_loads() -> None:
    # Given a fresh interpreter (a cold start) / When the handler module is imported
    probe = (
        "import sys; import functions.counter.app; from functions.counter import crawlers; "
        "print(crawlers._patterns.cache_info().currsize, 'crawleruseragents' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    # Then the pattern list is untouched until a POST needs it
    assert result.stdout.split() == ["0", "False"]
