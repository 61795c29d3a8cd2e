"""The notifier's Lambda entry point on moto: real-shaped SNS events in, emails read back from the emulated SES."""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape as html_escape
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from functions.common import catalog
from functions.notifier import app
from functions.notifier.presentation import MAX_SUBJECT_CHARS, UNREADABLE_SUBJECT
from functions.notifier.sender import AlertDeliveryError
from infra.monitoring.http_api import API_5XX_ALARM, API_P99_LATENCY_ALARM
from tests.support import alarm_events
from tests.support.lambda_output import emitted_metrics, log_records
from tests.unit.notifier.conftest import RECIPIENTS, RUNBOOK_URL, SENDER, STACK_NAME, Invoke, SentEmail
from tools.local.lambda_runtime.events import LocalLambdaContext

SentEmails = Callable[[], list[SentEmail]]
SERVER_ERRORS = catalog.alarm_description("Server errors", "5xx answers", "Check the API logs.")
"""The description as infra deploys it: the alarm's title and its figure's unit first."""
# Alarm ids as the stack names them (infra/monitoring/); the notifier itself knows none.
API_5XX = catalog.alarm_name(STACK_NAME, API_5XX_ALARM)
REGION = alarm_events.REGION
CONSOLE = f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}"
DASHBOARD_URL = f"{CONSOLE}#dashboards/dashboard/{catalog.dashboard_name(STACK_NAME)}"


def _only(sent_emails: SentEmails) -> SentEmail:
    emails = sent_emails()
    assert len(emails) == 1, [e.subject for e in emails]
    return emails[0]


def _links_in_both_parts(sent: SentEmail, *urls: str) -> None:
    text, html = sent.part("plain"), sent.part("html")
    for url in urls:
        assert url in text
        assert f"href='{url}'" in html


def test_alarm_email_has_subject_recipients_parts_and_links(invoke: Invoke, sent_emails: SentEmails) -> None:
    # Given the API 5xx alarm, titled as the stack deploys it, going from OK to ALARM with 7 then 6 errors per 5 min
    message = alarm_events.metric_alarm(API_5XX, values=(7.0, 6.0), threshold=5.0, description=SERVER_ERRORS)
    # When SNS delivers it
    invoke(alarm_events.sns_event(message))
    # Then one email goes from the sender to every recipient
    sent = _only(sent_emails)
    assert sent.source == SENDER
    assert sent.message["From"] == SENDER
    assert sent.to == RECIPIENTS
    assert set(sent.destinations) == set(RECIPIENTS)
    # And its subject says the state, the alarm's title and the latest value against the limit, in its period
    assert sent.subject == "[ALARM] Server errors: 7 5xx answers in 5 min (limit 5)"
    # And both parts carry the state change, when, the metric, threshold, value and where
    for body in (sent.part("plain"), sent.part("html")):
        assert "OK → ALARM" in body
        assert "2024-05-01 12:05:00 UTC" in body
        assert "AWS/ApiGateway 5xx [ApiId=a1b2c3d4e5]" in body
        assert "≥ 5, in 2 of 3 periods of 5 min" in body
        assert "Value that crossed it" in body
        assert "7 (datapoints, newest first: 7, 6)" in body
        assert f"{alarm_events.ACCOUNT_ID} / {REGION}" in body
        # And what to do, without the title and unit the subject already says
        assert "Check the API logs." in body
        assert "Server errors (5xx answers)." not in body
    # And links to the alarm, the dashboard and this alarm's runbook section
    _links_in_both_parts(sent, f"{CONSOLE}#alarmsV2:alarm/{API_5XX}", DASHBOARD_URL, f"{RUNBOOK_URL}#{API_5XX_ALARM}")


def test_ok_after_alarm_is_reported_as_resolved(invoke: Invoke, sent_emails: SentEmails) -> None:
    message = alarm_events.metric_alarm(
        API_5XX, new_state="OK", old_state="ALARM", values=(0.0, 1.0, 0.0), description=SERVER_ERRORS
    )
    invoke(alarm_events.sns_event(message))
    sent = _only(sent_emails)
    assert sent.subject == "[RESOLVED] Server errors: 0 5xx answers in 5 min (limit 5)"
    assert "ALARM → OK" in sent.part("plain")
    assert "Latest value: 0 (datapoints, newest first: 0, 1, 0)" in sent.part("plain")


