"""The custom resource entry point: which step runs, what CloudFormation gets back."""

from __future__ import annotations

import time
from typing import Any

import pytest

from functions.site_publisher import app, contract
from functions.site_publisher.amplify_release import Release
from infra.local.lambda_events import LocalLambdaContext
from tests.unit.site_publisher.conftest import APP_ID, BRANCH, HEADERS_YAML, SOURCE_URL


def _event(request_type: str, resource_type: str, properties: dict[str, str]) -> dict[str, Any]:
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ResourceType": resource_type,
        "LogicalResourceId": "Release",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:eu-west-1:111111111111:function:x", **properties},
    }
    if request_type != "Create":
        event["PhysicalResourceId"] = f"{APP_ID}/{BRANCH}"
    return event


AMPLIFY_PROPS = {
    contract.APP_ID: APP_ID,
    contract.BRANCH_NAME: BRANCH,
    contract.SOURCE_URL: SOURCE_URL,
    contract.CUSTOM_HEADERS: HEADERS_YAML,
    contract.REDO_WHEN: "0123456789abcdef",
}


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_create_and_update_publish_the_release_with_a_stable_physical_id(
    request_type: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the Amplify publishing replaced by a recorder
    published: list[tuple[Release, float]] = []

    def record(client: object, release: Release, *, deadline: float) -> str:
        published.append((release, deadline))
        return "9"

    monkeypatch.setattr(app, "amplify_client", lambda: "client")
    monkeypatch.setattr(app, "publish", record)
    context = LocalLambdaContext(function_name="site-publisher", timeout_seconds=600)

    # When CloudFormation creates or updates the release
    answer = app.lambda_handler(_event(request_type, contract.AMPLIFY_RELEASE, AMPLIFY_PROPS), context)  # type: ignore[arg-type]

    # Then the release named by the properties is published, with a deadline inside the Lambda's time
    (release, deadline), *_ = published
    assert 0 < deadline - time.monotonic() < 600 - app.DEADLINE_MARGIN_SECONDS + 1
    assert release == Release(app_id=APP_ID, branch_name=BRANCH, source_url=SOURCE_URL, custom_headers=HEADERS_YAML)
    # The physical id does not change between updates, so CloudFormation never sends a Delete for the old one.
    assert answer == {"PhysicalResourceId": f"{APP_ID}/{BRANCH}", "Data": {"JobId": "9"}}


def test_delete_unpublishes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given any AWS call would fail the test
    monkeypatch.setattr(app, "amplify_client", lambda: pytest.fail("no AWS call on Delete"))

    # When CloudFormation deletes the release
    answer = app.lambda_handler(
        _event("Delete", contract.AMPLIFY_RELEASE, AMPLIFY_PROPS),
        LocalLambdaContext(function_name="x"),  # type: ignore[arg-type]
    )

    # Then the site stays as it is
    assert answer == {"PhysicalResourceId": f"{APP_ID}/{BRANCH}"}


def test_the_csp_step_writes_the_policy_named_by_its_properties(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the CloudFront call replaced by a recorder
    written: list[tuple[str, str]] = []
    monkeypatch.setattr(app, "cloudfront_client", lambda: "client")
    monkeypatch.setattr(
        app, "apply_content_security_policy", lambda client, policy_id, policy: written.append((policy_id, policy))
    )
    properties = {contract.RESPONSE_HEADERS_POLICY_ID: "policy-1", contract.POLICY: "default-src 'self'"}

    # When CloudFormation creates the step
    answer = app.lambda_handler(
        _event("Create", contract.CONTENT_SECURITY_POLICY, properties),
        LocalLambdaContext(function_name="x"),  # type: ignore[arg-type]
    )

    # Then that policy gets that CSP, and the policy id is the physical id
    assert written == [("policy-1", "default-src 'self'")]
    assert answer == {"PhysicalResourceId": "policy-1"}


def test_an_unknown_resource_type_fails() -> None:
    with pytest.raises(ValueError, match="unsupported resource type"):
        app.lambda_handler(_event("Create", "Custom::Other", {}), LocalLambdaContext(function_name="x"))  # type: ignore[arg-type]
