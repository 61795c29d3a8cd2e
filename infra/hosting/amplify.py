"""Default hosting: an AWS Amplify Hosting app and branch with no Git repository, published at deploy time from a
staging bucket by the site publisher (functions/site_publisher); how, and why not the aws-amplify-alpha Branch
`asset`: docs/hosting.md."""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import quote

from aws_cdk import Aws, Fn, Stack
from aws_cdk import aws_amplify as amplify
from aws_cdk import aws_iam as iam
from constructs import Construct

from functions.common.security_headers import security_headers
from functions.site_publisher import contract
from infra.config import DeploymentConfig
from infra.hosting.domain import DOMAIN_DNS_RECORDS_OUTPUT, DOMAIN_URL_DESCRIPTION, DOMAIN_URL_OUTPUT
from infra.hosting.headers import amplify_custom_headers
from infra.hosting.publisher import SitePublisher, settings_digest
from infra.hosting.site_build import build_for_synth
from infra.hosting.storage import SiteUpload, private_bucket
from infra.lambda_factory import PythonFunction
from infra.nag import arn_of, suppress_finding

BRANCH_NAME: Final = "main"
DOMAIN_PREFIXES: Final = ("", "www")
"""The custom domain's hosts served by the branch: the apex and www (docs/hosting.md, "Your own domain")."""
STAGING_PREFIX: Final = "site"
AMPLIFY_PRINCIPAL: Final = "amplify.amazonaws.com"


