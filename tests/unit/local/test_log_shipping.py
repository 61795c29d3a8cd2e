"""A scheduled function's log lines reach its log group on the emulator, each once, whole lines only."""

from __future__ import annotations

from pathlib import Path

import boto3
from moto import mock_aws

from tools.local.cloudwatch.logs import LogShipper, log_events


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


def test_log_events_read_powertools_lines_and_emf_documents_at_their_own_time(tmp_path: Path) -> None:
    # Given a function's log file as Lambda ships it: a Powertools line, an EMF document, a stray print
    log = tmp_path / "counter.log"
    log.write_text(
        '{"level":"INFO","message":"cold start","timestamp":"2026-11-21 12:00:00,500+0000","import_ms":190.5}\n'
        '{"_aws":{"Timestamp":1795262460000,"CloudWatchMetrics":[]},"service":"visit-counter","source":"github"}\n'
        "a stray print\n"
    )
    # Then both JSON lines are events at their own time, with their fields; the print is left out
    events = log_events(log)
    assert [(event["@timestamp"], event.get("source")) for event in events] == [
        (1795262400.5, None),
        (1795262460.0, "github"),
    ]