def test_a_figure_of_one_is_counted_in_the_singular(invoke: Invoke, sent_emails: SentEmails) -> None:
    # Given alarms whose latest figure is one failure: a check, a delivery (-ies), then two
    units = [(1.0, "failed checks", "1 failed check"), (1.0, "failed deliveries", "1 failed delivery")]
    units.append((2.0, "failed checks", "2 failed checks"))
    for value, unit, said in units:
        description = catalog.alarm_description("Site unavailable", unit, "Open the site.")
        message = alarm_events.metric_alarm(API_5XX, values=(value,), threshold=1.0, description=description)
        invoke(alarm_events.sns_event(message))
        # Then the subject counts it as a reader would
        assert sent_emails()[-1].subject == f"[ALARM] Site unavailable: {said} in 5 min (limit 1)"


def test_percentile_alarm_names_the_percentile(invoke: Invoke, sent_emails: SentEmails) -> None:
    name = catalog.alarm_name(STACK_NAME, API_P99_LATENCY_ALARM)
    message = alarm_events.metric_alarm(
        name,
        metric_name="Latency",
        statistic="p99",
        threshold=1500.0,
        comparison="GreaterThanThreshold",
        values=(2300.0, 1800.0),
        description=catalog.alarm_description("Slow API", "ms", "Check the counter's duration."),
    )
    invoke(alarm_events.sns_event(message))
    sent = _only(sent_emails)
    assert sent.subject == "[ALARM] Slow API: 2300 ms p99 over 5 min (limit 1500 ms)"
    _links_in_both_parts(sent, f"{RUNBOOK_URL}#{API_P99_LATENCY_ALARM}")


def test_an_alarm_named_like_the_stacks_but_not_deployed_by_it_links_the_runbook_start(
    invoke: Invoke, sent_emails: SentEmails
) -> None:
    # Given an alarm someone made by hand with the stack's prefix (no runbook section is written for it)
    name = catalog.alarm_name(STACK_NAME, "my-own-check")
    invoke(alarm_events.sns_event(alarm_events.metric_alarm(name=name)))
    # Then its runbook link is the runbook itself
    sent = _only(sent_emails)
    _links_in_both_parts(sent, RUNBOOK_URL)
    assert f"{RUNBOOK_URL}#" not in sent.part("plain")


def test_an_alarm_without_a_trigger_is_summed_up_by_its_reasons_first_line(
    invoke: Invoke, sent_emails: SentEmails
) -> None:
    # Given a composite alarm's notification (someone else's: this stack defines none), which carries no Trigger
    message = alarm_events.metric_alarm("site-down", reason="child-a went to ALARM\nchild-b stayed OK")
    del message["Trigger"]
    invoke(alarm_events.sns_event(message))
    # Then it is emailed as an alarm, not as an unreadable message, its subject the reason's first line
    sent = _only(sent_emails)
    assert sent.subject == "[ALARM] site-down: child-a went to ALARM"
    assert "child-b stayed OK" in sent.part("plain")


