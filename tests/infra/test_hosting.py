"""Site hosting in both modes, read back from the synthesized templates: what is served, how, with which headers,
and that the API's CORS allows the hosted site's own origin.

Each mode is synthesized once, the way `cdk synth` does it (cdk-nag on: synth fails on any unacknowledged finding).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from aws_cdk import App, Stack
from aws_cdk.assertions import Match, Template

from frontend.build import API_META_NAME, DEFAULT_RESUME, download_in, render_page
from frontend.pdf import CHROME_PATH_ENV, pdf_file_name
from frontend.resume import load_resume
from functions.common.catalog import API_URL_OUTPUT, SITE_URL_OUTPUT
from functions.common.security_headers import HSTS_MAX_AGE_SECONDS, content_security_policy, security_headers
from functions.site_publisher import contract
from infra import app as infra_app
from infra.app import build_app
from infra.config import REPO_ROOT, ConfigError, DeploymentConfig
from infra.hosting.domain import DOMAIN_DNS_RECORDS_OUTPUT, DOMAIN_URL_OUTPUT
from infra.hosting.headers import amplify_custom_headers, cloudfront_header_behaviors
from infra.hosting.site_build import PAGE_NAME, SiteBuildError, build_for_synth

API_ORIGIN = "<api origin>"
"""Stands in for the API's endpoint (a GetAtt) when a template string is rendered for comparison."""


@dataclass(frozen=True)
class Synth:
    outdir: Path
    json: dict[str, Any]
    template: Template

    def only(self, resource_type: str) -> tuple[str, Mapping[str, Any]]:
        resources = self.template.find_resources(resource_type)
        assert len(resources) == 1, f"expected one {resource_type}, found {list(resources)}"
        return next(iter(resources.items()))

    def logical_id(self, resource_type: str) -> str:
        return self.only(resource_type)[0]


SITE_DOMAIN = "resume.example.org"
SITE_CERTIFICATE_ARN = "arn:aws:acm:us-east-1:111111111111:certificate/0b5e4e35-7c1f-4a3e-9d5e-2f6a3c1b9e77"
ON_DOMAIN: Mapping[str, str] = {"config.site_domain": SITE_DOMAIN}
WITH_CERTIFICATE: Mapping[str, str] = {**ON_DOMAIN, "config.site_certificate_arn": SITE_CERTIFICATE_ARN}


def _synth(tmp_path_factory: pytest.TempPathFactory, hosting: str, extra: Mapping[str, str] | None = None) -> Synth:
    outdir = tmp_path_factory.mktemp(f"cdk.out.{hosting}")
    app, stack = build_app(outdir=str(outdir), context={"config.hosting": hosting, **(extra or {})})
    app.synth()  # raises on any cdk-nag finding that is not acknowledged
    template_json = json.loads((outdir / f"{stack.stack_name}.template.json").read_text())
    return Synth(outdir=outdir, json=template_json, template=Template.from_json(template_json))


