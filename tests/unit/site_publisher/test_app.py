"""The custom resource entry point, run end to end: CloudFormation's event in, the real publishing code, AWS
stubbed at the client (the handler's own cached clients carry the Stubber), CloudFormation's answer out."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.stub import Stubber

from functions.site_publisher import app, contract
from functions.site_publisher.amplify_release import POLL_SECONDS, ReleaseFailedError
from tests.unit.site_publisher.conftest import (
    APP_ID,
    BRANCH,
    BRANCH_PARAMS,
    FAIL_CLOSED_CSP,
    HEADERS_YAML,
    POLICY_ID,
    SITE_CSP,
    SOURCE_URL,
    app_response,
    get_headers_policy_response,
    get_job_response,
    headers_policy_config,
    job_summary,
)
from tools.local.lambda_runtime.events import LocalLambdaContext

Stubbed = tuple[Any, Stubber]
RELEASE_ID = f"{APP_ID}/{BRANCH}"
AMPLIFY_PROPS = {
    contract.APP_ID: APP_ID,
    contract.BRANCH_NAME: BRANCH,
    contract.SOURCE_URL: SOURCE_URL,
    contract.CUSTOM_HEADERS: HEADERS_YAML,
    contract.REDO_WHEN: "0123456789abcdef",
}
CSP_PROPS = {
    contract.RESPONSE_HEADERS_POLICY_ID: POLICY_ID,
    contract.POLICY: SITE_CSP,
    contract.REDO_WHEN: "fedcba9876543210",
}


def _event(
    request_type: str, resource_type: str, properties: dict[str, str], physical_id: str = RELEASE_ID
) -> dict[str, Any]:
    """A CloudFormation custom resource request as the CDK Provider framework passes it to onEvent."""
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:eu-west-1:111111111111:function:provider-framework-onEvent",
        "ResponseURL": "https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/x",
        "StackId": "arn:aws:cloudformation:eu-west-1:111111111111:stack/ResumeBackend/1",
        "RequestId": "b1c2d3e4",
        "ResourceType": resource_type,
        "LogicalResourceId": "Release",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:eu-west-1:111111111111:function:x", **properties},
    }
    if request_type != "Create":
        event["PhysicalResourceId"] = physical_id
    if request_type == "Update":
        event["OldResourceProperties"] = {"ServiceToken": event["ResourceProperties"]["ServiceToken"]}
    return event


def _context(timeout_seconds: float = 600) -> Any:
    return LocalLambdaContext(function_name="site-publisher", timeout_seconds=timeout_seconds)


def _expect_deployment(stubber: Stubber, job_id: str, *final_statuses: str) -> None:
    """Headers set on the app, no unfinished job on the branch, the staged prefix deployed as job `job_id`."""
    # The Stubber compares each request with these parameters: the Amplify app gets exactly the site's header
    # YAML, and the deployment reads the S3 prefix that BucketDeployment filled.
    stubber.add_response("update_app", app_response(), {"appId": APP_ID, "customHeaders": HEADERS_YAML})
    stubber.add_response(
        "list_jobs", {"jobSummaries": [job_summary("3", "SUCCEED")]}, {**BRANCH_PARAMS, "maxResults": 20}
    )
    stubber.add_response(
        "start_deployment",
        {"jobSummary": job_summary(job_id, "PENDING")},
        {**BRANCH_PARAMS, "sourceUrl": SOURCE_URL, "sourceUrlType": "BUCKET_PREFIX"},
    )
    for status in final_statuses:
        stubber.add_response("get_job", get_job_response(job_id, status), {**BRANCH_PARAMS, "jobId": job_id})


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_create_and_update_set_the_headers_and_deploy_the_staged_prefix(request_type: str, amplify: Stubbed) -> None:
    # Given Amplify accepts the headers and the deployment of the staged prefix succeeds
    _, stubber = amplify
    _expect_deployment(stubber, "4", "SUCCEED")

    # When CloudFormation creates or updates the release
    answer = app.lambda_handler(_event(request_type, contract.AMPLIFY_RELEASE, AMPLIFY_PROPS), _context())

    # Then every expected call was made, in order (the fixture checks none is left), and CloudFormation gets the
    # job id and a physical id that never changes between updates, so it never sends a Delete for the old one
    assert answer == {"PhysicalResourceId": RELEASE_ID, "Data": {"JobId": "4"}}


def test_a_failed_deployment_fails_the_custom_resource_with_the_job_named(amplify: Stubbed) -> None:
    # Given a deployment job that fails (e.g. Amplify may not read the bucket)
    _, stubber = amplify
    _expect_deployment(stubber, "4", "FAILED")

    # When / Then the handler raises, so the Provider reports FAILED with this message and CloudFormation rolls back
    with pytest.raises(ReleaseFailedError, match=r"^Amplify job 4 of branch main ended FAILED$"):
        app.lambda_handler(_event("Update", contract.AMPLIFY_RELEASE, AMPLIFY_PROPS), _context())


def test_a_deployment_still_running_when_lambda_time_runs_out_fails_with_our_message(amplify: Stubbed) -> None:
    # Given a deployment that is still running, and a Lambda with less time left than one poll after the margin
    _, stubber = amplify
    _expect_deployment(stubber, "4", "RUNNING")
    started = time.monotonic()

    # When / Then the handler gives up before Lambda's timeout, so CloudFormation sees why, not "Task timed out"
    with pytest.raises(ReleaseFailedError, match="job 4 is still RUNNING; gave up waiting"):
        app.lambda_handler(
            _event("Create", contract.AMPLIFY_RELEASE, AMPLIFY_PROPS),
            _context(timeout_seconds=app.DEADLINE_MARGIN_SECONDS + 2),
        )
    assert time.monotonic() - started < POLL_SECONDS


def test_delete_unpublishes_nothing(amplify: Stubbed, cloudfront: Stubbed) -> None:
    # Given no AWS response is queued, so any call would fail the test

    # When CloudFormation deletes the release and the CSP step
    release = app.lambda_handler(_event("Delete", contract.AMPLIFY_RELEASE, AMPLIFY_PROPS), _context())
    csp = app.lambda_handler(
        _event("Delete", contract.CONTENT_SECURITY_POLICY, CSP_PROPS, physical_id=POLICY_ID), _context()
    )

    # Then the site and its headers stay as they are
    assert release == {"PhysicalResourceId": RELEASE_ID}
    assert csp == {"PhysicalResourceId": POLICY_ID}


@pytest.mark.parametrize("request_type", ["Create", "Update"])
def test_the_csp_step_writes_the_csp_naming_the_api_into_the_headers_policy(
    request_type: str, cloudfront: Stubbed
) -> None:
    # Given the headers policy as CloudFormation created it, fail closed (connect-src 'self' only)
    _, stubber = cloudfront
    stubber.add_response("get_response_headers_policy", get_headers_policy_response(FAIL_CLOSED_CSP), {"Id": POLICY_ID})
    # Then CloudFront is sent the same policy with the CSP that allows the API, guarded by the ETag it read
    stubber.add_response(
        "update_response_headers_policy",
        {},
        {"Id": POLICY_ID, "IfMatch": "E1", "ResponseHeadersPolicyConfig": headers_policy_config(SITE_CSP)},
    )

    # When CloudFormation creates or updates the step
    answer = app.lambda_handler(
        _event(request_type, contract.CONTENT_SECURITY_POLICY, CSP_PROPS, physical_id=POLICY_ID), _context()
    )

    # And the policy id is the physical id
    assert answer == {"PhysicalResourceId": POLICY_ID}


def test_an_unknown_resource_type_fails(amplify: Stubbed, cloudfront: Stubbed) -> None:
    with pytest.raises(ValueError, match="unsupported resource type 'Custom::Other'"):
        app.lambda_handler(_event("Create", "Custom::Other", {}), _context())
