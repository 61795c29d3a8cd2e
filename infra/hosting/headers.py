"""The one header set of functions/common/security_headers.py, in the two shapes the hosts take it."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudfront as cloudfront

from functions.common.security_headers import (
    CONTENT_SECURITY_POLICY,
    CONTENT_TYPE_OPTIONS,
    FRAME_OPTIONS,
    REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY,
)

_HSTS = re.compile(r"^max-age=(?P<seconds>\d+)(?P<subdomains>; includeSubDomains)?(?P<preload>; preload)?$")


def amplify_custom_headers(headers: Mapping[str, str]) -> str:
    """Amplify's custom header YAML, every header on every path; values as JSON strings, which YAML reads as
    double-quoted scalars. https://docs.aws.amazon.com/amplify/latest/userguide/custom-header-YAML-format.html"""
    lines = ["customHeaders:", "  - pattern: '**'", "    headers:"]
    for name, value in headers.items():
        lines += [f"      - key: {json.dumps(name)}", f"        value: {json.dumps(value)}"]
    return "\n".join(lines) + "\n"


def cloudfront_header_behaviors(
    headers: Mapping[str, str],
) -> tuple[cloudfront.ResponseSecurityHeadersBehavior, cloudfront.ResponseCustomHeadersBehavior | None]:
    """A response headers policy's security headers (CloudFront takes those typed, never as custom headers)
    and any other header as a custom one. Every header overrides what the origin sends."""
    remaining = dict(headers)
    security = cloudfront.ResponseSecurityHeadersBehavior(
        content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
            content_security_policy=remaining.pop(CONTENT_SECURITY_POLICY), override=True
        ),
        strict_transport_security=_strict_transport_security(remaining.pop(STRICT_TRANSPORT_SECURITY)),
        content_type_options=_content_type_options(remaining.pop(CONTENT_TYPE_OPTIONS)),
        frame_options=cloudfront.ResponseHeadersFrameOptions(
            frame_option=cloudfront.HeadersFrameOption[remaining.pop(FRAME_OPTIONS)], override=True
        ),
        referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
            referrer_policy=cloudfront.HeadersReferrerPolicy[remaining.pop(REFERRER_POLICY).upper().replace("-", "_")],
            override=True,
        ),
    )
    if not remaining:
        return security, None
    custom = cloudfront.ResponseCustomHeadersBehavior(
        custom_headers=[
            cloudfront.ResponseCustomHeader(header=name, value=value, override=True)
            for name, value in remaining.items()
        ]
    )
    return security, custom


def _strict_transport_security(value: str) -> cloudfront.ResponseHeadersStrictTransportSecurity:
    match = _HSTS.match(value)
    if match is None:
        raise ValueError(f"{STRICT_TRANSPORT_SECURITY} {value!r} has a form this mapping does not know")
    return cloudfront.ResponseHeadersStrictTransportSecurity(
        access_control_max_age=Duration.seconds(int(match["seconds"])),
        include_subdomains=match["subdomains"] is not None,
        preload=match["preload"] is not None,
        override=True,
    )


def _content_type_options(value: str) -> cloudfront.ResponseHeadersContentTypeOptions:
    if value != "nosniff":
        raise ValueError(f"CloudFront can only send {CONTENT_TYPE_OPTIONS}: nosniff, not {value!r}")
    return cloudfront.ResponseHeadersContentTypeOptions(override=True)
