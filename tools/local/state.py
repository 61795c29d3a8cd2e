"""The local system's lasting state: every table's items (the visit count above all), kept in one JSON file.

The emulator keeps tables in memory only, so the system snapshots them here at least once a second while it runs
(a crash loses at most that second) and once more on a clean stop, after the API has stopped taking requests and
answered those it took (nothing answered 200 is lost on Ctrl-C). Each snapshot replaces the file atomically, so a
crash while writing leaves the previous one; the next start puts the items back.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

SNAPSHOT_INTERVAL_SECONDS: Final = 1.0
"""How much a crash (SIGKILL, power loss of the process) can lose at most."""


class TableSnapshots:
    def __init__(self, dynamodb: DynamoDBClient, table_names: Sequence[str], path: Path) -> None:
        self._dynamodb = dynamodb
        self._table_names = list(table_names)
        self.path = path
        self._lock = threading.Lock()  # the snapshot loop and the final save never write at once
        self._last_written: str | None = None
        self._saved_version: int | None = None

    def restore(self) -> int:
        """Puts back the items of the last snapshot, if any; returns how many."""
        if not self.path.exists():
            return 0
        saved: dict[str, list[dict[str, Any]]] = json.loads(self.path.read_text())
        restored = 0
        for name in self._table_names:
            for item in saved.get(name, []):
                self._dynamodb.put_item(TableName=name, Item=item)
                restored += 1
        self._last_written = self._serialized(saved)
        return restored

    def save(self) -> bool:
        """Writes a snapshot when the tables changed since the last one; returns whether it wrote."""
        with self._lock:
            text = self._serialized(self._scan())
            if text == self._last_written:
                return False
            partial = self.path.with_name(self.path.name + ".partial")
            partial.write_text(text)
            os.replace(partial, self.path)  # atomic: a reader or the next start sees the old file or the new one
            self._last_written = text
            return True

    def save_when_changed(self, version: int) -> bool:
        """Saves unless `version` (a count of what may have written, e.g. Lambda invocations) is the one of the last
        save. NOTE: a scan is not free on the emulator: moto keeps a copy of every item each scan returns."""
        if version == self._saved_version:
            return False
        written = self.save()
        self._saved_version = version
        return written

    def _scan(self) -> dict[str, list[dict[str, Any]]]:
        paginator = self._dynamodb.get_paginator("scan")
        return {
            name: [item for page in paginator.paginate(TableName=name, ConsistentRead=True) for item in page["Items"]]
            for name in self._table_names
        }

    @staticmethod
    def _serialized(tables: dict[str, list[dict[str, Any]]]) -> str:
        return json.dumps(tables, indent=1, sort_keys=True)
