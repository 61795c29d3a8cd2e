"""Checks of what resources of the stack need from the account and region: Lambda concurrency, the Powertools
layer, hosting (Amplify in the region, or CloudFront's certificate)."""

from __future__ import annotations

import re
from typing import Final

import boto3

from infra.config_values import CLOUDFRONT_CERTIFICATE_REGION
from infra.lambda_factory import POWERTOOLS_LAYER_PARAMETER
from tools.preflight.core import Check, Context, Result, Status, unless_missing

# NOTE: Lambda refuses a reservation that leaves the account fewer than this many unreserved executions.
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
MIN_UNRESERVED: Final = 10


def _stack_reservations(context: Context) -> int:
    """What the deployed stack's functions reserve now: an update gives it back before reserving again."""
    functions = [
        resource["PhysicalResourceId"]
        for resource in context.stack_resources(context.config.stack_name)
        if resource["ResourceType"] == "AWS::Lambda::Function" and resource.get("PhysicalResourceId")
    ]
    client = context.client("lambda")
    return sum(
        int(client.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions") or 0)
        for name in functions
    )


def check_concurrency(context: Context) -> Result:
    reserve = context.config.counter_reserved_concurrency
    if reserve is None:
        return Result(Status.PASS, "no reservation (the stage throttle caps cost)")
    settings = context.client("lambda").get_account_settings()
    limit = int(settings["AccountLimit"]["ConcurrentExecutions"])
    unreserved = int(settings["AccountLimit"]["UnreservedConcurrentExecutions"])
    left = unreserved + _stack_reservations(context) - reserve
    if left < MIN_UNRESERVED:
        return Result(
            Status.FAIL,
            f"reserving {reserve} would leave {left} of the account's {limit} unreserved; Lambda refuses fewer "
            f"than {MIN_UNRESERVED}",
            "set counter_reserved_concurrency to null in cdk.json (the stage throttle caps cost)",
            # L-B99A9384: Service Quotas' code of Lambda's "Concurrent executions".
            "or ask for a higher quota: aws service-quotas request-service-quota-increase --region "
            f"{context.config.region} --service-code lambda --quota-code L-B99A9384 --desired-value 1000",
        )
    return Result(
        Status.PASS, f"reserving {reserve} leaves {left} of {limit} unreserved (Lambda needs {MIN_UNRESERVED})"
    )


def check_powertools_layer(context: Context) -> Result:
    parameter, region = POWERTOOLS_LAYER_PARAMETER, context.config.region
    found = unless_missing(lambda: context.client("ssm").get_parameter(Name=parameter), "ParameterNotFound")
    if found is None:
        return Result(
            Status.FAIL,
            f"{parameter} does not exist in {region}: the deploy fails resolving the Powertools layer",
            f"pin an aws-lambda-powertools release published in {region} in pyproject.toml, then `make lock`",
            "released layers: https://docs.powertools.aws.dev/lambda/python/latest/#lambda-layer",
        )
    value = found["Parameter"]["Value"]
    # NOTE: the shape of Lambda's LayerVersionArn; the stack's functions take a layer of their own region.
    # https://docs.aws.amazon.com/lambda/latest/api/API_GetLayerVersion.html#lambda-GetLayerVersion-response-LayerVersionArn
    if not re.fullmatch(rf"arn:aws[a-z-]*:lambda:{region}:\d{{12}}:layer:[\w-]+:\d+", value):
        return Result(
            Status.FAIL,
            f"{parameter} in {region} is {value!r}, not a layer version ARN in {region}: the functions cannot deploy",
            "pin another aws-lambda-powertools release in pyproject.toml, then `make lock`",
        )
    return Result(Status.PASS, f"{parameter} in {region}: {value}")


def covers(name: str, domain: str) -> bool:
    """Whether a certificate name covers a domain; `*.` matches exactly one label."""
    if name.startswith("*."):
        head, _, rest = domain.partition(".")
        return bool(head) and rest == name[2:]
    return name == domain


def _check_certificate(context: Context) -> Result:
    config = context.config
    arn, domain = config.site_certificate_arn, config.site_domain
    if domain is None or arn is None:
        return Result(Status.PASS, "s3-cloudfront without site_domain: CloudFront's own certificate")
    request = (
        f"aws acm request-certificate --region {CLOUDFRONT_CERTIFICATE_REGION} --domain-name {domain} "
        "--validation-method DNS   # then set site_certificate_arn to its ARN"
    )
    acm = context.client("acm", CLOUDFRONT_CERTIFICATE_REGION)
    found = unless_missing(lambda: acm.describe_certificate(CertificateArn=arn), "ResourceNotFoundException")
    if found is None:
        return Result(Status.FAIL, f"the certificate {arn} does not exist in {CLOUDFRONT_CERTIFICATE_REGION}", request)
    certificate = found["Certificate"]
    if certificate["Status"] != "ISSUED":
        return Result(
            Status.FAIL,
            f"the certificate {arn} is {certificate['Status']}, not ISSUED: CloudFront refuses it",
            f"aws acm describe-certificate --region {CLOUDFRONT_CERTIFICATE_REGION} --certificate-arn {arn} "
            "--query 'Certificate.DomainValidationOptions[].ResourceRecord'   # add these DNS records",
        )
    names = [certificate["DomainName"], *certificate.get("SubjectAlternativeNames", [])]
    if not any(covers(name.lower(), domain) for name in names):
        covered = ", ".join(sorted(set(names)))
        return Result(Status.FAIL, f"the certificate {arn} covers {covered}, not {domain}", request)
    return Result(Status.PASS, f"{arn} is ISSUED and covers {domain}")


def check_hosting(context: Context) -> Result:
    config = context.config
    if config.hosting == "s3-cloudfront":
        return _check_certificate(context)
    # botocore's endpoint data: the regions AWS serves Amplify in (no call, so no permission needed).
    if config.region not in boto3.session.Session().get_available_regions("amplify"):
        return Result(
            Status.FAIL,
            f"Amplify Hosting is not available in {config.region}",
            'set "hosting": "s3-cloudfront" in cdk.json, or deploy to a region Amplify serves',
            "regions: https://docs.aws.amazon.com/general/latest/gr/amplify.html",
        )
    return Result(Status.PASS, f"Amplify is available in {config.region}")


CHECKS: Final = (
    Check(
        "Lambda concurrency",
        check_concurrency,
        ("lambda:GetAccountSettings", "lambda:GetFunctionConcurrency", "cloudformation:ListStackResources"),
    ),
    Check("Powertools layer", check_powertools_layer, ("ssm:GetParameter",)),
    Check("hosting", check_hosting, ("acm:DescribeCertificate",)),
)
