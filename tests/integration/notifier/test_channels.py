"""Slack and the JSON webhook beside email: what a real HTTP sink receives, and how each channel fails, retries
and deduplicates on its own (the Lambda entry point on moto, the URLs in SecureString parameters on its SSM)."""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

from functions.common import catalog, http
from functions.common.http import PostError
from functions.notifier import app
from functions.notifier.channel import ChannelDeliveryError
from functions.notifier.delivery import Deliveries
from functions.notifier.presentation import UNREADABLE_SUBJECT, AlertLinks
from functions.notifier.webhook import WebhookChannel
from infra.config import REPO_ROOT
from tests.support import alarm_events
from tests.support.lambda_output import log_records
from tests.support.scripted_sink import Reply
from tests.unit.notifier.conftest import (
    RUNBOOK_URL,
    SLACK_PARAMETER,
    STACK_NAME,
    WEBHOOK_PARAMETER,
    Channels,
    Invoke,
    SentEmail,
)

SentEmails = Callable[[], list[SentEmail]]
ALERTING_DOC = REPO_ROOT / "docs" / "alerting.md"
API_5XX_ALARM = "api-5xx-errors"
API_5XX = catalog.alarm_name(STACK_NAME, API_5XX_ALARM)
REGION = alarm_events.REGION
CONSOLE = f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}"
ALARM_URL = f"{CONSOLE}#alarmsV2:alarm/{API_5XX}"
DASHBOARD_URL = f"{CONSOLE}#dashboards/dashboard/{catalog.dashboard_name(STACK_NAME)}"
RUNBOOK_SECTION_URL = f"{RUNBOOK_URL}#{API_5XX_ALARM}"
TITLE = f"[ALARM] {API_5XX}: 7 5xx (Sum) in 5 min (limit 5)"
"""An alarm without a title of ours (catalog.alarm_description): its name, and the metric as the unit."""
FACTS = [
    ("Alarm", API_5XX),
    ("State", "OK → ALARM"),
    ("When", "2024-05-01 12:05:00 UTC"),
    ("Watches", "5xx (Sum)"),
    ("Metric", "AWS/ApiGateway 5xx [ApiId=a1b2c3d4e5]"),
    ("Threshold", "alarms at ≥ 5, in 2 of 3 periods of 5 min"),
    ("Value that crossed it", "7 (datapoints, newest first: 7, 6)"),
    ("Missing data", "notBreaching"),
    ("Account / region", f"{alarm_events.ACCOUNT_ID} / {REGION}"),
]


def _api_5xx_alarm() -> dict[str, Any]:
    return alarm_events.sns_event(
        alarm_events.metric_alarm(API_5XX, values=(7.0, 6.0), threshold=5.0, description="Check the API <logs> & fix.")
    )


def _reason(event: dict[str, Any]) -> str:
    reason: str = json.loads(event["Records"][0]["Sns"]["Message"])["NewStateReason"]
    return reason


def _message_id(event: dict[str, Any]) -> str:
    message_id: str = event["Records"][0]["Sns"]["MessageId"]
    return message_id


def _button(label: str, url: str, index: int) -> dict[str, Any]:
    return {"type": "button", "text": {"type": "plain_text", "text": label}, "url": url, "action_id": f"link-{index}"}


def test_slack_receives_a_block_kit_message_with_state_reason_and_links(invoke: Invoke, channels: Channels) -> None:
    # Given the API 5xx alarm going from OK to ALARM, and Slack configured
    event = _api_5xx_alarm()
    # When SNS delivers it
    invoke(event)
    # Then Slack's webhook received one message: the title as the notification text, then the blocks
    (received,) = channels.slack()
    assert received.headers["Content-Type"] == "application/json; charset=utf-8"
    reason = _reason(event).replace(">", "&gt;")  # mrkdwn escapes &, < and >
    assert received.json() == {
        "text": TITLE,
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": f":rotating_light: {TITLE}", "emoji": True},
            },
            {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in FACTS]},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Reason*\n{reason}"}},
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "*What it means and what to do*\nCheck the API &lt;logs&gt; &amp; fix.",
                },
            },
            {
                "type": "actions",
                "elements": [
                    _button("Alarm in CloudWatch", ALARM_URL, 0),
                    _button("Dashboard", DASHBOARD_URL, 1),
                    _button("Runbook: what to do", RUNBOOK_SECTION_URL, 2),
                ],
            },
        ],
    }


