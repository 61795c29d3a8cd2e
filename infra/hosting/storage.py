"""What both hosting modes keep in S3: a private bucket, and the upload of the built site naming the API."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws, DefaultStackSynthesizer, RemovalPolicy, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra.hosting.site_build import PAGE_NAME, SiteBuild
from infra.lambda_factory import role_writing_own_logs
from infra.nag import arn_of, suppress, suppress_finding


def private_bucket(scope: Construct, construct_id: str) -> s3.Bucket:
    """A bucket nobody reads directly: no public access, TLS only, encrypted at rest; destroyed with the stack, as
    everything in it is rebuilt on every deploy (docs/hosting.md, "Buckets")."""
    bucket = s3.Bucket(
        scope,
        construct_id,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        removal_policy=RemovalPolicy.DESTROY,
        auto_delete_objects=True,
    )
    suppress(bucket, "AwsSolutions-S1")
    return bucket


class SiteUpload(Construct):
    """Copies the built site into a bucket under `key_prefix`, its index.html naming the API's URL (filled in at
    deploy time), and invalidates `/*` of `distribution` when given. Exposes `deployment` (the BucketDeployment)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        site: SiteBuild,
        api_url: str,
        bucket: s3.IBucket,
        key_prefix: str | None = None,
        distribution: cloudfront.IDistribution | None = None,
        cache_control: Sequence[s3deploy.CacheControl] | None = None,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role, handler_logs = role_writing_own_logs(
            self,
            role_id="HandlerRole",
            log_group_id="HandlerLogs",
            description="Copies the built resume site into its bucket at deploy time",
            log_retention_days=log_retention_days,
        )
        self._grant_copy(bucket, distribution)
        self.deployment = s3deploy.BucketDeployment(
            self,
            "Deployment",
            # NOTE: Source.data fills in the API URL token at deploy time (unescaped: an execute-api URL has no
            # character HTML would escape). https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk.aws_s3_deployment/README.html#data-with-deploy-time-values
            sources=[
                s3deploy.Source.asset(str(site.directory), exclude=[PAGE_NAME]),
                s3deploy.Source.data(PAGE_NAME, site.page_calling(api_url)),
            ],
            destination_bucket=bucket,
            destination_key_prefix=key_prefix,
            distribution=distribution,
            distribution_paths=["/*"] if distribution is not None else None,
            cache_control=list(cache_control) if cache_control else None,
            # CDK's own grants (logs:* anywhere, s3 and cloudfront actions on "*") are replaced by narrower ones.
            role=self.role.without_policy_updates(),
            log_group=handler_logs,
        )
        _acknowledge_copy_handler_runtime(self)

    def _grant_copy(
        self,
        bucket: s3.IBucket,
        distribution: cloudfront.IDistribution | None,
    ) -> None:
        """What the BucketDeployment handler does: `aws s3 cp` of the source zips from the bootstrap assets bucket,
        `aws s3 sync --delete` into the destination, one invalidation. Maintenance: after an aws-cdk-lib upgrade, an
        AccessDenied in the handler's logs means it now does more; compare with its index.py."""
        stack = Stack.of(self)
        qualifier = getattr(stack.synthesizer, "bootstrap_qualifier", None) or DefaultStackSynthesizer.DEFAULT_QUALIFIER
        assets_bucket = f"cdk-{qualifier}-assets-{Aws.ACCOUNT_ID}-{Aws.REGION}"
        statements = [
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[f"arn:{Aws.PARTITION}:s3:::{assets_bucket}/*"]),
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket.bucket_arn]),
            # The bucket holds nothing but the site's files.
            iam.PolicyStatement(actions=["s3:PutObject", "s3:DeleteObject"], resources=[bucket.arn_for_objects("*")]),
        ]
        if distribution is not None:
            statements.append(
                iam.PolicyStatement(
                    actions=["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
                    resources=[
                        stack.format_arn(
                            service="cloudfront",
                            region="",
                            resource="distribution",
                            resource_name=distribution.distribution_id,
                        )
                    ],
                )
            )
        for statement in statements:
            self.role.add_to_policy(statement)
        # The assets bucket as cdk-nag prints it, account and region being pseudo parameters.
        assets = f"arn:<AWS::Partition>:s3:::cdk-{qualifier}-assets-<AWS::AccountId>-<AWS::Region>/*"
        suppress_finding(self.role, f"AwsSolutions-IAM5[Resource::{assets}]", "site-copy")
        suppress_finding(self.role, f"AwsSolutions-IAM5[Resource::{arn_of(bucket)}/*]", "site-copy")


def _acknowledge_copy_handler_runtime(scope: Construct) -> None:
    """The copy Lambda is one per stack, created by CDK outside this construct; its runtime is CDK's choice."""
    stack = Stack.of(scope)
    for child in stack.node.children:
        if child.node.id.startswith("Custom::CDKBucketDeployment"):
            suppress(child, "AwsSolutions-L1")
