"""cdk-nag (v3, a CDK policy-validation plugin): an unacknowledged finding fails synth; every finding this app
accepts is acknowledged per resource with its reason below, written to the resource's Metadata for reviewers."""

from __future__ import annotations

from typing import Final

from aws_cdk import Acknowledgment, App, CfnElement, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

REASONS: Final[dict[str, str]] = {
    "AwsSolutions-IAM5[Resource::*]": (
        "Only actions that support no resource-level permissions get `*`: X-Ray's PutTraceSegments/"
        "PutTelemetryRecords (https://docs.aws.amazon.com/xray/latest/devguide/security_iam_service-with-iam.html) "
        "and SES's GetIdentityVerificationAttributes, read before each alert email "
        "(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonses.html); every other "
        "statement is scoped to ARNs."
    ),
    "AwsSolutions-APIG4": (
        "The visit counter is public by design: the static site calls it from visitors' browsers, which hold "
        "no credentials. Abuse is bounded by stage throttling, reserved concurrency and the usage alarms."
    ),
    "AwsSolutions-L1": (
        "Pinned to python3.13 on purpose: our Lambda code, the Powertools layer (published per Python "
        "version) and the tests are all checked against 3.13; move deliberately, not on every CDK release. "
        "CDK's own file-copy Lambda (BucketDeployment) runs the runtime CDK chooses, also python3.13 here."
    ),
    "AwsSolutions-SNS2": (
        "alert_topic_kms is off (the default, docs/alerting.md): SNS's own key would refuse CloudWatch alarms, and a "
        "customer-managed key costs $1/month for messages SNS keeps only until delivered, holding an alarm's name "
        "and numbers. The topic accepts TLS only (AwsSolutions-SNS3); alert_topic_kms: true encrypts it at rest."
    ),
    "AwsSolutions-SQS3": (
        "This queue is itself the dead-letter queue of the alarm notifier (its Lambda on-failure destination and "
        "its SNS subscription's redrive target); cdk-nag only recognises SQS redrive and Lambda DeadLetterConfig. "
        "Nothing consumes it automatically, and an alarm reaches the owner as soon as a message arrives."
    ),
    # Site hosting (infra/hosting/, docs/hosting.md).
    "AwsSolutions-S1": (
        "The site's bucket holds only files rebuilt from the repository on every deploy, and is read only by "
        "CloudFront (origin access control) or Amplify (a bucket policy for one branch). Access logs would list "
        "nothing but those reads and the deploy's copy; CloudTrail records changes to the bucket itself."
    ),
    "AwsSolutions-CFR1": "A public resume is meant for visitors from anywhere; no country is excluded.",
    "AwsSolutions-CFR2": (
        "A static site of a few files with no forms and no server code: a web ACL (about $5/month plus per-request "
        "fees) would cost more than the site and guard nothing the private origin and security headers don't. "
        "The visit counter API has its own throttling, reserved concurrency and usage alarms."
    ),
    "AwsSolutions-CFR3": (
        "Access logs would hold visitors' IP addresses, which this site chooses not to collect (the counter keeps "
        "a single number). CloudFront's default CloudWatch metrics show requests and error rates without them."
    ),
    "AwsSolutions-CFR4": (
        "The distribution uses the default *.cloudfront.net certificate, whose TLS policy CloudFront fixes; a "
        "minimum protocol version applies only with an own certificate, and TLSv1.2_2021 is set for when a custom "
        "domain's certificate is attached. HTTP is redirected to HTTPS and HSTS is sent."
    ),
    # Findings whose id carries a logical id or deploy-time values, acknowledged by `suppress_finding` under a name.
    "invoke-versions": (
        "CDK's Scheduler LambdaInvoke target and custom resource Provider grant lambda:InvokeFunction on their one "
        "function and its versions (`<arn>:*`); each role serves that one function and can invoke no other."
    ),
    "site-copy": (
        "The site copy Lambda reads the site's zips from the CDK bootstrap assets bucket (keys are content hashes "
        "decided at synth: s3:GetObject only) and syncs them into its own bucket, which holds nothing else "
        "(s3:PutObject and s3:DeleteObject on its objects)."
    ),
    "amplify-branch-jobs": (
        "Amplify assigns job ids when a deployment starts; the site publisher may list, read and stop the jobs "
        "of this one branch (to clear a stuck one and to wait for its own), and nothing of other branches or apps."
    ),
    "stack-id-wildcard": (
        "CloudFormation stack ARNs end in an id assigned at creation, so the resource is `stack/<stack name>/*`: that "
        "stack and no other. The diff role's actions on it are DescribeStacks and GetTemplate only."
    ),
}


def suppress(construct: IConstruct, *rule_ids: str) -> None:
    """Acknowledges the given findings on one construct and its children."""
    for rule_id in rule_ids:
        Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=REASONS[rule_id]))


def suppress_finding(construct: IConstruct, finding_id: str, reason_name: str) -> None:
    """Acknowledges one finding whose id is only known at synth, with a reason from REASONS."""
    Validations.of(construct).acknowledge(Acknowledgment(id=finding_id, reason=REASONS[reason_name]))


def arn_of(resource: IConstruct) -> str:
    """A resource's ARN as cdk-nag writes it in a finding's id: `<LogicalId.Arn>`."""
    cfn_resource = resource.node.default_child or resource
    assert isinstance(cfn_resource, CfnElement)
    return f"<{Stack.of(resource).get_logical_id(cfn_resource)}.Arn>"


def apply_checks(app: App) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, write_suppressions_to_cloud_formation=True))
