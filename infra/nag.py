"""cdk-nag acknowledgements: every finding this app accepts, once, with the reason; applied per resource.

cdk-nag 3 runs as a CDK policy-validation plugin: an unacknowledged finding fails synth, and the
acknowledged ones are written to each resource's Metadata so a reviewer sees them in the template.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

REASONS: Final[dict[str, str]] = {
    "AwsSolutions-IAM5[Resource::*]": (
        "X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level permissions "
        "(https://docs.aws.amazon.com/xray/latest/devguide/security_iam_service-with-iam.html); "
        "the only wildcard is that resource, every other statement is scoped to one ARN."
    ),
    "AwsSolutions-APIG4": (
        "The visit counter is public by design: the static site calls it from visitors' browsers, which hold "
        "no credentials. Abuse is bounded by stage throttling, reserved concurrency and the usage alarms."
    ),
    "AwsSolutions-L1": (
        "Pinned to python3.13 on purpose: the Lambda code, the Powertools layer (published per Python "
        "version) and the tests are all checked against 3.13; move deliberately, not on every CDK release."
    ),
}


def suppress(construct: IConstruct, *rule_ids: str) -> None:
    """Acknowledges the given findings on one construct and its children, with the reasons above."""
    for rule_id in rule_ids:
        Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=REASONS[rule_id]))


def apply_checks(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True))
