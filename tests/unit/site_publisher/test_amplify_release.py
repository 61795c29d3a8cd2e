"""Publishing to an Amplify branch: headers first, unfinished jobs cleared, the new job awaited."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from functions.site_publisher.amplify_release import (
    POLL_SECONDS,
    Release,
    ReleaseFailedError,
    publish,
)
from tests.unit.site_publisher.conftest import (
    APP_ID,
    BRANCH_PARAMS,
    HEADERS_YAML,
    SOURCE_URL,
    FakeClock,
    app_response,
    get_job_response,
    job_summary,
)

Stubbed = tuple[Any, Stubber]


def _expect_headers_and_jobs(stubber: Stubber, jobs: list[dict[str, Any]]) -> None:
    stubber.add_response("update_app", app_response(), {"appId": APP_ID, "customHeaders": HEADERS_YAML})
    stubber.add_response("list_jobs", {"jobSummaries": jobs}, {**BRANCH_PARAMS, "maxResults": 20})


def _expect_start(stubber: Stubber, job_id: str) -> None:
    stubber.add_response(
        "start_deployment",
        {"jobSummary": job_summary(job_id, "PENDING")},
        {**BRANCH_PARAMS, "sourceUrl": SOURCE_URL, "sourceUrlType": "BUCKET_PREFIX"},
    )


def _expect_status(stubber: Stubber, job_id: str, status: str) -> None:
    stubber.add_response("get_job", get_job_response(job_id, status), {**BRANCH_PARAMS, "jobId": job_id})


def test_sets_headers_then_deploys_the_bucket_prefix_and_waits_for_success(amplify: Stubbed, release: Release) -> None:
    # Given a branch whose earlier jobs all finished, and a new job that runs for two polls
    client, stubber = amplify
    _expect_headers_and_jobs(stubber, [job_summary("3", "SUCCEED"), job_summary("2", "FAILED")])
    _expect_start(stubber, "4")
    for status in ("PENDING", "RUNNING", "SUCCEED"):
        _expect_status(stubber, "4", status)
    clock = FakeClock()

    # When the release is published
    job_id = publish(client, release, deadline=600, clock=clock.as_clock())

    # Then the new job's id comes back, after two waits between polls and no job stopped
    assert job_id == "4"
    assert clock.sleeps == [POLL_SECONDS, POLL_SECONDS]


def test_a_job_left_pending_is_stopped_before_the_deployment_starts(amplify: Stubbed, release: Release) -> None:
    # Given a job stuck in PENDING (e.g. a console upload that never finished), which blocks StartDeployment
    client, stubber = amplify
    _expect_headers_and_jobs(stubber, [job_summary("7", "PENDING"), job_summary("6", "SUCCEED")])
    stubber.add_response("stop_job", {"jobSummary": job_summary("7", "CANCELLING")}, {**BRANCH_PARAMS, "jobId": "7"})
    _expect_status(stubber, "7", "CANCELLING")
    _expect_status(stubber, "7", "CANCELLED")
    _expect_start(stubber, "8")
    _expect_status(stubber, "8", "SUCCEED")

    # When the release is published
    job_id = publish(client, release, deadline=600, clock=FakeClock().as_clock())

    # Then the stuck job was stopped and awaited first (the Stubber enforces the order), and the new one ran
    assert job_id == "8"


def test_a_job_that_finishes_between_listing_and_stopping_is_not_an_error(amplify: Stubbed, release: Release) -> None:
    # Given a running job that has finished by the time StopJob arrives
    client, stubber = amplify
    _expect_headers_and_jobs(stubber, [job_summary("5", "RUNNING")])
    stubber.add_client_error("stop_job", "BadRequestException", "job is not running", 400)
    _expect_status(stubber, "5", "SUCCEED")
    _expect_start(stubber, "6")
    _expect_status(stubber, "6", "SUCCEED")

    # When / Then the release goes ahead
    assert publish(client, release, deadline=600, clock=FakeClock().as_clock()) == "6"


def test_a_job_amplify_will_not_stop_fails_the_release_at_once_saying_what_to_do(
    amplify: Stubbed, release: Release
) -> None:
    # Given a manual deployment left PENDING that Amplify refuses to stop (it fails by itself only after 8 hours)
    client, stubber = amplify
    _expect_headers_and_jobs(stubber, [job_summary("7", "PENDING")])
    stubber.add_client_error("stop_job", "BadRequestException", "Job 7 cannot be stopped", 400)
    _expect_status(stubber, "7", "PENDING")
    clock = FakeClock()

    # When the release is published
    with pytest.raises(ReleaseFailedError) as failure:
        publish(client, release, deadline=600, clock=clock.as_clock())

    # Then it fails without waiting out the deadline, and nothing is deployed (the Stubber would see a
    # StartDeployment); the message names the job, its status, the command to stop it and where to read more
    assert clock.sleeps == []
    message = str(failure.value)
    assert "job 7 of branch main" in message
    assert "still PENDING" in message
    assert f"aws amplify stop-job --app-id {APP_ID} --branch-name main --job-id 7" in message
    assert "docs/hosting.md" in message


def test_a_job_already_cancelling_when_stop_is_refused_is_awaited(amplify: Stubbed, release: Release) -> None:
    # Given a running job that someone else is already stopping
    client, stubber = amplify
    _expect_headers_and_jobs(stubber, [job_summary("5", "RUNNING")])
    stubber.add_client_error("stop_job", "BadRequestException", "job is being cancelled", 400)
    _expect_status(stubber, "5", "CANCELLING")
    _expect_status(stubber, "5", "CANCELLED")
    _expect_start(stubber, "6")
    _expect_status(stubber, "6", "SUCCEED")

    # When / Then the release waits for it to end, then deploys
    assert publish(client, release, deadline=600, clock=FakeClock().as_clock()) == "6"


def test_a_failed_job_fails_the_release(amplify: Stubbed, release: Release) -> None:
    # Given a deployment job that fails (e.g. Amplify may not read the bucket)
    client, stubber = amplify
    _expect_headers_and_jobs(stubber, [])
    _expect_start(stubber, "1")
    _expect_status(stubber, "1", "FAILED")

    # When / Then the release raises, so CloudFormation fails the update and rolls back
    with pytest.raises(ReleaseFailedError, match="job 1 of branch main ended FAILED"):
        publish(client, release, deadline=600, clock=FakeClock().as_clock())


def test_a_job_still_running_at_the_deadline_fails_the_release_in_time(amplify: Stubbed, release: Release) -> None:
    # Given a job that never finishes, and 12 seconds left
    client, stubber = amplify
    _expect_headers_and_jobs(stubber, [])
    _expect_start(stubber, "1")
    for _ in range(3):
        _expect_status(stubber, "1", "RUNNING")
    clock = FakeClock()

    # When / Then the release gives up before the deadline instead of being killed by Lambda's timeout
    with pytest.raises(ReleaseFailedError, match="still RUNNING"):
        publish(client, release, deadline=12, clock=clock.as_clock())
    assert clock.time <= 12


def test_other_errors_from_stop_job_propagate(amplify: Stubbed, release: Release) -> None:
    # Given StopJob refused for lack of permission
    client, stubber = amplify
    _expect_headers_and_jobs(stubber, [job_summary("5", "PENDING")])
    stubber.add_client_error("stop_job", "UnauthorizedException", "not allowed", 401)

    # When / Then the error surfaces instead of a deployment that would fail anyway
    with pytest.raises(Exception, match="UnauthorizedException"):
        publish(client, release, deadline=600, clock=FakeClock().as_clock())