@pytest.fixture(scope="module")
def amplify(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(tmp_path_factory, "amplify")


@pytest.fixture(scope="module")
def cloudfront(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(tmp_path_factory, "s3-cloudfront")


@pytest.fixture(scope="module")
def amplify_on_domain(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(tmp_path_factory, "amplify", ON_DOMAIN)


@pytest.fixture(scope="module")
def cloudfront_on_domain(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return _synth(tmp_path_factory, "s3-cloudfront", WITH_CERTIFICATE)


@pytest.fixture(params=["amplify", "cloudfront"])
def either(request: pytest.FixtureRequest) -> Synth:
    synth: Synth = request.getfixturevalue(request.param)
    return synth


@pytest.fixture(params=["amplify", "cloudfront", "amplify_on_domain", "cloudfront_on_domain"])
def every_variant(request: pytest.FixtureRequest) -> Synth:
    """Both hosting modes, each without and with the owner's domain."""
    synth: Synth = request.getfixturevalue(request.param)
    return synth


def _render(value: Any, api_id: str) -> str:
    """A template string (or Fn::Join of one) as text, with the API's endpoint shown as API_ORIGIN."""
    if isinstance(value, str):
        return value
    if value == {"Fn::GetAtt": [api_id, "ApiEndpoint"]}:
        return API_ORIGIN
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_render(part, api_id) for part in parts)
    raise AssertionError(f"unexpected value in a header: {value}")


def _joined(value: Any) -> list[Any]:
    """The parts of a string or an Fn::Join with '' separator, adjacent literals merged (how CDK splits them varies)."""
    parts = value["Fn::Join"][1] if isinstance(value, dict) and "Fn::Join" in value else [value]
    if isinstance(value, dict) and "Fn::Join" in value:
        assert value["Fn::Join"][0] == ""
    merged: list[Any] = []
    for part in parts:
        if isinstance(part, dict) and "Fn::Join" in part and part["Fn::Join"][0] == "":
            nested = _joined(part)
        else:
            nested = [part]
        for item in nested:
            if isinstance(item, str) and merged and isinstance(merged[-1], str):
                merged[-1] += item
            else:
                merged.append(item)
    return merged


def _hosted_origin(synth: Synth) -> dict[str, Any]:
    apps = synth.template.find_resources("AWS::Amplify::App")
    if apps:
        return {"Fn::Join": ["", ["https://main.", {"Fn::GetAtt": [next(iter(apps)), "DefaultDomain"]}]]}
    distribution = synth.logical_id("AWS::CloudFront::Distribution")
    return {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [distribution, "DomainName"]}]]}


# --------------------------------------------------------------------------- both modes


def test_every_variant_passes_cdk_nag(every_variant: Synth) -> None:
    report = json.loads((every_variant.outdir / "validation-report.json").read_text())
    assert [r for r in report["pluginReports"] if r["conclusion"] != "success"] == []


def test_every_variant_passes_cfn_lint(every_variant: Synth, config: DeploymentConfig) -> None:
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "cfn-lint"),
            "--config-file",
            str(REPO_ROOT / ".cfnlintrc.yaml"),
            str(every_variant.outdir / f"{config.stack_name}.template.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_stateful_resource_is_kept_but_a_failed_first_create_leaves_nothing(every_variant: Synth) -> None:
    # Tables, log groups and queues hold what the owner would miss (the count, logs, unsent alerts): kept on
    # update and delete (RetainExceptOnCreate), removed by the rollback of the create that made them.
    stateful = {
        name: resource
        for name, resource in every_variant.json["Resources"].items()
        if resource["Type"]
        in ("AWS::DynamoDB::GlobalTable", "AWS::DynamoDB::Table", "AWS::Logs::LogGroup", "AWS::SQS::Queue")
    }
    assert len(stateful) >= 6
    for name, resource in stateful.items():
        assert resource.get("DeletionPolicy") == "RetainExceptOnCreate", name
        assert resource.get("UpdateReplacePolicy") == "Retain", name
        properties = resource["Properties"]
        # A fixed physical name would make a retained copy collide with the next create of the stack.
        assert not {"TableName", "LogGroupName", "QueueName"} & set(properties), name
        # Deletion protection would refuse the rollback's DeleteTable and leave the stack in ROLLBACK_FAILED.
        replicas = properties.get("Replicas", [properties])
        assert not any(replica.get("DeletionProtectionEnabled") for replica in replicas), name


def test_cors_allows_the_hosted_origin_from_the_hosting_resource_and_the_configured_extras(
    either: Synth, config: DeploymentConfig
) -> None:
    # The hosted origin is the hosting resource's own attribute, never a typed-in domain.
    _, api = either.only("AWS::ApiGatewayV2::Api")
    assert api["Properties"]["CorsConfiguration"]["AllowOrigins"] == [_hosted_origin(either), *config.site_origins]


def test_site_url_output_is_the_hosted_origin(either: Synth) -> None:
    assert either.json["Outputs"][SITE_URL_OUTPUT]["Value"] == _hosted_origin(either)


def test_site_files_bucket_is_private_tls_only_and_encrypted(either: Synth) -> None:
    bucket_id, bucket = either.only("AWS::S3::Bucket")
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert bucket["Properties"]["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    either.template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": bucket_id},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            },
        },
    )


