"""The local system's channels and `make digest`: Slack and the webhook configured on the local sink (their URLs in
SecureString parameters on the emulator's SSM), an alarm and a digest received by every channel, and the outbox
page listing what each channel received."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests

from functions.common import catalog
from tests.support import alarm_events
from tools.local.chat.channels import SLACK_PARAMETER, WEBHOOK_PARAMETER
from tools.local.drills import digest as send_digest
from tools.local.system import LocalSystem

pytestmark = pytest.mark.e2e

FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
VISITORS = 3
VIEWS_EACH = 2


def _alarm_topic(system: LocalSystem) -> str:
    for subscription in system.model.source.of_type("AWS::SNS::Subscription").values():
        if subscription["Properties"]["Protocol"] == "lambda":
            return system.model.source.resolve(subscription["Properties"]["TopicArn"])
    raise AssertionError("no Lambda subscription in the template")


def _digest_emails(system: LocalSystem) -> list[str]:
    return [sent.subject for sent in system.outbox() if sent.subject.startswith("Weekly digest")]


def test_the_channels_urls_are_secure_string_parameters_on_the_emulator(local_system: LocalSystem) -> None:
    ssm = local_system.emulator.clients().ssm  # the system's own rights: the emulator enforces IAM
    for name in (SLACK_PARAMETER, WEBHOOK_PARAMETER):
        parameter = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
        assert parameter["Type"] == "SecureString"
        assert parameter["Value"].startswith("http://127.0.0.1:")


def test_an_alarm_reaches_email_slack_and_the_webhook_and_the_outbox_lists_each(local_system: LocalSystem) -> None:
    # Given an alarm state change published to the alarm topic as CloudWatch would
    name = catalog.alarm_name("ResumeBackend", "api-5xx-errors")
    (alarm,) = [alarm for alarm in local_system.model.alarms if alarm.name == name]
    event = alarm_events.metric_alarm(name, values=(7.0, 6.0), threshold=5.0, description=alarm.description)
    # When SNS delivers it to the notifier
    local_system.fanout.publish(_alarm_topic(local_system), json.dumps(event), f'ALARM: "{name}"')
    # Then every channel received it under the alarm's own title, with its figure and limit
    channels = requests.get(f"{local_system.console_url}/api/channels", timeout=10).json()
    titled = catalog.alarm_title_and_unit(alarm.description)
    assert titled is not None
    short_title, unit = titled
    title = f"[ALARM] {short_title}: 7 {unit} in 5 min (limit 5)"
    assert title in [sent["subject"] for sent in channels["email"]]
    assert title in [message["title"] for message in channels["slack"]]
    (webhook,) = [m for m in channels["webhook"] if m["title"] == title]
    assert webhook["body"]["type"] == "alarm"
    page = requests.get(f"{local_system.console_url}/outbox", timeout=10).text
    for section in ("<h2>Email</h2>", '<h2 id="slack">Slack</h2>', '<h2 id="webhook">Webhook</h2>'):
        assert section in page
    assert page.count("[ALARM] ") >= 3


def test_make_digest_sends_the_week_so_far_to_every_channel(
    local_system: LocalSystem, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given visits of this week, counted by the counter in the emulator's visits table
    for visitor in range(VISITORS):
        for _ in range(VIEWS_EACH):
            headers = {"user-agent": f"{FIREFOX} digest/{visitor}"}
            assert requests.post(f"{local_system.api_url}/visits", headers=headers, timeout=10).status_code == 200
    # When `make digest` runs against the running system
    status = send_digest.main(["--port-base", str(local_system.ports.emulator)])
    # Then it reports every channel, and the digest is in the outbox with this week's exact figures
    printed = capsys.readouterr().out
    assert status == 0, printed
    for channel in ("email", "slack", "webhook"):
        assert f"  {channel}" in printed
    now = datetime.now(UTC)
    monday = (now - timedelta(days=now.weekday())).date()
    views = VISITORS * VIEWS_EACH
    (subject,) = _digest_emails(local_system)
    assert subject.startswith(f"Weekly digest: week of {monday.isoformat()} so far — {views} views")
    (email,) = [sent for sent in local_system.outbox() if sent.subject == subject]
    assert f"Unique visitors: {VISITORS} " in email.text
    assert "Alarm history could not be read" in email.text  # moto has no DescribeAlarmHistory (docs/local.md)
    (slack,) = [m for m in local_system.channel_messages(catalog.SLACK_CHANNEL) if m.title == subject]
    assert slack.body["blocks"][0]["type"] == "header"
    (webhook,) = [m for m in local_system.channel_messages(catalog.WEBHOOK_CHANNEL) if m.title == subject]
    assert webhook.body["type"] == "digest"
    assert webhook.body["digest"]["so_far"] is True
    assert webhook.body["digest"]["this_week"]["views"] == views
    assert webhook.body["digest"]["this_week"]["unique_visitors"] == VISITORS
    assert webhook.body["digest"]["this_week"]["busiest_day"] == now.date().isoformat()
    page = requests.get(f"{local_system.console_url}/outbox", timeout=10).text
    assert page.count("Weekly digest: week of") >= 3


def test_make_digest_without_a_running_system_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support.ports import free_port_base

    assert send_digest.main(["--port-base", str(free_port_base())]) == 1
    assert "start it with `make dev`" in capsys.readouterr().err