def test_the_webhook_receives_the_documented_versioned_payload(invoke: Invoke, channels: Channels) -> None:
    # Given the same alarm, and a JSON webhook configured
    event = _api_5xx_alarm()
    # When SNS delivers it
    invoke(event)
    # Then the webhook received one POST carrying the delivery id in a header and in the document (version 1)
    (received,) = channels.webhook()
    assert received.headers["X-Alert-Delivery-Id"] == _message_id(event)
    assert received.headers["Content-Type"] == "application/json; charset=utf-8"
    facts = [*FACTS[:3], ("Reason", _reason(event)), *FACTS[3:]]
    assert received.json() == {
        "version": 1,
        "delivery_id": _message_id(event),
        "type": "alarm",
        "title": TITLE,
        "alarm": {
            "name": API_5XX,
            "id": API_5XX_ALARM,
            "state": "ALARM",
            "previous_state": "OK",
            "status": "ALARM",
            "summary": "7 5xx (Sum) in 5 min (limit 5)",
            "reason": _reason(event),
            "description": "Check the API <logs> & fix.",
            "changed_at": "2024-05-01T12:05:00.123000+00:00",
            "account_id": alarm_events.ACCOUNT_ID,
            "region": REGION,
        },
        "unreadable": None,
        "facts": [{"label": label, "value": value} for label, value in facts],
        "links": {"alarm": ALARM_URL, "dashboard": DASHBOARD_URL, "runbook": RUNBOOK_SECTION_URL},
    }


def test_an_unreadable_message_is_forwarded_raw_on_every_channel(
    invoke: Invoke, channels: Channels, sent_emails: SentEmails
) -> None:
    # Given a message on the alarm topic that is not an alarm notification
    event = alarm_events.sns_event("ALARM: the site is <on fire>", subject="Manual test")
    # When SNS delivers it
    invoke(event)
    # Then every channel gets it as it arrived, saying it could not be read
    assert [sent.subject for sent in sent_emails()] == [UNREADABLE_SUBJECT]
    (slack,) = channels.slack()
    blocks = slack.json()["blocks"]
    assert slack.json()["text"] == UNREADABLE_SUBJECT
    assert blocks[0]["text"]["text"] == f":warning: {UNREADABLE_SUBJECT}"
    assert blocks[3]["text"]["text"] == "*Message as received*\n```ALARM: the site is &lt;on fire&gt;```"
    (webhook,) = channels.webhook()
    document = webhook.json()
    assert (document["type"], document["alarm"], document["facts"]) == ("unreadable", None, [])
    assert document["unreadable"]["message"] == "ALARM: the site is <on fire>"
    assert document["unreadable"]["problem"].startswith("the message is not JSON")
    assert document["links"]["runbook"] == f"{RUNBOOK_URL}#{catalog.UNREADABLE_ALERT_SECTION}"


def test_a_webhook_answering_500_neither_blocks_nor_repeats_the_email(
    invoke: Invoke, channels: Channels, sent_emails: SentEmails
) -> None:
    # Given the webhook answers 500 to both attempts of the first invocation
    channels.sink.answer_next(Reply(), Reply(status=500, body="oops"), Reply(status=500, body="oops"))
    event = _api_5xx_alarm()
    # When SNS delivers the alarm, the invocation fails naming the webhook and its answer (so Lambda retries it)
    with pytest.raises(PostError, match=r"^webhook: HTTP 500 oops \(after 2 attempt\(s\)\)$"):
        invoke(event)
    # And the email and the Slack message went out anyway, once
    assert len(sent_emails()) == 1
    assert len(channels.slack()) == 1
    assert len(channels.webhook()) == 2
    # When Lambda retries the event and the webhook answers again
    receipt = invoke(event)["receipts"][0]
    # Then only the webhook is delivered: still one email, one Slack message
    assert len(sent_emails()) == 1
    assert len(channels.slack()) == 1
    assert len(channels.webhook()) == 3
    assert sorted(receipt["deliveries"]) == ["email", "slack", "webhook"]


