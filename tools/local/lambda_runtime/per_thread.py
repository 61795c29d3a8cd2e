"""What an in-process Lambda sees of the process, per thread: its own `os.environ` and its own stdout.

os.environ keeps its identity (its class is swapped), so references taken earlier, as botocore's, see the view too;
sys.stdout routes each thread's writes to its capture, since the API and the alarm loop invoke Lambdas on different
threads. docs/local.md ("Each function's own environment") says why simpler designs fail.
"""

from __future__ import annotations

import io
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import ModuleType
from typing import Final, TextIO

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


class _ThreadRoutedStdout(io.TextIOBase):
    def __init__(self, fallback: TextIO) -> None:
        self.fallback = fallback

    def write(self, text: str) -> int:
        return (getattr(_local, "buffer", None) or self.fallback).write(text)

    def flush(self) -> None:
        (getattr(_local, "buffer", None) or self.fallback).flush()


@contextmanager
def function_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """On this thread, for the block, os.environ is one function's: `variables` over the process's environment
    without its AWS_* and POWERTOOLS_* settings. Other threads see the process's environment throughout."""
    with _install_lock:
        if type(os.environ) is os._Environ:
            os.environ.__class__ = _PerThreadEnviron
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


@contextmanager
def captured_stdout() -> Iterator[io.StringIO]:
    """What this thread prints inside the block, and only this thread."""
    with _install_lock:
        if not isinstance(sys.stdout, _ThreadRoutedStdout):
            sys.stdout = _ThreadRoutedStdout(sys.stdout)
    buffer = io.StringIO()
    previous = getattr(_local, "buffer", None)
    _local.buffer = buffer
    try:
        yield buffer
    finally:
        _local.buffer = previous


@contextmanager
def logs_to(module: ModuleType, stream: TextIO) -> Iterator[None]:
    """The module's Powertools logger writes to the function's log file (as Lambda ships it to CloudWatch Logs)
    for the invocation, and to wherever it wrote before afterwards."""
    handler = getattr(getattr(module, "logger", None), "registered_handler", None)
    if handler is None:
        yield
        return
    previous = handler.stream
    handler.stream = stream
    try:
        yield
    finally:
        handler.stream = previous
