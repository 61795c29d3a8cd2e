"""Per-thread capture of what in-process Lambdas print (their EMF metrics).

contextlib.redirect_stdout swaps sys.stdout for the whole process, so with the API and the alarm evaluator
invoking Lambdas on different threads, one thread's metrics could land in another's buffer or on the terminal.
This installs one router as sys.stdout that sends each thread's writes to that thread's capture, if any.
`logs_to` sends a handler module's Powertools log lines to the function's log file for one invocation.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import TextIO

_local = threading.local()
_install_lock = threading.Lock()


class _ThreadRoutedStdout(io.TextIOBase):
    def __init__(self, fallback: TextIO) -> None:
        self.fallback = fallback

    def write(self, text: str) -> int:
        target = getattr(_local, "buffer", None)
        return (target or self.fallback).write(text)

    def flush(self) -> None:
        target = getattr(_local, "buffer", None)
        (target or self.fallback).flush()


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
