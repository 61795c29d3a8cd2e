"""What a cold start imports, in a fresh interpreter (a subprocess): the crawler list stays off the import path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from functions.counter import browsers

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)


def test_the_list_is_neither_imported_nor_compiled_when_the_handler_loads() -> None:
    # Given a fresh interpreter (a cold start) / When the handler module is imported
    probe = (
        "import sys; import functions.counter.app; from functions.counter import crawlers; "
        "print(crawlers._patterns.cache_info().currsize, 'crawleruseragents' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    # Then the pattern list is untouched until a POST needs it
    assert result.stdout.split() == ["0", "False"]


def test_the_parser_is_not_imported_by_the_handler_or_the_check() -> None:
    # Given a fresh interpreter (a cold start) with the rules staged as in the Lambda asset
    probe = (
        "import sys; from functions.counter import app, browsers; "
        "browsers._rules.cache_clear(); "
        "assert browsers.browser_family(sys.argv[1]) == 'Chrome'; "
        "print('ua_parser' in sys.modules, 'ua_parser_builtins.lazy' in sys.modules)"
    )
    staged = Path(browsers.__file__).with_name(browsers.COMPACT_FILE)
    staged.write_bytes(browsers.compact_file_content())
    try:
        result = subprocess.run([sys.executable, "-c", probe, CHROME], capture_output=True, text=True, check=True)
    finally:
        staged.unlink()
    # Then neither the parser nor its rule module was imported
    assert result.stdout.split() == ["False", "False"]
