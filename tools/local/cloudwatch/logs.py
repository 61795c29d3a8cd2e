"""A function's log lines, copied from its local file to its log group on the emulator (CloudWatch Logs), so what
reads that group finds them as on AWS: the notifier's FilterLogEvents for the probe's latest failed check."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

STREAM_NAME = "local"


class LogShipper:
    """`ship()` sends the complete lines written to `path` since the last call to `log_group`, stamped with the time
    they are shipped."""

    def __init__(self, client: Any, log_group: str, path: Path) -> None:
        self._client = client
        self._log_group = log_group
        self._path = path
        self._offset = 0
        with contextlib.suppress(client.exceptions.ResourceAlreadyExistsException):
            client.create_log_group(logGroupName=log_group)
        with contextlib.suppress(client.exceptions.ResourceAlreadyExistsException):
            client.create_log_stream(logGroupName=log_group, logStreamName=STREAM_NAME)

    def ship(self) -> int:
        if not self._path.exists():
            return 0
        with self._path.open("rb") as log:
            log.seek(self._offset)
            data = log.read()
        complete = data[: data.rfind(b"\n") + 1]
        lines = [line for line in complete.decode("utf-8", errors="replace").splitlines() if line.strip()]
        self._offset += len(complete)
        if not lines:
            return 0
        now_ms = int(time.time() * 1000)
        events = [{"timestamp": now_ms, "message": line} for line in lines]
        self._client.put_log_events(logGroupName=self._log_group, logStreamName=STREAM_NAME, logEvents=events)
        return len(events)
