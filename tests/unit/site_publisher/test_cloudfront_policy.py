"""Writing the CSP into the CloudFront response headers policy."""

from __future__ import annotations

import datetime
from typing import Any

from botocore.stub import Stubber

from functions.site_publisher.cloudfront_policy import apply_content_security_policy

POLICY_ID = "a1b2c3d4-0000-1111-2222-333344445555"
FAIL_CLOSED = "default-src 'self'; connect-src 'self'"
WITH_API = "default-src 'self'; connect-src 'self' https://abc.execute-api.eu-west-1.amazonaws.com"


def _policy(csp: str) -> dict[str, Any]:
    return {
        "Name": "site-headers",
        "Comment": "security headers",
        "SecurityHeadersConfig": {
            "ContentSecurityPolicy": {"Override": True, "ContentSecurityPolicy": csp},
            "ContentTypeOptions": {"Override": True},
        },
    }


def _get_response(csp: str) -> dict[str, Any]:
    return {
        "ResponseHeadersPolicy": {
            "Id": POLICY_ID,
            "LastModifiedTime": datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
            "ResponseHeadersPolicyConfig": _policy(csp),
        },
        "ETag": "E1",
    }


def test_replaces_only_the_csp_and_guards_the_update_with_the_etag(cloudfront: tuple[Any, Stubber]) -> None:
    # Given the policy as CloudFormation created it, fail closed
    client, stubber = cloudfront
    stubber.add_response("get_response_headers_policy", _get_response(FAIL_CLOSED), {"Id": POLICY_ID})
    # Then the update carries every other setting unchanged, the new CSP, and the ETag it read
    stubber.add_response(
        "update_response_headers_policy",
        {},
        {"Id": POLICY_ID, "IfMatch": "E1", "ResponseHeadersPolicyConfig": _policy(WITH_API)},
    )

    # When the CSP naming the API is applied
    assert apply_content_security_policy(client, POLICY_ID, WITH_API) is True


def test_an_unchanged_csp_is_not_written_again(cloudfront: tuple[Any, Stubber]) -> None:
    # Given the policy already has the wanted CSP
    client, stubber = cloudfront
    stubber.add_response("get_response_headers_policy", _get_response(WITH_API), {"Id": POLICY_ID})

    # When / Then nothing is updated (the Stubber would fail on an unexpected call)
    assert apply_content_security_policy(client, POLICY_ID, WITH_API) is False
