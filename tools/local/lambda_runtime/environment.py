"""Each in-process Lambda's own `os.environ`, while the rest of the process keeps its own.

os.environ answers per thread: on a thread running a function it is that function's environment (its variables,
what Lambda and the emulator provide, the process's others without the developer's AWS_* and POWERTOOLS_*), and
elsewhere the process's. The object stays the same (its class is swapped), so references taken earlier, as
botocore's are, see the view too; a function's writes stay in its view. docs/local.md says why simpler designs fail.
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
