"""Alternative hosting (config.hosting = "s3-cloudfront"): a private S3 bucket behind CloudFront (origin access
control), HTTPS only, the security headers from a response headers policy; each deploy copies the site and
invalidates `/*` (docs/hosting.md)."""

from __future__ import annotations

from typing import Final

from aws_cdk import Duration, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from functions.common.security_headers import CONTENT_SECURITY_POLICY, security_headers
from functions.site_publisher import contract
from infra.config import DeploymentConfig
from infra.hosting.domain import DOMAIN_DNS_RECORDS_OUTPUT, DOMAIN_URL_DESCRIPTION, DOMAIN_URL_OUTPUT
from infra.hosting.headers import cloudfront_header_behaviors
from infra.hosting.publisher import SitePublisher, settings_digest
from infra.hosting.site_build import build_for_synth
from infra.hosting.storage import SiteUpload, private_bucket
from infra.nag import suppress

INDEX_DOCUMENT: Final = "index.html"
# Browsers re-check after 5 minutes; CloudFront keeps objects as long, and every deploy invalidates them anyway.
BROWSER_CACHE: Final = Duration.minutes(5)
HEADERS_POLICY_COMMENT: Final = "Resume site security headers; the CSP's API origin is set at deploy time"


class CloudFrontSite(Construct):
    """Exposes `bucket`, `response_headers`, `distribution`, `origin`, `url`, `domain_origins`, and after
    `publish(...)` `upload` (SiteUpload), `publisher` (SitePublisher) and `content_security_policy`."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeploymentConfig) -> None:
        super().__init__(scope, construct_id)
        self._log_retention_days = config.log_retention_days
        self._show_visit_badge = config.show_visit_badge
        self.bucket = private_bucket(self, "Files")
        # Created fail closed (connect-src 'self' only); the publisher writes the CSP allowing the API at deploy
        # time (docs/hosting.md, "Why the CSP's API origin is written at deploy time").
        fail_closed = security_headers(api_origin=None)
        security, custom = cloudfront_header_behaviors(fail_closed)
        self.response_headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment=HEADERS_POLICY_COMMENT,
            security_headers_behavior=security,
            custom_headers_behavior=custom,
        )
        # Should CloudFormation ever rewrite the policy (and so the CSP), write the CSP again.
        self._policy_digest = settings_digest({"comment": HEADERS_POLICY_COMMENT, "headers": fail_closed})
        domain_names = [] if config.site_domain is None else [config.site_domain]
        certificate = (  # config has checked: set with a site_domain only
            None
            if config.site_certificate_arn is None
            else acm.Certificate.from_certificate_arn(self, "Certificate", config.site_certificate_arn)
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Resume site",
            domain_names=domain_names or None,
            certificate=certificate,
            default_root_object=INDEX_DOCUMENT,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.response_headers,
                compress=True,
            ),
            # Viewers in North America and Europe get the nearest edge; others still get the site, farther away.
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            # Applies once a custom domain's certificate is attached; the default *.cloudfront.net certificate
            # has CloudFront's fixed policy (see the CFR4 acknowledgement).
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
        )
        suppress(self.distribution, "AwsSolutions-CFR1", "AwsSolutions-CFR2", "AwsSolutions-CFR3", "AwsSolutions-CFR4")
        self.origin: str = f"https://{self.distribution.distribution_domain_name}"
        self.url: str = self.origin
        self._domain_names = domain_names
        self.domain_origins: list[str] = [f"https://{name}" for name in domain_names]

    def domain_outputs(self) -> dict[str, tuple[str, str]]:
        if not self._domain_names:
            return {}
        host = self._domain_names[0]
        # NOTE: an apex domain cannot be a CNAME; Route 53 takes an alias record to the distribution instead, other
        # providers an ALIAS/ANAME. https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html
        record = f"{host} CNAME (or ALIAS for an apex) {self.distribution.distribution_domain_name}"
        return {
            DOMAIN_URL_OUTPUT: (f"https://{host}", DOMAIN_URL_DESCRIPTION),
            DOMAIN_DNS_RECORDS_OUTPUT: (record, "The DNS record that points your domain at the distribution"),
        }

    def publish(self, *, api_url: str, api_origin: str) -> None:
        """Adds the deploy-time upload (with invalidation) and the CSP that allows the API at `api_origin`."""
        self.upload = SiteUpload(
            self,
            "Upload",
            site=build_for_synth(self, show_visit_badge=self._show_visit_badge),
            api_url=api_url,
            bucket=self.bucket,
            distribution=self.distribution,
            cache_control=[s3deploy.CacheControl.set_public(), s3deploy.CacheControl.max_age(BROWSER_CACHE)],
            log_retention_days=self._log_retention_days,
        )
        self.publisher = SitePublisher(self, "Publisher", log_retention_days=self._log_retention_days)
        policy_id = self.response_headers.response_headers_policy_id
        policy_arn = Stack.of(self).format_arn(
            service="cloudfront", region="", resource="response-headers-policy", resource_name=policy_id
        )
        self.publisher.function.allow(
            ["cloudfront:GetResponseHeadersPolicy", "cloudfront:UpdateResponseHeadersPolicy"], [policy_arn]
        )
        self.content_security_policy = self.publisher.add_step(
            "ContentSecurityPolicy",
            resource_type=contract.CONTENT_SECURITY_POLICY,
            properties={
                contract.RESPONSE_HEADERS_POLICY_ID: policy_id,
                contract.POLICY: security_headers(api_origin)[CONTENT_SECURITY_POLICY],
                contract.REDO_WHEN: self._policy_digest,
            },
        )