def test_a_webhook_timing_out_is_not_resent_and_does_not_block_the_email(
    notifier_env: None, channels: Channels, sent_emails: SentEmails
) -> None:
    # Given a webhook that takes the post but answers only after the notifier stopped waiting (timeout shortened)
    url = channels.webhook_url
    webhook = WebhookChannel(url=lambda: url, timeout_seconds=0.2)
    email = app.notifier().deliveries.channels[0]
    to = app.Notifier(AlertLinks.from_environment(), (), Deliveries((email, webhook)), app.notifier().memory)
    channels.sink.answer_next(Reply(delay_seconds=1.0), Reply(delay_seconds=1.0))
    event = _api_5xx_alarm()
    # When the alarm is delivered, and delivered again (a redelivery, or a retry of the invocation)
    receipt = app.handle(event, to)["receipts"][0]
    app.handle(event, to)
    # Then the webhook got one copy, its receipt says it is unconfirmed, and the email went once
    assert receipt["deliveries"]["webhook"].startswith("unconfirmed: webhook: no answer within 0.2 s")
    assert len(channels.webhook()) == 1
    assert len(sent_emails()) == 1


def test_a_redelivered_sns_message_sends_nothing_twice_on_any_channel(
    invoke: Invoke, channels: Channels, sent_emails: SentEmails
) -> None:
    # Given an SNS message delivered twice
    event = _api_5xx_alarm()
    # When both deliveries are handled
    first = invoke(event)
    second = invoke(json.loads(json.dumps(event)))
    # Then each channel got it once, and the redelivery answered with the stored receipts
    assert (len(sent_emails()), len(channels.slack()), len(channels.webhook())) == (1, 1, 1)
    assert second == first
    assert first["receipts"][0]["deliveries"]["slack"] == "ok"
    assert first["receipts"][0]["deliveries"]["webhook"] == "HTTP 200"


def test_each_url_is_read_from_ssm_once_per_container(invoke: Invoke, channels: Channels) -> None:
    # Given the notifier's SSM client records its calls
    calls: list[str] = []
    app.notifier().deliveries.channels[1].webhook_url.store.client.meta.events.register(  # type: ignore[attr-defined]
        "before-parameter-build.ssm.GetParameter", lambda params, **_: calls.append(params["Name"])
    )
    # When three alarms arrive in the same container
    for _ in range(3):
        invoke(_api_5xx_alarm())
    # Then each parameter was read once (Powertools Parameters' cache), and every alarm reached both channels
    assert sorted(calls) == sorted([SLACK_PARAMETER, WEBHOOK_PARAMETER])
    assert (len(channels.slack()), len(channels.webhook())) == (3, 3)


def test_a_missing_parameter_fails_only_its_channel_naming_the_parameter(
    invoke: Invoke, channels: Channels, sent_emails: SentEmails
) -> None:
    boto3.client("ssm").delete_parameter(Name=SLACK_PARAMETER)
    with pytest.raises(ChannelDeliveryError, match=f"slack: could not read SSM parameter {SLACK_PARAMETER}"):
        invoke(_api_5xx_alarm())
    assert (len(sent_emails()), len(channels.webhook())) == (1, 1)


@pytest.mark.parametrize(
    ("replies", "problem"),
    [
        (
            [Reply(status=500, body="x"), Reply(status=404, body="Cannot POST {path}")],
            "HTTP 404 Cannot POST [redacted]",
        ),
        ([Reply(status=302, headers={"Location": "{url}"})], "HTTP 302"),
        ([Reply(status=403, body="invalid_token for {url}")], "HTTP 403 invalid_token for [redacted]"),
    ],
)
def test_no_secret_url_in_any_log_line_or_error_even_when_delivery_fails(
    invoke: Invoke,
    channels: Channels,
    lambda_stdout: Callable[[], str],
    caplog: pytest.LogCaptureFixture,
    replies: list[Reply],
    problem: str,
) -> None:
    # Given Slack's webhook fails with answers that quote its URL (a 404 page, a redirect, an error text)
    url, path = channels.slack_url, urlsplit(channels.slack_url).path
    channels.sink.answer_next(
        *(
            Reply(
                r.status,
                r.body.format(url=url, path=path),
                headers={k: v.format(url=url) for k, v in r.headers.items()},
            )
            for r in replies
        )
    )
    # When an alarm arrives and Slack refuses it
    with pytest.raises(PostError) as failure:
        invoke(_api_5xx_alarm())
    # Then the error says what Slack answered, and neither it nor any log line holds the URL or its secret parts
    assert problem in str(failure.value)
    output = lambda_stdout() + caplog.text + "".join(traceback.format_exception(failure.value))
    assert any(record["level"] == "ERROR" and record["channel"] == "slack" for record in log_records(output))
    for secret in (channels.slack_url, channels.webhook_url, "slackSecretToken42", "B0SECRET2", "webhookSecretToken77"):
        assert secret not in output


