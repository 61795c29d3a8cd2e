"""The throttle guard: which alarm changes engage or release it, the API Gateway adapter, and the notifier applying
it before it delivers — on moto for SES and DynamoDB, and for UpdateStage the local system's stage control (moto 5
does not implement apigatewayv2 UpdateStage; the first test proves it, so the day it does this can move there)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import timedelta

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from functions.common import catalog
from functions.notifier import app
from functions.notifier.alarm_message import parse_alarm_message
from functions.notifier.guard import (
    ApiGatewayStageThrottle,
    DynamoDBGuardLedger,
    GuardAction,
    GuardError,
    GuardSettings,
    ThrottleLimits,
    decide,
)
from tests.support import alarm_events
from tests.unit.notifier.conftest import STACK_NAME, Channels, Invoke, SentEmail
from tools.local.apigateway.stage_control import ENDPOINT_VARIABLE, StageControl

SPIKE = catalog.alarm_name(STACK_NAME, catalog.API_REQUEST_SPIKE_ALARM)
API_ID = "a1b2c3d4e5"
STAGE = "$default"
NORMAL = ThrottleLimits(20.0, 40)
GUARDED = ThrottleLimits(2.0, 10)
SETTINGS = GuardSettings(alarm_name=SPIKE, guarded=GUARDED, normal=NORMAL)
SentEmails = Callable[[], list[SentEmail]]


def _change(name: str, new_state: str, old_state: str = "OK") -> object:
    return parse_alarm_message(json.dumps(alarm_events.metric_alarm(name, new_state=new_state, old_state=old_state)))


def _spike(new_state: str, old_state: str) -> dict[str, object]:
    """The spike alarm's change; an OK comes 10 minutes after the ALARM, as it would."""
    later = timedelta(minutes=10 if new_state == "OK" else 0)
    return alarm_events.metric_alarm(
        SPIKE,
        new_state=new_state,
        old_state=old_state,
        metric_name="Count",
        dimensions={"ApiId": API_ID},
        threshold=1000,
        comparison="GreaterThanThreshold",
        values=(1522.0, 1001.0) if new_state == "ALARM" else (0.0, 955.0),
        changed_at=alarm_events.CHANGED_AT + later,
    )


# -- deciding ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "new_state", "old_state", "expected"),
    [
        (SPIKE, "ALARM", "OK", GuardAction.ENGAGE),
        (SPIKE, "OK", "ALARM", GuardAction.RELEASE),
        # an ALARM that went through INSUFFICIENT_DATA (no action on it) must still end in a release
        (SPIKE, "OK", "INSUFFICIENT_DATA", GuardAction.RELEASE),
        (SPIKE, "INSUFFICIENT_DATA", "ALARM", None),
        (catalog.alarm_name(STACK_NAME, "api-5xx-errors"), "ALARM", "OK", None),
        ("OtherStack-api-request-spike", "ALARM", "OK", None),
    ],
)
def test_the_guard_follows_only_the_spike_alarm(
    name: str, new_state: str, old_state: str, expected: GuardAction | None
) -> None:
    assert decide(_change(name, new_state, old_state), SETTINGS) == expected  # type: ignore[arg-type]


# -- the adapter ------------------------------------------------------------------------------------------------


def test_moto_does_not_implement_update_stage_which_is_why_the_local_system_serves_it() -> None:
    with mock_aws():
        client = boto3.client("apigatewayv2")
        api_id = client.create_api(Name="visits", ProtocolType="HTTP")["ApiId"]
        client.create_stage(ApiId=api_id, StageName=STAGE)
        with pytest.raises(NotImplementedError):
            client.update_stage(ApiId=api_id, StageName=STAGE, DefaultRouteSettings={"ThrottlingRateLimit": 2.0})


def test_the_adapter_sends_absolute_limits_of_the_default_route() -> None:
    client = boto3.client("apigatewayv2", region_name="eu-west-1")
    with Stubber(client) as stub:
        stub.add_response(
            "update_stage",
            {"StageName": STAGE},
            {
                "ApiId": API_ID,
                "StageName": STAGE,
                "DefaultRouteSettings": {"ThrottlingRateLimit": 2.0, "ThrottlingBurstLimit": 10},
            },
        )
        ApiGatewayStageThrottle(client, api_id=API_ID, stage_name=STAGE).set_limits(GUARDED)
        stub.assert_no_pending_responses()


@pytest.mark.parametrize("code", ["AccessDeniedException", "NotFoundException", "TooManyRequestsException"])
def test_aws_errors_become_guard_errors_naming_the_code(code: str) -> None:
    client = boto3.client("apigatewayv2", region_name="eu-west-1")
    with Stubber(client) as stub:
        stub.add_client_error("update_stage", service_error_code=code, service_message="refused here")
        with pytest.raises(GuardError, match=f"{code}: refused here"):
            ApiGatewayStageThrottle(client, api_id=API_ID, stage_name=STAGE).set_limits(GUARDED)