def test_the_page_names_the_deployed_api_filled_in_at_deploy_time_and_no_config_file_is_uploaded(
    either: Synth,
) -> None:
    # Given the upload's sources: the files built at synth, and the page made by Source.data
    _, upload = either.only("Custom::CDKBucketDeployment")
    files_zip, page_zip = upload["Properties"]["SourceObjectKeys"]
    files_markers, page_markers = upload["Properties"]["SourceMarkers"]
    api_id = either.logical_id("AWS::ApiGatewayV2::Api")

    # Then the built files carry neither a page nor a config.json (they cannot know the API's URL at synth)
    resume = load_resume(DEFAULT_RESUME)
    staged = either.outdir / f"asset.{files_zip.removesuffix('.zip')}"
    assert {"styles.css", "counter.js", "favicon.svg", pdf_file_name(resume)} <= {p.name for p in staged.iterdir()}
    assert not (staged / PAGE_NAME).exists()
    assert not (staged / "config.json").exists()
    assert files_markers == {}
    # And the page names the API through markers that the deploy fills in with the parts of the ApiUrl output
    page = (either.outdir / f"asset.{page_zip.removesuffix('.zip')}" / PAGE_NAME).read_text()
    api_url = _joined(either.json["Outputs"][API_URL_OUTPUT]["Value"])
    assert {"Ref": api_id} in api_url
    assert list(page_markers.values()) == [part for part in api_url if not isinstance(part, str)]
    assert all(marker in page for marker in page_markers)
    # And once filled in, it is the page the build makes for that API
    deployed = {json.dumps({"Ref": api_id}): "abc123", json.dumps({"Ref": "AWS::URLSuffix"}): "amazonaws.com"}
    filled = page
    for marker, value in page_markers.items():
        filled = filled.replace(marker, deployed[json.dumps(value)])
    url = "".join(part if isinstance(part, str) else deployed[json.dumps(part)] for part in api_url)
    # And it links the résumé's PDF uploaded beside it
    assert filled == render_page(resume, api_base_url=url, download=download_in(staged, resume))
    assert f'<meta name="{API_META_NAME}" content="{url}">' in filled
    assert f'<a href="{pdf_file_name(resume)}" download' in filled


def test_deploy_time_steps_run_as_their_own_least_privileged_roles(either: Synth) -> None:
    # No hosting role carries AWS managed policies (AWSLambdaBasicExecutionRole would allow logs:* anywhere).
    for name, role in either.template.find_resources("AWS::IAM::Role").items():
        if name.startswith("Site"):
            assert "ManagedPolicyArns" not in role["Properties"], name


def test_hosting_log_groups_keep_the_configured_retention(either: Synth, config: DeploymentConfig) -> None:
    site_groups = {n: g for n, g in either.template.find_resources("AWS::Logs::LogGroup").items() if "Site" in n}
    assert len(site_groups) >= 3  # the copy Lambda, the publisher and its Provider framework
    for name, group in site_groups.items():
        assert group["Properties"]["RetentionInDays"] == config.log_retention_days, name


# --------------------------------------------------------------------------- Amplify (default)


def test_amplify_app_and_branch_have_no_repository_and_never_build(amplify: Synth) -> None:
    _, app = amplify.only("AWS::Amplify::App")
    assert app["Properties"]["Platform"] == "WEB"
    assert not {"Repository", "AccessToken", "OauthToken", "BuildSpec"} & set(app["Properties"])
    amplify.template.has_resource_properties(
        "AWS::Amplify::Branch",
        {
            "AppId": {"Fn::GetAtt": [amplify.logical_id("AWS::Amplify::App"), "AppId"]},
            "BranchName": "main",
            "Stage": "PRODUCTION",
            "EnableAutoBuild": False,
            "EnablePullRequestPreview": False,
        },
    )


