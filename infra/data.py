"""The visits table: the system's only state, so it is retained, protected and recoverable."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from functions.common import catalog


class VisitsTable(Construct):
    """Exposes `table`."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.TableV2(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=catalog.VISITS_PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            # On-demand: a personal site's traffic is near zero most of the time and spiky when shared.
            billing=dynamodb.Billing.on_demand(),
            # Each day's salt and visitor items carry their expiry; TTL deletes them after their day, free of
            # charge, typically within a few days of expiry (docs/privacy.md). Until then the counter never
            # reads them: it looks up only the current day's keys.
            # NOTE: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html
            time_to_live_attribute=catalog.EXPIRES_AT_ATTRIBUTE,
            encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