def test_an_access_denied_names_no_role_or_account_since_slack_and_the_webhook_show_it() -> None:
    client = boto3.client("apigatewayv2", region_name="eu-west-1")
    message = (
        "User: arn:aws:sts::123456789012:assumed-role/Notifier-Role/fn is not authorized to perform: "
        "apigateway:PATCH on resource: arn:aws:apigateway:eu-west-1::/apis/a1b2c3d4e5/stages/$default"
    )
    with Stubber(client) as stub:
        stub.add_client_error("update_stage", service_error_code="AccessDeniedException", service_message=message)
        with pytest.raises(GuardError) as refused:
            ApiGatewayStageThrottle(client, api_id=API_ID, stage_name=STAGE).set_limits(GUARDED)
    text = str(refused.value)
    assert "AccessDeniedException" in text
    assert "is not authorized to perform: apigateway:PATCH" in text
    assert "123456789012" not in text
    assert "Notifier-Role" not in text


# -- the notifier applying it -----------------------------------------------------------------------------------


class _Stage:
    def __init__(self) -> None:
        self.limits = (NORMAL.rate_per_second, NORMAL.burst_requests)

    def read(self) -> tuple[float, int]:
        return self.limits

    def write(self, rate: float, burst: int) -> None:
        self.limits = (rate, burst)


