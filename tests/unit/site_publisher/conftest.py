"""Amplify and CloudFront clients driven by botocore's Stubber: moto 5 implements neither Amplify nor CloudFront
response headers policies.

The stubbed clients are the ones the handler's own factories (`app.amplify_client`, `app.cloudfront_client`)
return, so the handler runs unchanged; no AWS call leaves the process. The Stubber checks every request against
the service model, so a wrong parameter name or value fails here.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.stub import Stubber

from functions.common.security_headers import CONTENT_SECURITY_POLICY, HSTS_MAX_AGE_SECONDS, security_headers
from functions.site_publisher import app
from functions.site_publisher.amplify_release import Clock, Release
from infra.hosting.headers import amplify_custom_headers

APP_ID = "d1a2b3c4d5e6f7"
BRANCH = "main"
API_ORIGIN = "https://abc.execute-api.eu-west-1.amazonaws.com"
SOURCE_URL = "s3://site-files/site/0123456789abcdef/abc.execute-api.eu-west-1.amazonaws.com/"
SITE_HEADERS = security_headers(API_ORIGIN)
HEADERS_YAML = amplify_custom_headers(SITE_HEADERS)
"""What infra passes as the release's CustomHeaders: the site's real header set, as Amplify YAML."""
POLICY_ID = "a1b2c3d4-0000-1111-2222-333344445555"
FAIL_CLOSED_CSP = security_headers(None)[CONTENT_SECURITY_POLICY]
SITE_CSP = SITE_HEADERS[CONTENT_SECURITY_POLICY]
BRANCH_PARAMS = {"appId": APP_ID, "branchName": BRANCH}
_WHEN = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture
def release() -> Release:
    return Release(app_id=APP_ID, branch_name=BRANCH, source_url=SOURCE_URL, custom_headers=HEADERS_YAML)


def _stubbed(factory: Callable[[], Any]) -> Iterator[tuple[Any, Stubber]]:
    """The client `factory` returns from now on, with a Stubber on it; every queued response must be used."""
    factory.cache_clear()  # type: ignore[attr-defined]
    try:
        client = factory()
        with Stubber(client) as stubber:
            yield client, stubber
            stubber.assert_no_pending_responses()
    finally:
        factory.cache_clear()  # type: ignore[attr-defined]


@pytest.fixture
def amplify() -> Iterator[tuple[Any, Stubber]]:
    yield from _stubbed(app.amplify_client)


@pytest.fixture
def cloudfront() -> Iterator[tuple[Any, Stubber]]:
    yield from _stubbed(app.cloudfront_client)


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


def headers_policy_config(csp: str) -> dict[str, Any]:
    """A response headers policy's config as GetResponseHeadersPolicy returns it (shape of infra/hosting)."""
    return {
        "Name": "site-headers",
        "Comment": "security headers",
        "SecurityHeadersConfig": {
            "ContentSecurityPolicy": {"Override": True, "ContentSecurityPolicy": csp},
            "ContentTypeOptions": {"Override": True},
            "FrameOptions": {"Override": True, "FrameOption": "DENY"},
            "ReferrerPolicy": {"Override": True, "ReferrerPolicy": "no-referrer"},
            "StrictTransportSecurity": {"Override": True, "AccessControlMaxAgeSec": HSTS_MAX_AGE_SECONDS},
        },
    }


def get_headers_policy_response(csp: str) -> dict[str, Any]:
    return {
        "ResponseHeadersPolicy": {
            "Id": POLICY_ID,
            "LastModifiedTime": _WHEN,
            "ResponseHeadersPolicyConfig": headers_policy_config(csp),
        },
        "ETag": "E1",
    }
