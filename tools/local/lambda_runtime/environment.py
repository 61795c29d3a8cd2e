"""Each in-process Lambda's own `os.environ`, while the rest of the process keeps its own.

NOTE: why a per-thread view. Powertools reads os.environ when a handler module is imported (Logger, Metrics) and
while it runs and flushes; the handlers read it on first use (their cached clients take the endpoint, region and
credentials from it, and their table names); botocore keeps a reference to os.environ and reads it whenever a
client is made. Two simpler designs were tried or weighed and fail:
- swapping the function's variables into the process's os.environ under a lock races with any other thread that
  changes os.environ: a test's `monkeypatch.setenv` on the main thread while the alarm loop ran the notifier had
  its value put back after its own teardown, and every later test talked to a stopped emulator;
- importing each handler module afresh per function isolates nothing read after import, and the modules it
  imports (botocore, Powertools) stay shared.
So os.environ itself answers per thread: on a thread running a function it is that function's environment — its
template variables, what Lambda and the emulator provide, and the process's other variables without the
developer's AWS_* and POWERTOOLS_* settings — and everywhere else the process's, unchanged. The object stays the
same (its class is swapped for a subclass), so references taken earlier, as botocore's are, see the view too.
Writes made by a function stay in its view; they never reach the process or another function.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Final

MASKED_PREFIXES: Final = ("AWS_", "POWERTOOLS_")
_local = threading.local()
_install_lock = threading.Lock()


class _PerThreadEnviron(os._Environ[str]):
    """os.environ, except on a thread inside `function_environment`: there, that function's variables."""

    def __getitem__(self, key: str) -> str:
        view = _view()
        return super().__getitem__(key) if view is None else view[key]

    def __setitem__(self, key: str, value: str) -> None:
        view = _view()
        if view is None:
            super().__setitem__(key, value)
        else:
            view[key] = value

    def __delitem__(self, key: str) -> None:
        view = _view()
        if view is None:
            super().__delitem__(key)
        else:
            del view[key]

    def __iter__(self) -> Iterator[str]:
        view = _view()
        return super().__iter__() if view is None else iter(list(view))

    def __len__(self) -> int:
        view = _view()
        return super().__len__() if view is None else len(view)


@contextmanager
def function_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """On this thread, for the block, os.environ is one function's: `variables` over the process's environment
    without its AWS_* and POWERTOOLS_* settings. Other threads see the process's environment throughout."""
    _install()
    previous = _view()
    _local.view = None
    process = {name: value for name, value in os.environ.items() if not name.startswith(MASKED_PREFIXES)}
    _local.view = process | dict(variables)
    try:
        yield
    finally:
        _local.view = previous


def _view() -> dict[str, str] | None:
    view: dict[str, str] | None = getattr(_local, "view", None)
    return view


def _install() -> None:
    with _install_lock:
        if type(os.environ) is os._Environ:
            os.environ.__class__ = _PerThreadEnviron