def test_a_subject_too_long_for_an_inbox_list_is_cut_to_fit(invoke: Invoke, sent_emails: SentEmails) -> None:
    # Given an alarm without a title of ours, whose name alone fills an inbox line
    name = catalog.alarm_name(STACK_NAME, "an-alarm-someone-named-at-length-" * 3)
    invoke(alarm_events.sns_event(alarm_events.metric_alarm(name=name)))
    # Then the subject is cut to what an inbox list shows, and says so
    subject = _only(sent_emails).subject
    assert len(subject) == MAX_SUBJECT_CHARS
    assert subject.startswith(f"[ALARM] {name[:40]}")
    assert subject.endswith("…")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("ALARM: the site is on fire", "not JSON"),
        ('["a", "list"]', "not an object"),
        ('{"Hello": "from someone publishing to the topic by hand"}', "no AlarmName"),
        ('{"AlarmName": "x", "NewStateValue": "EXPLODED"}', "not an alarm state"),
    ],
)
def test_unreadable_message_is_forwarded_raw_and_logged(
    invoke: Invoke, sent_emails: SentEmails, lambda_stdout: Callable[[], str], body: str, problem: str
) -> None:
    # Given a message on the alarm topic that is not a CloudWatch alarm notification
    event = alarm_events.sns_event(body, subject="Manual test")
    # When SNS delivers it
    invoke(event)
    # Then it is still emailed, saying so in a fixed subject, with the message as it arrived, why it was unreadable
    # and the subject it was published with
    sent = _only(sent_emails)
    assert sent.subject == UNREADABLE_SUBJECT
    assert "SNS subject: Manual test" in sent.part("plain")
    assert sent.to == RECIPIENTS
    text, html = sent.part("plain"), sent.part("html")
    assert body in text
    assert problem in text
    assert event["Records"][0]["Sns"]["MessageId"] in text
    assert "<pre" in html
    assert html_escape(body) in html
    _links_in_both_parts(sent, f"{RUNBOOK_URL}#{catalog.UNREADABLE_ALERT_SECTION}")
    # And it is logged as a warning
    assert any(record["level"] == "WARNING" for record in log_records(lambda_stdout()))


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("StateChangeTime", "0001-01-01T00:00:00.000+0100", "could not be rendered"),
        ("StateChangeTime", "yesterday", None),
    ],
)
def test_an_alarm_with_odd_values_still_reaches_the_owner(
    invoke: Invoke, sent_emails: SentEmails, field: str, value: str, problem: str | None
) -> None:
    # Given an alarm message that parses but carries a value the email cannot show as it is
    message = dict(alarm_events.metric_alarm(API_5XX))
    message[field] = value
    # When SNS delivers it, Then one email goes out (rendered, or forwarded raw saying why), and nothing raises
    invoke(alarm_events.sns_event(message))
    sent = _only(sent_emails)
    assert API_5XX in sent.part("plain")
    if problem is not None:
        assert sent.subject.strip().startswith("[UNREADABLE ALERT]")
        assert problem in sent.part("plain")


@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e999"])
def test_non_finite_numbers_in_an_alarm_do_not_stop_its_email(
    invoke: Invoke, sent_emails: SentEmails, number: str
) -> None:
    # Python's JSON parser accepts these; CloudWatch never sends them
    body = json.dumps(alarm_events.metric_alarm(API_5XX)).replace('"Period": 300', f'"Period": {number}', 1)
    assert number in body
    invoke(alarm_events.sns_event(body))
    assert API_5XX in _only(sent_emails).subject


def test_an_event_that_is_not_from_sns_is_forwarded_whole(invoke: Invoke, sent_emails: SentEmails) -> None:
    # Given an invocation by hand, with no SNS message id to deduplicate on
    with pytest.warns(UserWarning, match="No idempotency key"):
        invoke({"source": "someone", "detail": {"note": "invoked by hand"}})
    # Then it is still emailed, whole
    sent = _only(sent_emails)
    assert sent.subject == UNREADABLE_SUBJECT
    assert '"note": "invoked by hand"' in sent.part("plain")


def test_markup_in_an_alarm_is_escaped_in_html(invoke: Invoke, sent_emails: SentEmails) -> None:
    message = alarm_events.metric_alarm(API_5XX, description="<script>alert(1)</script> & more")
    invoke(alarm_events.sns_event(message))
    html = _only(sent_emails).part("html")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html


def test_redelivered_sns_message_sends_one_email(invoke: Invoke, sent_emails: SentEmails) -> None:
    # Given an SNS message delivered twice (SNS delivers at least once)
    event = alarm_events.sns_event(alarm_events.metric_alarm(API_5XX))
    # When both deliveries are handled
    first = invoke(event)
    second = invoke(json.loads(json.dumps(event)))
    # Then one email was sent, and the redelivery answered with the first one's receipt
    assert len(sent_emails()) == 1
    assert second == first
    assert first["receipts"][0]["sns_message_id"] == event["Records"][0]["Sns"]["MessageId"]


def test_the_same_alarm_change_in_two_sns_messages_sends_two_emails(invoke: Invoke, sent_emails: SentEmails) -> None:
    # The key is the SNS message id, not the content: two publications are two alerts.
    message = alarm_events.metric_alarm(API_5XX)
    invoke(alarm_events.sns_event(message))
    invoke(alarm_events.sns_event(message))
    assert len(sent_emails()) == 2


