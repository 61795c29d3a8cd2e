"""Checks of what resources of the stack need from the account and region: Lambda concurrency, the Powertools
layer, hosting (Amplify in the region, or CloudFront's certificate)."""

from __future__ import annotations

from typing import Any, Final

import boto3

from infra.config_values import CLOUDFRONT_CERTIFICATE_REGION
from infra.lambda_factory import POWERTOOLS_LAYER_PARAMETER
from tools.preflight.core import Check, Context, Finding, Outcome, Status, unless_missing

# NOTE: Lambda refuses a reservation that leaves the account fewer than this many unreserved executions.
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
MIN_UNRESERVED: Final = 10
CONCURRENCY_QUOTA_CODE: Final = "L-B99A9384"
"""Service Quotas' code of Lambda's "Concurrent executions"."""

NO_RESERVATION = Finding(Status.PASS, "no reservation (the stage throttle caps cost)")
RESERVATION_FITS = Finding(
    Status.PASS, "reserving {reserve} leaves {left} of {limit} unreserved (Lambda needs {minimum})"
)
RESERVATION_TOO_BIG = Finding(
    Status.FAIL,
    "reserving {reserve} would leave {left} of the account's {limit} unreserved; Lambda refuses fewer than {minimum}",
    "set counter_reserved_concurrency to null in cdk.json (the stage throttle caps cost)",
    "or ask for a higher quota: aws service-quotas request-service-quota-increase --region {region} "
    "--service-code lambda --quota-code " + CONCURRENCY_QUOTA_CODE + " --desired-value 1000",
)


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


def check_concurrency(context: Context) -> Outcome:
    reserve = context.config.counter_reserved_concurrency
    if reserve is None:
        return NO_RESERVATION()
    settings = context.client("lambda").get_account_settings()
    limit = int(settings["AccountLimit"]["ConcurrentExecutions"])
    unreserved = int(settings["AccountLimit"]["UnreservedConcurrentExecutions"])
    left = unreserved + _stack_reservations(context) - reserve
    values: dict[str, Any] = {"reserve": reserve, "left": left, "limit": limit, "minimum": MIN_UNRESERVED}
    if left < MIN_UNRESERVED:
        return RESERVATION_TOO_BIG(region=context.config.region, **values)
    return RESERVATION_FITS(**values)


LAYER_FOUND = Finding(Status.PASS, "{parameter} in {region}: {arn}")
LAYER_MISSING = Finding(
    Status.FAIL,
    "{parameter} does not exist in {region}: the deploy fails resolving the Powertools layer",
    "pin an aws-lambda-powertools release published in {region} in pyproject.toml, then `make lock`",
    "released layers: https://docs.powertools.aws.dev/lambda/python/latest/#lambda-layer",
)
LAYER_NOT_AN_ARN = Finding(
    Status.FAIL,
    "{parameter} in {region} is {value!r}, not a layer version ARN: the functions would not deploy",
    "pin another aws-lambda-powertools release in pyproject.toml, then `make lock`",
)


def check_powertools_layer(context: Context) -> Outcome:
    values = {"parameter": POWERTOOLS_LAYER_PARAMETER, "region": context.config.region}
    found = unless_missing(
        lambda: context.client("ssm").get_parameter(Name=POWERTOOLS_LAYER_PARAMETER), "ParameterNotFound"
    )
    if found is None:
        return LAYER_MISSING(**values)
    value = found["Parameter"]["Value"]
    if not (value.startswith("arn:") and ":layer:" in value):
        return LAYER_NOT_AN_ARN(value=value, **values)
    return LAYER_FOUND(arn=value, **values)


