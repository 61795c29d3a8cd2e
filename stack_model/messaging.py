"""SNS topics and their subscriptions, SQS queues, SES sender identities, CloudWatch dashboards."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stack_model.template import LocalTemplate, referenced


@dataclass(frozen=True)
class Subscription:
    logical_id: str
    topic: str
    """The topic's ARN."""
    protocol: str
    endpoint: str
    """Resolved: an email address, or the subscribed function's ARN."""
    function: str | None
    """The logical id of the subscribed function (protocol lambda)."""
    dead_letter_queue: str | None
    """The logical id of the queue its RedrivePolicy sends undeliverable messages to."""
    body_filter: Mapping[str, Any] | None = None
    """Its FilterPolicy when the policy applies to the message body (FilterPolicyScope MessageBody)."""


@dataclass(frozen=True)
class Dashboard:
    logical_id: str
    name: str
    body: Mapping[str, Any]
    """The body as CloudWatch receives it, parsed; references resolved to local names."""


def read_subscriptions(template: LocalTemplate) -> tuple[Subscription, ...]:
    return tuple(
        Subscription(
            logical_id=logical_id,
            topic=template.resolve(props["TopicArn"]),
            protocol=str(props["Protocol"]),
            endpoint=template.resolve(props["Endpoint"]),
            function=referenced(props["Endpoint"]) if props["Protocol"] == "lambda" else None,
            dead_letter_queue=referenced((props.get("RedrivePolicy") or {}).get("deadLetterTargetArn")),
            body_filter=props.get("FilterPolicy") if props.get("FilterPolicyScope") == "MessageBody" else None,
        )
        for logical_id, props in template.each("AWS::SNS::Subscription")
    )


def read_email_identities(template: LocalTemplate) -> tuple[str, ...]:
    return tuple(template.resolve(props["EmailIdentity"]) for _, props in template.each("AWS::SES::EmailIdentity"))


def read_dashboards(template: LocalTemplate) -> tuple[Dashboard, ...]:
    return tuple(
        Dashboard(
            logical_id,
            template.resolve(props.get("DashboardName", logical_id)),
            json.loads(template.resolve(props["DashboardBody"])),
        )
        for logical_id, props in template.each("AWS::CloudWatch::Dashboard")
    )
