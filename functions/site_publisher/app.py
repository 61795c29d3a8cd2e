"""Lambda entry point: the onEvent handler of a CDK custom resource Provider, which reports a raised error to
CloudFormation as FAILED with its message."""

from __future__ import annotations

import time
from functools import cache
from typing import TYPE_CHECKING, Any, Final

import boto3
from botocore.config import Config

from functions.site_publisher import contract
from functions.site_publisher.amplify_release import Release, publish
from functions.site_publisher.cloudfront_policy import apply_content_security_policy

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# Stop waiting this long before Lambda's own timeout, so the failure carries our message, not "Task timed out".
DEADLINE_MARGIN_SECONDS: Final = 30.0
_CLIENT_CONFIG: Final = Config(retries={"total_max_attempts": 5, "mode": "standard"})


# One client per container; tests put a botocore Stubber on it.
@cache
def amplify_client() -> Any:
    return boto3.client("amplify", config=_CLIENT_CONFIG)


@cache
def cloudfront_client() -> Any:
    return boto3.client("cloudfront", config=_CLIENT_CONFIG)


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    resource_type = event["ResourceType"]
    props = event["ResourceProperties"]
    if event["RequestType"] == "Delete":
        # NOTE: nothing to undo. The app, branch and policy go with the stack; a resource replaced by an
        # update must not unpublish the site the new one just published.
        return {"PhysicalResourceId": event["PhysicalResourceId"]}
    if resource_type == contract.AMPLIFY_RELEASE:
        release = Release(
            app_id=props[contract.APP_ID],
            branch_name=props[contract.BRANCH_NAME],
            source_url=props[contract.SOURCE_URL],
            custom_headers=props[contract.CUSTOM_HEADERS],
        )
        deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - DEADLINE_MARGIN_SECONDS
        job_id = publish(amplify_client(), release, deadline=deadline)
        return {"PhysicalResourceId": f"{release.app_id}/{release.branch_name}", "Data": {"JobId": job_id}}
    if resource_type == contract.CONTENT_SECURITY_POLICY:
        policy_id = props[contract.RESPONSE_HEADERS_POLICY_ID]
        apply_content_security_policy(cloudfront_client(), policy_id, props[contract.POLICY])
        return {"PhysicalResourceId": policy_id}
    raise ValueError(f"unsupported resource type {resource_type!r}")