class AmplifySite(Construct):
    """Exposes `app`, `branch`, `domain` (or None), `origin`, `url`, and after `publish(...)` `staging` (bucket),
    `upload` (SiteUpload), `publisher` (SitePublisher) and `release` (the custom resource)."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeploymentConfig) -> None:
        super().__init__(scope, construct_id)
        self._log_retention_days = config.log_retention_days
        self._show_visit_badge = config.show_visit_badge
        # One dict per resource, so the digest below covers exactly what the resources are given.
        app_settings: dict[str, Any] = {
            "name": f"{Stack.of(self).stack_name}-site",
            "description": "Resume site, deployed by CDK from S3 (no Git repository)",
            "platform": "WEB",
        }
        branch_settings: dict[str, Any] = {
            "branch_name": BRANCH_NAME,
            "stage": "PRODUCTION",
            # No repository: nothing to build, no pull requests to preview.
            "enable_auto_build": False,
            "enable_pull_request_preview": False,
        }
        # No custom headers here: the publisher sets them before each deployment (docs/hosting.md, "Why the CSP's
        # API origin is written at deploy time").
        self.app = amplify.CfnApp(self, "App", **app_settings)
        self.branch = amplify.CfnBranch(self, "Branch", app_id=self.app.attr_app_id, **branch_settings)
        self.origin: str = f"https://{BRANCH_NAME}.{self.app.attr_default_domain}"
        self.url: str = self.origin
        self.domain = None if config.site_domain is None else self._custom_domain(config.site_domain)
        self.domain_origins: list[str] = (
            [] if config.site_domain is None else [f"https://{_host(p, config.site_domain)}" for p in DOMAIN_PREFIXES]
        )
        # Should CloudFormation ever rewrite the app or branch, publish again (headers included).
        self._settings_digest = settings_digest({"app": app_settings, "branch": branch_settings})

    def _custom_domain(self, domain_name: str) -> amplify.CfnDomain:
        """The owner's domain on this branch, apex and www, with a certificate Amplify requests itself; the owner adds
        the DNS records the stack outputs name (docs/hosting.md, "Your own domain").
        https://docs.aws.amazon.com/amplify/latest/userguide/custom-domains.html"""
        return amplify.CfnDomain(
            self,
            "Domain",
            app_id=self.app.attr_app_id,
            domain_name=domain_name,
            sub_domain_settings=[
                amplify.CfnDomain.SubDomainSettingProperty(branch_name=self.branch.attr_branch_name, prefix=prefix)
                for prefix in DOMAIN_PREFIXES
            ],
            certificate_settings=amplify.CfnDomain.CertificateSettingsProperty(certificate_type="AMPLIFY_MANAGED"),
            enable_auto_sub_domain=False,
        )

    def domain_outputs(self) -> dict[str, tuple[str, str]]:
        if self.domain is None:
            return {}
        # NOTE: a command, not the records as attributes: AWS::Amplify::Domain's create returns before Amplify has
        # them (PENDING_VERIFICATION counts as created), so a GetAtt could be empty.
        # https://docs.aws.amazon.com/amplify/latest/APIReference/API_GetDomainAssociation.html
        records_command = Fn.join(
            "",
            [
                "aws amplify get-domain-association --region ",
                Stack.of(self).region,
                " --app-id ",
                self.app.attr_app_id,
                f" --domain-name {self.domain.domain_name} --query '{{certificate: "
                "domainAssociation.certificateVerificationDNSRecord, hosts: domainAssociation.subDomains[].dnsRecord}'",
            ],
        )
        return {
            DOMAIN_URL_OUTPUT: (f"https://{self.domain.domain_name}", DOMAIN_URL_DESCRIPTION),
            DOMAIN_DNS_RECORDS_OUTPUT: (
                records_command,
                "Prints the DNS records to add: the certificate's validation CNAME and the apex and www hosts",
            ),
        }

    def publish(self, *, api_url: str, api_origin: str) -> None:
        """Adds the deploy-time upload and release of the site, which calls the API at `api_url`."""
        site = build_for_synth(self, show_visit_badge=self._show_visit_badge)
        self.staging = private_bucket(self, "Files")
        # One immutable prefix per (site, API) pair: a rollback republishes the previous prefix, still there.
        api_host = Fn.select(2, Fn.split("/", api_url))
        prefix = Fn.join("", [f"{STAGING_PREFIX}/{site.digest}/", api_host, "/"])
        self.upload = SiteUpload(
            self,
            "Upload",
            site=site,
            api_url=api_url,
            bucket=self.staging,
            key_prefix=prefix,
            log_retention_days=self._log_retention_days,
        )
        self._let_amplify_read_staging()

        self.publisher = SitePublisher(self, "Publisher", log_retention_days=self._log_retention_days)
        self._grant_release(self.publisher.function)
        self.release = self.publisher.add_step(
            "Release",
            resource_type=contract.AMPLIFY_RELEASE,
            properties={
                contract.APP_ID: self.app.attr_app_id,
                contract.BRANCH_NAME: self.branch.attr_branch_name,
                contract.SOURCE_URL: f"s3://{self.staging.bucket_name}/{prefix}",
                contract.CUSTOM_HEADERS: amplify_custom_headers(security_headers(api_origin)),
                contract.REDO_WHEN: self._settings_digest,
            },
        )
        self.release.node.add_dependency(self.upload.deployment)
        if self.staging.policy is not None:
            self.release.node.add_dependency(self.staging.policy)

    def _let_amplify_read_staging(self) -> None:
        """Amplify reads a BUCKET_PREFIX source as its service principal, for this branch only (aws:SourceArn both
        URL-encoded and plain: docs/hosting.md, "Failure modes and what to do")."""
        branch_arn_encoded = Fn.join(
            "",
            [
                f"arn%3A{Aws.PARTITION}%3Aamplify%3A{Aws.REGION}%3A{Aws.ACCOUNT_ID}%3Aapps%2F",
                self.app.attr_app_id,
                f"%2Fbranches%2F{quote(BRANCH_NAME, safe='')}",
            ],
        )
        conditions = {
            "StringEquals": {
                "aws:SourceAccount": Aws.ACCOUNT_ID,
                "aws:SourceArn": [self.branch.attr_arn, branch_arn_encoded],
            }
        }
        principal = iam.ServicePrincipal(AMPLIFY_PRINCIPAL)
        self.staging.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[principal],
                actions=["s3:GetObject"],
                resources=[self.staging.arn_for_objects(f"{STAGING_PREFIX}/*")],
                conditions=conditions,
            )
        )
        # NOTE: no s3:prefix condition: Amplify has been seen listing with an empty prefix, and the bucket
        # holds nothing but site versions.
        self.staging.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[principal],
                actions=["s3:ListBucket"],
                resources=[self.staging.bucket_arn],
                conditions=conditions,
            )
        )

    def _grant_release(self, publisher: PythonFunction) -> None:
        """The publisher may change this app's headers and run jobs on this branch, nothing else."""
        publisher.allow(["amplify:UpdateApp"], [self.app.attr_arn])
        publisher.allow(["amplify:StartDeployment"], [self.branch.attr_arn])
        jobs = ["amplify:ListJobs", "amplify:GetJob", "amplify:StopJob"]
        publisher.allow(jobs, [self.branch.attr_arn, f"{self.branch.attr_arn}/jobs/*"])
        suppress_finding(
            publisher.role, f"AwsSolutions-IAM5[Resource::{arn_of(self.branch)}/jobs/*]", "amplify-branch-jobs"
        )


def _host(prefix: str, domain_name: str) -> str:
    return f"{prefix}.{domain_name}" if prefix else domain_name