AMPLIFY_AVAILABLE = Finding(Status.PASS, "Amplify is available in {region}")
AMPLIFY_UNAVAILABLE = Finding(
    Status.FAIL,
    "Amplify Hosting is not available in {region}",
    'set "hosting": "s3-cloudfront" in cdk.json, or deploy to a region Amplify serves',
    "regions: https://docs.aws.amazon.com/general/latest/gr/amplify.html",
)
NO_CERTIFICATE_NEEDED = Finding(Status.PASS, "s3-cloudfront without site_domain: CloudFront's own certificate")
CERTIFICATE_OK = Finding(Status.PASS, "{arn} is ISSUED and covers {domain}")
CERTIFICATE_MISSING = Finding(
    Status.FAIL,
    "the certificate {arn} does not exist in " + CLOUDFRONT_CERTIFICATE_REGION,
    "aws acm request-certificate --region " + CLOUDFRONT_CERTIFICATE_REGION + " --domain-name {domain} "
    "--validation-method DNS   # then set site_certificate_arn to its ARN",
)
CERTIFICATE_NOT_ISSUED = Finding(
    Status.FAIL,
    "the certificate {arn} is {status}, not ISSUED: CloudFront refuses it",
    "aws acm describe-certificate --region " + CLOUDFRONT_CERTIFICATE_REGION + " --certificate-arn {arn} "
    "--query 'Certificate.DomainValidationOptions[].ResourceRecord'   # add these DNS records",
)
CERTIFICATE_WRONG_DOMAIN = Finding(
    Status.FAIL,
    "the certificate {arn} covers {names}, not {domain}",
    "aws acm request-certificate --region " + CLOUDFRONT_CERTIFICATE_REGION + " --domain-name {domain} "
    "--validation-method DNS   # then set site_certificate_arn to its ARN",
)


def covers(name: str, domain: str) -> bool:
    """Whether a certificate name covers a domain; `*.` matches exactly one label."""
    if name.startswith("*."):
        head, _, rest = domain.partition(".")
        return bool(head) and rest == name[2:]
    return name == domain


def _check_certificate(context: Context) -> Outcome:
    config = context.config
    if config.site_domain is None or config.site_certificate_arn is None:
        return NO_CERTIFICATE_NEEDED()
    values = {"arn": config.site_certificate_arn, "domain": config.site_domain}
    acm = context.client("acm", CLOUDFRONT_CERTIFICATE_REGION)
    found = unless_missing(
        lambda: acm.describe_certificate(CertificateArn=config.site_certificate_arn), "ResourceNotFoundException"
    )
    if found is None:
        return CERTIFICATE_MISSING(**values)
    certificate = found["Certificate"]
    if certificate["Status"] != "ISSUED":
        return CERTIFICATE_NOT_ISSUED(status=certificate["Status"], **values)
    names = [certificate["DomainName"], *certificate.get("SubjectAlternativeNames", [])]
    if not any(covers(name.lower(), config.site_domain) for name in names):
        return CERTIFICATE_WRONG_DOMAIN(names=", ".join(sorted(set(names))), **values)
    return CERTIFICATE_OK(**values)


def check_hosting(context: Context) -> Outcome:
    config = context.config
    if config.hosting == "s3-cloudfront":
        return _check_certificate(context)
    # botocore's endpoint data: the regions AWS serves Amplify in (no call, so no permission needed).
    if config.region not in boto3.session.Session().get_available_regions("amplify"):
        return AMPLIFY_UNAVAILABLE(region=config.region)
    return AMPLIFY_AVAILABLE(region=config.region)


CHECKS: Final = (
    Check(
        "Lambda concurrency",
        "when counter_reserved_concurrency is set, the account's quota leaves at least "
        f"{MIN_UNRESERVED} executions unreserved after it",
        check_concurrency,
        (NO_RESERVATION, RESERVATION_FITS, RESERVATION_TOO_BIG),
        ("lambda:GetAccountSettings", "lambda:GetFunctionConcurrency", "cloudformation:ListStackResources"),
    ),
    Check(
        "Powertools layer",
        "the public SSM parameter of the pinned Powertools layer (version, architecture, runtime) exists in "
        "config.region",
        check_powertools_layer,
        (LAYER_FOUND, LAYER_MISSING, LAYER_NOT_AN_ARN),
        ("ssm:GetParameter",),
    ),
    Check(
        "hosting",
        "amplify: Amplify serves config.region; s3-cloudfront with site_domain: site_certificate_arn exists in "
        f"{CLOUDFRONT_CERTIFICATE_REGION}, is ISSUED and covers site_domain",
        check_hosting,
        (
            AMPLIFY_AVAILABLE,
            AMPLIFY_UNAVAILABLE,
            NO_CERTIFICATE_NEEDED,
            CERTIFICATE_OK,
            CERTIFICATE_MISSING,
            CERTIFICATE_NOT_ISSUED,
            CERTIFICATE_WRONG_DOMAIN,
        ),
        ("acm:DescribeCertificate",),
    ),
)
