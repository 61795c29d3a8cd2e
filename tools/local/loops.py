"""Background jobs of the local system (alarm evaluator, table snapshots, schedules): each survives a failing round
(the emulator busy or restarting), logged once per kind of error in a row.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("tools.local")


class BackgroundLoop:
    """Runs `job` every `interval_seconds` on a daemon thread; `stop()` ends it after the current round."""

    def __init__(self, name: str, interval_seconds: float, job: Callable[[], object]) -> None:
        self.name = name
        self.failures = 0
        self._interval = interval_seconds
        self._job = job
        self._stopped = threading.Event()
        self._last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> BackgroundLoop:
        self._thread.start()
        return self

    def run_once(self) -> bool:
        """One round; False (and the error logged) when it failed."""
        try:
            self._job()
        except Exception as error:  # any error: the next round may well succeed
            self.failures += 1
            kind = f"{type(error).__name__}: {error}"
            if kind != self._last_error:
                log.warning("%s failed (retrying every %g s): %s", self.name, self._interval, kind)
            self._last_error = kind
            return False
        if self._last_error is not None:
            log.warning("%s works again", self.name)
            self._last_error = None
        return True

    def stop(self, wait_seconds: float = 10.0) -> bool:
        """Ends the loop after its current round, waiting at most `wait_seconds` for it; True if the loop has ended."""
        self._stopped.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(wait_seconds)
        if self._thread.is_alive():
            log.warning("%s: still in a round when the system stopped", self.name)
            return False
        return True

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            self.run_once()
