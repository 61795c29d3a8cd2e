"""Amplify and CloudFront clients driven by botocore's Stubber: moto implements neither API.

The Stubber checks every request against the service model, so a wrong parameter name or value fails here.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from functions.site_publisher.amplify_release import Clock, Release

APP_ID = "d1a2b3c4d5e6f7"
BRANCH = "main"
SOURCE_URL = "s3://site-files/site/0123456789abcdef/abc.execute-api.eu-west-1.amazonaws.com/"
HEADERS_YAML = "customHeaders:\n  - pattern: '**'\n    headers:\n      - key: \"X-Content-Type-Options\"\n"
BRANCH_PARAMS = {"appId": APP_ID, "branchName": BRANCH}
_WHEN = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture
def release() -> Release:
    return Release(app_id=APP_ID, branch_name=BRANCH, source_url=SOURCE_URL, custom_headers=HEADERS_YAML)


@pytest.fixture
def amplify() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("amplify", region_name="eu-west-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def cloudfront() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("cloudfront", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@dataclass
class FakeClock:
    """Time moves only when the code sleeps; sleeps are recorded."""

    time: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.time += seconds

    def as_clock(self) -> Clock:
        return Clock(now=self.now, sleep=self.sleep)


def job_summary(job_id: str, status: str) -> dict[str, Any]:
    return {
        "jobArn": f"arn:aws:amplify:eu-west-1:111111111111:apps/{APP_ID}/branches/{BRANCH}/jobs/{job_id}",
        "jobId": job_id,
        "commitId": "HEAD",
        "commitMessage": "",
        "commitTime": _WHEN,
        "startTime": _WHEN,
        "status": status,
        "jobType": "MANUAL",
    }


def get_job_response(job_id: str, status: str) -> dict[str, Any]:
    return {"job": {"summary": job_summary(job_id, status), "steps": []}}


def app_response() -> dict[str, Any]:
    return {
        "app": {
            "appId": APP_ID,
            "appArn": f"arn:aws:amplify:eu-west-1:111111111111:apps/{APP_ID}",
            "name": "ResumeBackend-site",
            "description": "",
            "repository": "",
            "platform": "WEB",
            "createTime": _WHEN,
            "updateTime": _WHEN,
            "environmentVariables": {},
            "defaultDomain": f"{APP_ID}.amplifyapp.com",
            "enableBranchAutoBuild": False,
            "enableBasicAuth": False,
        }
    }
