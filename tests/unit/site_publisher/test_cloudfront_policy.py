"""Writing the CSP into the CloudFront response headers policy."""

from __future__ import annotations

from typing import Any

from botocore.stub import Stubber

from functions.site_publisher.cloudfront_policy import apply_content_security_policy
from tests.unit.site_publisher.conftest import (
    FAIL_CLOSED_CSP,
    POLICY_ID,
    SITE_CSP,
    get_headers_policy_response,
    headers_policy_config,
)


def test_replaces_only_the_csp_and_guards_the_update_with_the_etag(cloudfront: tuple[Any, Stubber]) -> None:
    # Given the policy as CloudFormation created it, fail closed
    client, stubber = cloudfront
    stubber.add_response("get_response_headers_policy", get_headers_policy_response(FAIL_CLOSED_CSP), {"Id": POLICY_ID})
    # Then the update carries every other setting unchanged, the new CSP, and the ETag it read
    stubber.add_response(
        "update_response_headers_policy",
        {},
        {"Id": POLICY_ID, "IfMatch": "E1", "ResponseHeadersPolicyConfig": headers_policy_config(SITE_CSP)},
    )

    # When the CSP naming the API is applied
    assert apply_content_security_policy(client, POLICY_ID, SITE_CSP) is True


def test_an_unchanged_csp_is_not_written_again(cloudfront: tuple[Any, Stubber]) -> None:
    # Given the policy already has the wanted CSP
    client, stubber = cloudfront
    stubber.add_response("get_response_headers_policy", get_headers_policy_response(SITE_CSP), {"Id": POLICY_ID})

    # When / Then nothing is updated (the Stubber would fail on an unexpected call)
    assert apply_content_security_policy(client, POLICY_ID, SITE_CSP) is False