def test_a_stored_url_that_is_not_https_is_refused_without_quoting_it(
    invoke: Invoke, channels: Channels, sent_emails: SentEmails, lambda_stdout: Callable[[], str]
) -> None:
    # Given the owner stored a plain-http URL to another machine (the token would travel in clear)
    boto3.client("ssm").put_parameter(
        Name=WEBHOOK_PARAMETER, Value="http://hooks.example.com/T/secretInClear", Type="SecureString", Overwrite=True
    )
    with pytest.raises(PostError, match=r"^webhook: the stored URL is not an https URL$"):
        invoke(_api_5xx_alarm())
    assert "secretInClear" not in lambda_stdout()
    assert len(sent_emails()) == 1
    assert channels.webhook() == []


def test_the_documented_webhook_payload_has_the_keys_receivers_get(invoke: Invoke, channels: Channels) -> None:
    # Given the example and the key table in docs/alerting.md, "Webhook payload"
    section = ALERTING_DOC.read_text().split("### Webhook payload", 1)[1]
    example = json.loads(section.split("```json", 1)[1].split("```", 1)[0])
    first_cells = "\n".join(line.split("|")[1] for line in section.splitlines() if line.startswith("| `"))
    table = set(re.findall(r"`([a-z_.]+)`", first_cells))
    # When the webhook receives an alarm and an unreadable message
    invoke(_api_5xx_alarm())
    invoke(alarm_events.sns_event("not an alarm"))
    alarm, unreadable = (received.json() for received in channels.webhook())
    # Then the example has exactly the keys sent, and the table explains each
    assert sorted(example) == sorted(alarm) == sorted(unreadable)
    assert sorted(example["alarm"]) == sorted(alarm["alarm"])
    assert sorted(example["links"]) == sorted(alarm["links"])
    sent = {*alarm, *(f"alarm.{key}" for key in alarm["alarm"]), *(f"links.{key}" for key in alarm["links"])}
    assert sent - table == set()
    assert [key for key in unreadable["unreadable"] if f"`{key}`" not in section] == []


def test_slack_rate_limiting_is_waited_out_once(channels: Channels) -> None:
    # Given Slack answers 429 (more than a message a second), then takes the message
    channels.sink.answer_next(Reply(status=429, body="rate_limited", headers={"Retry-After": "1"}))
    waits: list[float] = []
    # When a message is posted
    answer = http.post_json("slack", channels.slack_url, {"text": "hi"}, user_agent="test", sleep=waits.append)
    # Then the notifier waited a second and the second attempt went through
    assert (waits, answer.status, answer.body) == ([http.RETRY_DELAY_SECONDS], 200, "ok")
    assert [r.json() for r in channels.slack()] == [{"text": "hi"}, {"text": "hi"}]


def test_a_client_error_is_not_retried(channels: Channels) -> None:
    # Given Slack refuses the payload itself (400 invalid_payload): trying again would not help
    channels.sink.answer_next(Reply(status=400, body="invalid_payload"))
    with pytest.raises(PostError, match=r"^slack: HTTP 400 invalid_payload \(after 1 attempt\(s\)\)$"):
        http.post_json("slack", channels.slack_url, {"text": "hi"}, user_agent="test", sleep=lambda _: None)
    assert len(channels.slack()) == 1


def test_an_unknown_channel_in_the_environment_fails_loudly_naming_it(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(catalog.ALERT_CHANNELS_ENV, "teams=/resume/teams")
    with pytest.raises(RuntimeError, match=f"{catalog.ALERT_CHANNELS_ENV} names an unknown channel 'teams'"):
        invoke(_api_5xx_alarm())
