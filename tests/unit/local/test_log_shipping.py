"""A scheduled function's log lines reach its log group on the emulator, each once, whole lines only."""

from __future__ import annotations

from pathlib import Path

import boto3
from moto import mock_aws

from tools.local.cloudwatch.logs import LogShipper


def test_ships_new_complete_lines_once(tmp_path: Path) -> None:
    with mock_aws():
        client = boto3.client("logs", region_name="us-east-1")
        log = tmp_path / "probe.log"
        shipper = LogShipper(client, "probe-logs", log)
        # Given no file yet, Then nothing is shipped (and no group created)
        assert shipper.ship() == 0
        # Given two lines and the start of a third
        log.write_text('{"a": 1}\n{"b": 2}\n{"c"')
        assert shipper.ship() == 2
        # When the third line is completed, Then only it is shipped
        with log.open("a") as more:
            more.write(": 3}\n")
        assert shipper.ship() == 1
        messages = [e["message"] for e in client.filter_log_events(logGroupName="probe-logs")["events"]]
        assert messages == ['{"a": 1}', '{"b": 2}', '{"c": 3}']
