"""The local system's lasting state: every table's items in one JSON file, replaced atomically within a second of a
write and on a clean stop; read from moto in this process between two requests (docs/local.md, "State between runs").
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from moto.dynamodb.models import dynamodb_backends

from stack_model.template import LOCAL_ACCOUNT_ID

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

SNAPSHOT_INTERVAL_SECONDS: Final = 1.0
"""How much a crash (SIGKILL, power loss of the process) can lose at most, plus one snapshot's write."""
_BATCH_WRITE_ITEMS: Final = 25
"""BatchWriteItem's limit. https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html"""

Tables = dict[str, list[dict[str, Any]]]


class TableSnapshots:
    def __init__(
        self,
        dynamodb: DynamoDBClient,
        table_names: Sequence[str],
        path: Path,
        exclusive: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
    ) -> None:
        """`exclusive`: while it is held the emulator serves no request (AwsEmulator.exclusive)."""
        self._dynamodb = dynamodb
        self._table_names = list(table_names)
        self.path = path
        self._exclusive = exclusive
        self._lock = threading.Lock()  # the snapshot loop and the final save never write at once
        self._last_written: str | None = None
        self._saved_version: int | None = None

    def restore(self) -> int:
        """Puts back the items of the last snapshot, if any; returns how many."""
        if not self.path.exists():
            return 0
        saved: Tables = json.loads(self.path.read_text())
        restored = 0
        for name in self._table_names:
            items = saved.get(name, [])
            for start in range(0, len(items), _BATCH_WRITE_ITEMS):
                requests: Any = [{"PutRequest": {"Item": item}} for item in items[start : start + _BATCH_WRITE_ITEMS]]
                self._dynamodb.batch_write_item(RequestItems={name: requests})  # moto leaves nothing unprocessed
            restored += len(items)
        self._last_written = self._serialized(saved)
        return restored

    def save(self) -> bool:
        """Writes a snapshot when the tables changed since the last one; returns whether it wrote."""
        with self._lock:
            text = self._serialized(self._read())
            if text == self._last_written:
                return False
            partial = self.path.with_name(self.path.name + ".partial")
            partial.write_text(text)
            os.replace(partial, self.path)  # atomic: a reader or the next start sees the old file or the new one
            self._last_written = text
            return True

    def save_when_changed(self, version: int) -> bool:
        """Saves unless `version` (a count of what may write, the Lambda invocations) is the last save's."""
        if version == self._saved_version:
            return False
        written = self.save()
        self._saved_version = version
        return written

    def _read(self) -> Tables:
        backend = dynamodb_backends[LOCAL_ACCOUNT_ID][self._dynamodb.meta.region_name]
        with self._exclusive():
            return {
                name: [item.to_json()["Attributes"] for item in backend.get_table(name).all_items()]
                for name in self._table_names
            }

    @staticmethod
    def _serialized(tables: Tables) -> str:
        return json.dumps(tables, separators=(",", ":"), sort_keys=True)
