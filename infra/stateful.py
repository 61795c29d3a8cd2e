"""How stateful resources (tables, log groups, the queue where failures are parked) are kept: retained on updates
and stack deletion, deleted by the rollback of a failed create (RetainExceptOnCreate; why: docs/deploy.md)."""

from __future__ import annotations

from typing import Final

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_sqs as sqs
from constructs import Construct

STATEFUL_REMOVAL_POLICY: Final = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
PARKED_RETENTION: Final = Duration.days(14)
"""SQS's maximum: two weeks to notice a parked message's alarm and read or replay it."""


def parking_queue(scope: Construct, construct_id: str) -> sqs.Queue:
    """A queue where what failed is parked for the owner (the notifier's dead letters), retained like all state."""
    return sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=PARKED_RETENTION,
        removal_policy=STATEFUL_REMOVAL_POLICY,
    )