@pytest.fixture
def stage(notifier_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[_Stage]:
    """The stage's throttle behind the local stage control (real HTTP, real botocore), named in the notifier's
    environment as infra/guard.py does."""
    limits = _Stage()
    control = StageControl(API_ID, STAGE, read=limits.read, write=limits.write).start()
    for name, value in {
        ENDPOINT_VARIABLE: control.endpoint,
        catalog.GUARD_API_ID_ENV: API_ID,
        catalog.GUARD_STAGE_NAME_ENV: STAGE,
        catalog.GUARD_RATE_ENV: "2",
        catalog.GUARD_BURST_ENV: "10",
        catalog.NORMAL_RATE_ENV: "20",
        catalog.NORMAL_BURST_ENV: "40",
    }.items():
        monkeypatch.setenv(name, value)
    yield limits
    control.stop()


def _guard_line(text: str) -> str:
    (line,) = [line for line in text.splitlines() if line.startswith("Throttle guard:")]
    return line


def test_the_spike_alarm_lowers_the_throttle_and_the_email_says_so(
    stage: _Stage, invoke: Invoke, sent_emails: SentEmails
) -> None:
    # Given the stage at its configured throttle; When api-request-spike goes to ALARM
    receipt = invoke(alarm_events.sns_event(_spike("ALARM", "OK")))
    # Then the stage's throttle is the guard's, and the owner's email says it engaged, with the new limits
    assert stage.limits == (2.0, 10)
    (sent,) = sent_emails()
    assert _guard_line(sent.part("plain")) == (
        "Throttle guard: engaged: API stage throttle lowered to 2 requests/s, burst 10"
    )
    assert "Throttle guard" in sent.part("html")
    assert receipt["receipts"][0]["guard"] == {
        "action": "engage",
        "rate_per_second": 2.0,
        "burst_requests": 10,
        "error": None,
        "superseded": False,
    }


def test_ok_restores_the_configured_throttle_and_says_so(
    stage: _Stage, invoke: Invoke, sent_emails: SentEmails
) -> None:
    invoke(alarm_events.sns_event(_spike("ALARM", "OK")))
    invoke(alarm_events.sns_event(_spike("OK", "ALARM")))
    assert stage.limits == (20.0, 40)
    resolved = sent_emails()[-1]
    assert resolved.subject.startswith(f"[RESOLVED] {SPIKE}")
    assert _guard_line(resolved.part("plain")) == (
        "Throttle guard: released: API stage throttle restored to 20 requests/s, burst 40"
    )


def test_a_deploys_ok_still_releases_the_guard_without_telling_the_owner(
    stage: _Stage, invoke: Invoke, sent_emails: SentEmails
) -> None:
    # Given the stage left at the guard's throttle; When the spike alarm's first OK after a deploy arrives
    stage.limits = (2.0, 10)
    receipt = invoke(alarm_events.sns_event(_spike("OK", "INSUFFICIENT_DATA")))["receipts"][0]
    # Then the guard released as before (it acts on its own rules), and the owner's inbox stays quiet
    assert stage.limits == (20.0, 40)
    assert receipt["guard"]["action"] == "release"
    assert sent_emails() == []


def test_a_redelivered_alarm_after_its_ok_neither_re_engages_nor_emails_twice(
    stage: _Stage, invoke: Invoke, sent_emails: SentEmails
) -> None:
    # Given the spike fired and resolved
    alarm = alarm_events.sns_event(_spike("ALARM", "OK"))
    invoke(alarm)
    invoke(alarm_events.sns_event(_spike("OK", "ALARM")))
    # When SNS delivers the ALARM message again
    invoke(json.loads(json.dumps(alarm)))
    # Then the stage keeps the restored throttle and no third email went out
    assert stage.limits == (20.0, 40)
    assert len(sent_emails()) == 2


def test_other_alarms_leave_the_stage_alone(stage: _Stage, invoke: Invoke, sent_emails: SentEmails) -> None:
    invoke(alarm_events.sns_event(alarm_events.metric_alarm(catalog.alarm_name(STACK_NAME, "api-5xx-errors"))))
    assert stage.limits == (20.0, 40)
    assert "Throttle guard" not in sent_emails()[0].part("plain")


def test_a_failed_guard_is_emailed_then_fails_the_invocation_and_a_retry_that_succeeds_says_so_once(
    stage: _Stage, invoke: Invoke, sent_emails: SentEmails, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a notifier whose UpdateStage is refused (it names a stage API Gateway does not know)
    monkeypatch.setenv(catalog.GUARD_API_ID_ENV, "not-this-api")
    event = alarm_events.sns_event(_spike("ALARM", "OK"))
    # When the spike alarm arrives, Then the invocation fails (notifier-errors alarms on the alerting-health path)...
    with pytest.raises(
        GuardError, match=r"throttle guard failed to engage: GuardError: UpdateStage .* NotFoundException"
    ):
        invoke(event)
    # ...after the owner's email said the guard failed, and why
    (failed,) = sent_emails()
    assert _guard_line(failed.part("plain")).startswith("Throttle guard: FAILED to engage")
    assert "NotFoundException" in failed.part("plain")
    assert stage.limits == (20.0, 40)
    # And Lambda's retry fails the same way without a second failure email
    with pytest.raises(GuardError):
        invoke(json.loads(json.dumps(event)))
    assert len(sent_emails()) == 1
    # When the cause is fixed and Lambda retries again, the guard engages and the owner is told, once
    monkeypatch.setenv(catalog.GUARD_API_ID_ENV, API_ID)
    app.notifier.cache_clear()  # a new container would read the fixed setting
    invoke(json.loads(json.dumps(event)))
    invoke(json.loads(json.dumps(event)))
    assert stage.limits == (2.0, 10)
    assert [_guard_line(sent.part("plain")).split(":")[1].strip() for sent in sent_emails()] == [
        "FAILED to engage",
        "engaged",
    ]


def test_an_alarm_retried_after_its_ok_does_not_engage_the_guard_again(
    stage: _Stage, invoke: Invoke, sent_emails: SentEmails, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a spike ALARM whose stage update was refused, so Lambda will retry it
    monkeypatch.setenv(catalog.GUARD_API_ID_ENV, "not-this-api")
    alarm = alarm_events.sns_event(_spike("ALARM", "OK"))
    with pytest.raises(GuardError):
        invoke(alarm)
    monkeypatch.setenv(catalog.GUARD_API_ID_ENV, API_ID)
    app.notifier.cache_clear()
    # And the alarm's OK, 10 minutes later, released the guard
    invoke(alarm_events.sns_event(_spike("OK", "ALARM")))
    assert stage.limits == (20.0, 40)
    # When Lambda's retry of the ALARM finally arrives
    invoke(json.loads(json.dumps(alarm)))
    # Then the stage keeps the configured throttle (the alarm is OK), and the owner is told why nothing happened
    assert stage.limits == (20.0, 40)
    assert _guard_line(sent_emails()[-1].part("plain")) == (
        "Throttle guard: not lowered: this change arrived late, and a newer one of the alarm had already set the "
        "API stage throttle"
    )


def test_the_ledger_keeps_the_newest_change_and_refuses_older_ones(notifier_env: None) -> None:
    # Given the guard's ledger on the notifier's idempotency table
    ledger = DynamoDBGuardLedger(boto3.client("dynamodb"), table_name=os.environ[catalog.IDEMPOTENCY_TABLE_ENV])
    at = alarm_events.CHANGED_AT
    # When changes are claimed out of order, Then only those not older than the newest applied one are taken
    assert ledger.claim(SPIKE, at + timedelta(minutes=10)) is True
    assert ledger.claim(SPIKE, at) is False
    assert ledger.claim(SPIKE, at + timedelta(minutes=10)) is True  # the same change retried
    assert ledger.claim(SPIKE, at + timedelta(minutes=20)) is True
    assert ledger.claim("OtherStack-api-request-spike", at) is True  # one ledger entry per alarm


def test_slack_and_the_webhook_say_what_the_guard_did_too(stage: _Stage, channels: Channels, invoke: Invoke) -> None:
    # Given Slack and the webhook configured; When the spike alarm fires
    invoke(alarm_events.sns_event(_spike("ALARM", "OK")))
    # Then Slack's fields and the webhook's facts carry the guard's row, with the new limits
    engaged = "engaged: API stage throttle lowered to 2 requests/s, burst 10"
    (slack,) = channels.slack()
    fields = [field["text"] for block in slack.json()["blocks"] for field in block.get("fields", [])]
    assert any("Throttle guard" in text and engaged in text for text in fields)
    (webhook,) = channels.webhook()
    assert {"label": "Throttle guard", "value": engaged} in webhook.json()["facts"]
