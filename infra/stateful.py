"""How stateful resources (tables, log groups, the queues where failures are parked) are kept: one policy, said once.

NOTE: CloudFormation's RetainExceptOnCreate keeps the resource on an update that replaces or removes it and on stack
deletion, but deletes it when the operation that created it rolls back: a failed first deploy leaves no debris.
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
NOTE: so no table has deletion protection either: DeleteTable would refuse the rollback of a failed create (stack
in ROLLBACK_FAILED). Tables keep point-in-time recovery instead: a system backup for 35 days after deletion.
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/PointInTimeRecovery_Howitworks.html
"""

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
