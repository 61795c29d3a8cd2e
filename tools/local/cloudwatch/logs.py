"""A function's log lines, copied from its local file to its log group on the emulator (the notifier's FilterLogEvents
reads the probe's there), and read as Logs Insights events for the local dashboard's log widgets (`log_events`)."""

from __future__ import annotations

import contextlib
import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from functions.common import catalog

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


def log_events(path: Path) -> list[dict[str, Any]]:
    """A function's JSON log lines as Logs Insights reads them: each line's fields, `@timestamp` its own time in
    epoch seconds; a line that is not a JSON object with a time (a stray print) is left out."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [event for event in map(log_event, lines) if event is not None]


def log_event(line: str) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
        if "_aws" in record:
            stamp = float(record["_aws"]["Timestamp"]) / 1000
        else:
            stamp = datetime.strptime(record["timestamp"], catalog.LOG_TIMESTAMP_FORMAT).timestamp()
    except (ValueError, KeyError, TypeError):
        return None
    return {**record, "@timestamp": stamp}