def test_amplify_release_deploys_the_uploaded_prefix_after_the_upload_and_the_bucket_policy(amplify: Synth) -> None:
    # Given the upload, the bucket policy and the release
    upload_id, upload = amplify.only("Custom::CDKBucketDeployment")
    policy_id = amplify.logical_id("AWS::S3::BucketPolicy")
    bucket_id = amplify.logical_id("AWS::S3::Bucket")
    _, release = amplify.only(contract.AMPLIFY_RELEASE)
    props = release["Properties"]

    # Then the release names this app and branch
    assert props[contract.APP_ID] == {"Fn::GetAtt": [amplify.logical_id("AWS::Amplify::App"), "AppId"]}
    assert props[contract.BRANCH_NAME] == {"Fn::GetAtt": [amplify.logical_id("AWS::Amplify::Branch"), "BranchName"]}
    # And deploys from exactly the prefix the upload wrote (s3://<bucket>/site/<digest>/<api host>/)
    prefix = _joined(upload["Properties"]["DestinationBucketKeyPrefix"])
    assert _joined(props[contract.SOURCE_URL]) == _joined(
        {"Fn::Join": ["", ["s3://", {"Ref": bucket_id}, "/", *prefix]]}
    )
    assert str(prefix[0]).startswith("site/")
    # And only once the files are there and Amplify may read them
    assert {upload_id, policy_id} <= set(release["DependsOn"])
    # And it runs again whenever the app's settings change (Amplify applies headers only with a deployment)
    assert len(props[contract.REDO_WHEN]) == 16


def test_amplify_custom_headers_are_the_shared_set_with_the_api_in_connect_src(amplify: Synth) -> None:
    _, release = amplify.only(contract.AMPLIFY_RELEASE)
    rendered = _render(release["Properties"][contract.CUSTOM_HEADERS], amplify.logical_id("AWS::ApiGatewayV2::Api"))
    (rule,) = yaml.safe_load(rendered)["customHeaders"]
    assert rule["pattern"] == "**"
    assert {h["key"]: h["value"] for h in rule["headers"]} == security_headers(API_ORIGIN)
    assert f"connect-src 'self' {API_ORIGIN};" in content_security_policy(API_ORIGIN)


