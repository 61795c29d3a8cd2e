"""The visits table: the system's only state, so it is retained and recoverable. With
`existing_visits_table_name` the stack adopts a table instead (one retained from a deleted stack, so the count
carries on), which it then does not manage (docs/deploy.md, "Keeping the count").
"""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from functions.common import catalog
from infra.config import DeploymentConfig
from infra.stateful import STATEFUL_REMOVAL_POLICY


class VisitsTable(Construct):
    """Exposes `table`."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeploymentConfig) -> None:
        super().__init__(scope, construct_id)
        existing = config.existing_visits_table_name
        if existing is not None:
            self.table: dynamodb.ITableV2 = dynamodb.TableV2.from_table_name(self, "Table", existing)
            return
        self.table = dynamodb.TableV2(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name=catalog.VISITS_PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            # On-demand billing (TableV2's default): a personal site's traffic is near zero, and spiky when shared.
            # TTL deletes each day's salt and network items free of charge after their expiry (docs/privacy.md).
            time_to_live_attribute=catalog.EXPIRES_AT_ATTRIBUTE,
            encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            removal_policy=STATEFUL_REMOVAL_POLICY,
        )