def test_nothing_goes_to_ses_before_the_sender_is_verified(
    invoke: Invoke, sent_emails: SentEmails, lambda_stdout: Callable[[], str]
) -> None:
    # Given a first deploy: SES has not verified the sender yet (the owner has not clicked SES's link)
    boto3.client("sesv2").delete_email_identity(EmailIdentity=SENDER)
    # When an alarm arrives
    receipt = invoke(alarm_events.sns_event(alarm_events.metric_alarm(API_5XX)))["receipts"][0]
    # Then SES is not asked to send, the invocation does not fail (no retries, no dead letter), the receipt and a
    # warning say why, and no email is counted
    assert sent_emails() == []
    assert receipt["deliveries"] == {"email": "not sent: SES identities not verified"}
    output = lambda_stdout()
    (warning,) = [record for record in log_records(output) if record["level"] == "WARNING"]
    assert warning["unverified"] == [SENDER]
    assert "click the link SES mailed" in warning["message"]
    assert emitted_metrics(output) == []


def test_only_verified_recipients_are_emailed(invoke: Invoke, sent_emails: SentEmails) -> None:
    # Given one recipient SES has not verified (in the sandbox, SES would refuse the whole email)
    owner, oncall = RECIPIENTS
    boto3.client("sesv2").delete_email_identity(EmailIdentity=oncall)
    # When an alarm arrives, Then the email goes to the verified one only
    invoke(alarm_events.sns_event(alarm_events.metric_alarm(API_5XX)))
    assert _only(sent_emails).destinations == (owner,)


def test_a_verified_domain_verifies_its_addresses(invoke: Invoke, sent_emails: SentEmails) -> None:
    # Given the recipients verified through their domain's identity rather than each address
    sesv2 = boto3.client("sesv2")
    for recipient in RECIPIENTS:
        sesv2.delete_email_identity(EmailIdentity=recipient)
    sesv2.create_email_identity(EmailIdentity="example.com")
    invoke(alarm_events.sns_event(alarm_events.metric_alarm(API_5XX)))
    assert set(_only(sent_emails).destinations) == set(RECIPIENTS)


def test_ses_rejection_fails_the_invocation_and_a_retry_sends(invoke: Invoke, sent_emails: SentEmails) -> None:
    # Given SES refuses the email although its identities are verified (sending paused, a quota)
    email = app.notifier().deliveries.channels[0]
    event = alarm_events.sns_event(alarm_events.metric_alarm(API_5XX))
    with Stubber(email.client) as stubber:  # type: ignore[attr-defined]
        stubber.add_client_error("send_email", service_error_code="SendingPausedException", http_status_code=400)
        # When SNS delivers the alarm, the invocation fails, so Lambda retries it and then dead-letters it
        with pytest.raises(AlertDeliveryError, match="SES did not send"):
            invoke(event)
    assert sent_emails() == []
    # And once SES accepts it again, Lambda's retry of the same event sends the email
    invoke(event)
    assert len(sent_emails()) == 1


@pytest.mark.parametrize("error_code", ["TooManyRequestsException", "SendingPausedException", "AccessDeniedException"])
def test_ses_errors_raise_a_delivery_error(invoke: Invoke, error_code: str) -> None:
    # Given SES answers an error
    email = app.notifier().deliveries.channels[0]
    with Stubber(email.client) as stubber:  # type: ignore[attr-defined]
        stubber.add_client_error("send_email", service_error_code=error_code, http_status_code=400)
        # When an alarm arrives, Then the invocation fails with the SES error code in the message
        with pytest.raises(AlertDeliveryError, match=error_code):
            invoke(alarm_events.sns_event(alarm_events.metric_alarm(API_5XX)))


@pytest.mark.parametrize(
    "variable",
    [
        catalog.SENDER_EMAIL_ENV,
        catalog.ALERT_RECIPIENTS_ENV,
        catalog.IDEMPOTENCY_TABLE_ENV,
        catalog.STACK_NAME_ENV,
        catalog.RUNBOOK_URL_ENV,
        catalog.ALARM_IDS_ENV,
    ],
)
def test_a_missing_setting_fails_loudly_naming_it(
    notifier_env: None, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.delenv(variable)
    context: Any = LocalLambdaContext(function_name="n")
    with pytest.raises(RuntimeError, match=variable):
        app.lambda_handler(alarm_events.sns_event(alarm_events.metric_alarm(API_5XX)), context)