def test_only_amplify_for_this_branch_may_read_the_staged_site(amplify: Synth) -> None:
    bucket_id = amplify.logical_id("AWS::S3::Bucket")
    branch_arn = {"Fn::GetAtt": [amplify.logical_id("AWS::Amplify::Branch"), "Arn"]}
    amplify.template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "amplify.amazonaws.com"},
                            "Action": "s3:GetObject",
                            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/site/*"]]},
                            "Condition": {
                                "StringEquals": {
                                    "aws:SourceAccount": {"Ref": "AWS::AccountId"},
                                    "aws:SourceArn": Match.array_with([branch_arn]),
                                }
                            },
                        }
                    ]
                )
            }
        },
    )


def test_publisher_may_change_only_this_app_and_run_jobs_only_on_this_branch(amplify: Synth) -> None:
    app_arn = {"Fn::GetAtt": [amplify.logical_id("AWS::Amplify::App"), "Arn"]}
    branch_arn = {"Fn::GetAtt": [amplify.logical_id("AWS::Amplify::Branch"), "Arn"]}
    amplify_statements = [
        statement
        for policy in amplify.template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if any(str(action).startswith("amplify:") for action in _as_list(statement["Action"]))
    ]
    assert amplify_statements == [
        {"Action": "amplify:UpdateApp", "Effect": "Allow", "Resource": app_arn},
        {"Action": "amplify:StartDeployment", "Effect": "Allow", "Resource": branch_arn},
        {
            "Action": ["amplify:GetJob", "amplify:ListJobs", "amplify:StopJob"],
            "Effect": "Allow",
            "Resource": [branch_arn, {"Fn::Join": ["", [branch_arn, "/jobs/*"]]}],
        },
    ]


# --------------------------------------------------------------------------- S3 + CloudFront


def test_distribution_serves_the_bucket_through_origin_access_control_over_https_only(cloudfront: Synth) -> None:
    oac_id, oac = cloudfront.only("AWS::CloudFront::OriginAccessControl")
    assert oac["Properties"]["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    cloudfront.template.has_resource_properties(
        "AWS::CloudFront::Distribution",
        {
            "DistributionConfig": {
                "DefaultRootObject": "index.html",
                "PriceClass": "PriceClass_100",
                "DefaultCacheBehavior": {
                    "ViewerProtocolPolicy": "redirect-to-https",
                    "AllowedMethods": ["GET", "HEAD"],
                    "ResponseHeadersPolicyId": {"Ref": cloudfront.logical_id("AWS::CloudFront::ResponseHeadersPolicy")},
                },
                "Origins": [
                    Match.object_like(
                        {
                            "DomainName": {
                                "Fn::GetAtt": [cloudfront.logical_id("AWS::S3::Bucket"), "RegionalDomainName"]
                            },
                            "OriginAccessControlId": {"Fn::GetAtt": [oac_id, "Id"]},
                        }
                    )
                ],
            }
        },
    )
    # And only that distribution may read the bucket
    distribution_id = cloudfront.logical_id("AWS::CloudFront::Distribution")
    cloudfront.template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Principal": {"Service": "cloudfront.amazonaws.com"},
                                "Action": "s3:GetObject",
                                "Condition": {
                                    "StringEquals": {
                                        "AWS:SourceArn": {
                                            "Fn::Join": ["", Match.array_with([{"Ref": distribution_id}])]
                                        }
                                    }
                                },
                            }
                        )
                    ]
                )
            }
        },
    )


def test_every_deploy_uploads_into_the_bucket_and_invalidates_everything(cloudfront: Synth) -> None:
    cloudfront.template.has_resource_properties(
        "Custom::CDKBucketDeployment",
        {
            "DestinationBucketName": {"Ref": cloudfront.logical_id("AWS::S3::Bucket")},
            "DistributionId": {"Ref": cloudfront.logical_id("AWS::CloudFront::Distribution")},
            "DistributionPaths": ["/*"],
            "Prune": True,
        },
    )


def test_response_headers_policy_sends_the_shared_headers_and_starts_fail_closed(cloudfront: Synth) -> None:
    expected = security_headers(None)
    cloudfront.template.has_resource_properties(
        "AWS::CloudFront::ResponseHeadersPolicy",
        {
            "ResponseHeadersPolicyConfig": {
                "SecurityHeadersConfig": {
                    "ContentSecurityPolicy": {
                        "ContentSecurityPolicy": expected["Content-Security-Policy"],
                        "Override": True,
                    },
                    "StrictTransportSecurity": {
                        "AccessControlMaxAgeSec": HSTS_MAX_AGE_SECONDS,
                        # Not forced on the owner's other subdomains (see functions/common/security_headers.py).
                        "IncludeSubdomains": False,
                        "Preload": False,
                        "Override": True,
                    },
                    "ContentTypeOptions": {"Override": True},
                    "FrameOptions": {"FrameOption": "DENY", "Override": True},
                    "ReferrerPolicy": {"ReferrerPolicy": "no-referrer", "Override": True},
                }
            }
        },
    )


def test_csp_step_writes_the_csp_naming_the_api_into_that_policy(cloudfront: Synth) -> None:
    _, step = cloudfront.only(contract.CONTENT_SECURITY_POLICY)
    props = step["Properties"]
    assert props[contract.RESPONSE_HEADERS_POLICY_ID] == {
        "Ref": cloudfront.logical_id("AWS::CloudFront::ResponseHeadersPolicy")
    }
    api_id = cloudfront.logical_id("AWS::ApiGatewayV2::Api")
    assert _render(props[contract.POLICY], api_id) == content_security_policy(API_ORIGIN)


def test_publisher_may_only_read_and_update_that_headers_policy(cloudfront: Synth) -> None:
    policy_id = cloudfront.logical_id("AWS::CloudFront::ResponseHeadersPolicy")
    statements = [
        statement
        for policy in cloudfront.template.find_resources("AWS::IAM::Policy").values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "cloudfront:UpdateResponseHeadersPolicy" in _as_list(statement["Action"])
    ]
    assert len(statements) == 1
    assert statements[0]["Action"] == ["cloudfront:GetResponseHeadersPolicy", "cloudfront:UpdateResponseHeadersPolicy"]
    assert {"Ref": policy_id} in statements[0]["Resource"]["Fn::Join"][1]


# --------------------------------------------------------------------------- config and building blocks


# --------------------------------------------------------------------------- the owner's domain


def _cors_origins(synth: Synth) -> list[Any]:
    origins: list[Any] = synth.only("AWS::ApiGatewayV2::Api")[1]["Properties"]["CorsConfiguration"]["AllowOrigins"]
    return origins


def test_amplify_serves_the_domain_apex_and_www_on_the_branch_with_a_managed_certificate(
    amplify_on_domain: Synth,
) -> None:
    branch = amplify_on_domain.logical_id("AWS::Amplify::Branch")
    app = amplify_on_domain.logical_id("AWS::Amplify::App")
    _, domain = amplify_on_domain.only("AWS::Amplify::Domain")
    props = domain["Properties"]
    assert props["AppId"] == {"Fn::GetAtt": [app, "AppId"]}
    assert props["DomainName"] == SITE_DOMAIN
    assert props["CertificateSettings"] == {"CertificateType": "AMPLIFY_MANAGED"}
    assert props["EnableAutoSubDomain"] is False
    branch_name = {"Fn::GetAtt": [branch, "BranchName"]}
    assert props["SubDomainSettings"] == [
        {"BranchName": branch_name, "Prefix": ""},
        {"BranchName": branch_name, "Prefix": "www"},
    ]


def test_amplify_domain_origins_are_in_cors_and_its_dns_records_are_stack_outputs(
    amplify_on_domain: Synth, config: DeploymentConfig
) -> None:
    origins = _cors_origins(amplify_on_domain)
    assert {f"https://{SITE_DOMAIN}", f"https://www.{SITE_DOMAIN}"} <= {o for o in origins if isinstance(o, str)}
    assert len(origins) == len({json.dumps(o, sort_keys=True) for o in origins})
    outputs = amplify_on_domain.json["Outputs"]
    assert outputs[DOMAIN_URL_OUTPUT]["Value"] == f"https://{SITE_DOMAIN}"
    # No GetAtt of the records: CloudFormation has the association before Amplify has its records
    app = amplify_on_domain.logical_id("AWS::Amplify::App")
    command = _joined(outputs[DOMAIN_DNS_RECORDS_OUTPUT]["Value"])
    # The command names the stack's region: it works whatever the owner's default region is
    assert command[:2] == [
        f"aws amplify get-domain-association --region {config.region} --app-id ",
        {"Fn::GetAtt": [app, "AppId"]},
    ]
    assert len(command) == 3
    assert f"--domain-name {SITE_DOMAIN}" in command[2]
    assert "certificateVerificationDNSRecord" in command[2]
    assert "subDomains[].dnsRecord" in command[2]


def test_without_a_domain_there_is_no_association_and_no_domain_output(amplify: Synth, cloudfront: Synth) -> None:
    assert amplify.template.find_resources("AWS::Amplify::Domain") == {}
    for synth in (amplify, cloudfront):
        assert not [output for output in synth.json["Outputs"] if output.startswith("SiteDomain")]


def test_cloudfront_serves_the_domain_with_the_us_east_1_certificate(cloudfront_on_domain: Synth) -> None:
    _, distribution = cloudfront_on_domain.only("AWS::CloudFront::Distribution")
    config = distribution["Properties"]["DistributionConfig"]
    assert config["Aliases"] == [SITE_DOMAIN]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": SITE_CERTIFICATE_ARN,
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "SslSupportMethod": "sni-only",
    }
    assert f"https://{SITE_DOMAIN}" in _cors_origins(cloudfront_on_domain)
    record = _joined(cloudfront_on_domain.json["Outputs"][DOMAIN_DNS_RECORDS_OUTPUT]["Value"])
    assert record[0].startswith(f"{SITE_DOMAIN} CNAME")


@pytest.mark.parametrize(
    ("certificate", "message"),
    [
        (None, "config key 'site_certificate_arn' is missing"),
        (
            "arn:aws:acm:eu-west-1:111111111111:certificate/0b5e4e35-7c1f-4a3e-9d5e-2f6a3c1b9e77",
            "config key 'site_certificate_arn'.*eu-west-1.*is not an ACM certificate ARN in us-east-1",
        ),
        ("arn:aws:iam::111111111111:server-certificate/resume", "config key 'site_certificate_arn'.*is not an ACM"),
    ],
)
def test_cloudfront_with_a_domain_refuses_to_synth_without_a_us_east_1_certificate(
    certificate: str | None, message: str
) -> None:
    # Given S3 + CloudFront hosting on the owner's domain with no, or the wrong, certificate
    context = {"config.hosting": "s3-cloudfront", "config.site_domain": SITE_DOMAIN}
    if certificate is not None:
        context["config.site_certificate_arn"] = certificate
    # Then synth stops with an error that names the key
    with pytest.raises(ConfigError, match=message):
        build_app(context=context)


def test_a_certificate_only_cloudfront_would_use_is_refused_rather_than_ignored() -> None:
    for context in (
        {"config.hosting": "amplify", **WITH_CERTIFICATE},
        {"config.hosting": "s3-cloudfront", "config.site_certificate_arn": SITE_CERTIFICATE_ARN},
    ):
        with pytest.raises(ConfigError, match="config key 'site_certificate_arn': only s3-cloudfront"):
            build_app(context=context)


def test_configured_origins_on_the_domain_are_not_repeated_in_cors(synth_with: Any) -> None:
    # Given the default config, whose site_origins already list https://example.com and its www host
    template = synth_with({"config.site_domain": "example.com"})
    # Then each origin is allowed once
    origins = template.find_resources("AWS::ApiGatewayV2::Api").popitem()[1]["Properties"]["CorsConfiguration"]
    assert origins["AllowOrigins"].count("https://example.com") == 1
    assert origins["AllowOrigins"].count("https://www.example.com") == 1


def test_site_is_built_deterministically_into_the_cloud_assembly(tmp_path: Path) -> None:
    # Given two apps with their own output folders
    digests = []
    for name in ("one", "two"):
        app = App(outdir=str(tmp_path / name))
        build = build_for_synth(Stack(app, "S"), show_visit_badge=True)
        # Then each builds into its own assembly, never into frontend/dist, with the résumé's PDF
        assert build.directory == tmp_path / name / "site-build"
        assert (build.directory / "index.html").is_file()
        assert build.download is not None
        assert (build.directory / build.download.name).read_bytes().startswith(b"%PDF-")
        digests.append(build.digest)
    # And the same resume gives the same bytes, PDF included, so an unchanged site deploys nothing new
    assert digests[0] == digests[1]


def test_without_chromium_the_site_build_for_a_deploy_stops_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a machine where no Chromium can be found
    monkeypatch.setenv(CHROME_PATH_ENV, str(tmp_path / "no-chromium-here"))
    app = App(outdir=str(tmp_path / "out"))
    # When the site is built for a deploy
    # Then it stops, rather than deploy a page without its PDF, and says how to install Chromium
    with pytest.raises(SiteBuildError, match="apt-get install chromium"):
        build_for_synth(Stack(app, "S"), show_visit_badge=True)
    assert not (tmp_path / "out" / "site-build").exists()


def test_a_synth_without_chromium_exits_with_the_fix_and_no_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a machine where no Chromium can be found
    monkeypatch.setenv(CHROME_PATH_ENV, str(tmp_path / "no-chromium-here"))
    monkeypatch.setenv("CDK_OUTDIR", str(tmp_path / "cdk.out"))
    # When the app is synthesized (`make synth`, `cdk synth`)
    with pytest.raises(SystemExit) as exited:
        infra_app.synth(build_app, "cdk.out")
    # Then it fails with one line that says what is missing and how to install it
    assert exited.value.code == 1
    error = capsys.readouterr().err
    assert error.startswith("site build error: ")
    assert "sudo apt-get install chromium" in error
    assert "Traceback" not in error


def test_amplify_header_yaml_is_valid_yaml_of_the_given_headers() -> None:
    headers = security_headers("https://abc.execute-api.eu-west-1.amazonaws.com")
    parsed = yaml.safe_load(amplify_custom_headers(headers))
    assert parsed == {
        "customHeaders": [{"pattern": "**", "headers": [{"key": k, "value": v} for k, v in headers.items()]}]
    }


def test_cloudfront_mapping_sends_unknown_headers_as_custom_and_refuses_what_it_cannot_express() -> None:
    headers = security_headers(None) | {"Permissions-Policy": "camera=()"}
    _, custom = cloudfront_header_behaviors(headers)
    assert custom is not None
    assert [(h.header, h.value) for h in custom.custom_headers] == [("Permissions-Policy", "camera=()")]
    with pytest.raises(ValueError, match="Strict-Transport-Security"):
        cloudfront_header_behaviors(security_headers(None) | {"Strict-Transport-Security": "max-age=1; bogus"})


def test_hsts_covers_only_the_site_host_unless_the_owner_opts_in() -> None:
    # Given the shared header set, and an owner who opts in to subdomains on their own domain
    default = security_headers(None)["Strict-Transport-Security"]
    opted_in = security_headers(None) | {"Strict-Transport-Security": "max-age=63072000; includeSubDomains"}

    # Then by default no subdomain of a custom apex domain is forced to HTTPS for two years
    assert default == f"max-age={HSTS_MAX_AGE_SECONDS}"
    # And the opt-in still reaches CloudFront's typed field
    security, _ = cloudfront_header_behaviors(opted_in)
    assert security.strict_transport_security is not None
    assert security.strict_transport_security.include_subdomains is True


def test_csp_allows_only_the_site_and_the_api() -> None:
    assert content_security_policy("https://api.example") == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self' https://api.example; frame-ancestors 'none'; base-uri 'self'; form-action 'none'"
    )
    assert "connect-src 'self';" in content_security_policy(None)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_with_show_visit_badge_off_the_deployed_page_has_no_badge_but_still_loads_the_counter(
    tmp_path_factory: pytest.TempPathFactory, cloudfront: Synth
) -> None:
    # Given the same app synthesized with the badge turned off
    off = _synth(tmp_path_factory, "s3-cloudfront", {"config.show_visit_badge": "false"})

    def page(synth: Synth) -> str:
        _, upload = synth.only("Custom::CDKBucketDeployment")
        page_zip = upload["Properties"]["SourceObjectKeys"][1]
        return (synth.outdir / f"asset.{page_zip.removesuffix('.zip')}" / PAGE_NAME).read_text()

    # Then the deployed page has no badge, where the default one has it
    assert "data-visit-counter" in page(cloudfront)
    assert "data-visit-counter" not in page(off)
    # And it still loads the counter script, which records the visit (and which the probe checks for)
    assert '<script src="counter.js" defer></script>' in page(off)
