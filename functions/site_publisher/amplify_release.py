"""Publishing one version of the site to an Amplify Hosting branch that has no Git repository: stop the branch's
unfinished jobs (each blocks StartDeployment), start the deployment, wait for it (docs/hosting.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from botocore.exceptions import ClientError

logger = logging.getLogger(__name__)

SUCCEEDED: Final = "SUCCEED"
FINISHED: Final = frozenset({SUCCEEDED, "FAILED", "CANCELLED"})
"""Every other JobStatus blocks a new deployment; all but CANCELLING can be stopped."""
STOPPABLE: Final = frozenset({"CREATED", "PENDING", "PROVISIONING", "RUNNING"})
RECENT_JOBS: Final = 20
"""Unfinished jobs are the newest ones; ListJobs answers newest first."""
POLL_SECONDS: Final = 5.0


class ReleaseFailedError(RuntimeError):
    """The deployment job ended without succeeding or in time, or an unfinished job Amplify will not stop blocks it."""


@dataclass(frozen=True)
class Release:
    app_id: str
    branch_name: str
    source_url: str
    """`s3://bucket/prefix/`: Amplify copies every object under the prefix (sourceUrlType BUCKET_PREFIX)."""
    custom_headers: str
    """Amplify's custom header YAML, set right before the deployment that applies it."""


@dataclass(frozen=True)
class Clock:
    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


def publish(client: Any, release: Release, *, deadline: float, clock: Clock | None = None) -> str:
    """Deploys the release and returns its job's id. A job still running at `deadline` (a `clock.now()` value)
    raises ReleaseFailedError; it is left running, and the next publish stops it."""
    clock = clock or Clock()
    branch = {"appId": release.app_id, "branchName": release.branch_name}
    client.update_app(appId=release.app_id, customHeaders=release.custom_headers)
    _stop_unfinished_jobs(client, branch, deadline=deadline, clock=clock)
    started = client.start_deployment(**branch, sourceUrl=release.source_url, sourceUrlType="BUCKET_PREFIX")
    job_id: str = started["jobSummary"]["jobId"]
    logger.info("deployment started", extra={"job_id": job_id, "source_url": release.source_url})
    status = _wait_until_finished(client, branch, job_id, deadline=deadline, clock=clock)
    if status != SUCCEEDED:
        raise ReleaseFailedError(f"Amplify job {job_id} of branch {release.branch_name} ended {status}")
    logger.info("deployment succeeded", extra={"job_id": job_id})
    return job_id


def _stop_unfinished_jobs(client: Any, branch: dict[str, str], *, deadline: float, clock: Clock) -> None:
    jobs = client.list_jobs(**branch, maxResults=RECENT_JOBS)["jobSummaries"]
    stopping: list[str] = []
    for job in jobs:
        job_id, status = job["jobId"], job["status"]
        if status in STOPPABLE:
            status = _stop(client, branch, job_id, status)
        if status not in FINISHED:
            stopping.append(job_id)
    for job_id in stopping:
        _wait_until_finished(client, branch, job_id, deadline=deadline, clock=clock)


def _stop(client: Any, branch: dict[str, str], job_id: str, status: str) -> str:
    """Asks Amplify to stop the job; returns its status afterwards. Raises ReleaseFailedError if it refuses
    and the job still blocks the branch."""
    logger.warning("stopping unfinished job", extra={"job_id": job_id, "status": status})
    try:
        stopped: str = client.stop_job(**branch, jobId=job_id)["jobSummary"]["status"]
        return stopped
    except ClientError as error:
        if error.response["Error"]["Code"] != "BadRequestException":
            raise
        refusal = error.response["Error"].get("Message") or "BadRequestException"
    # The job may have finished between ListJobs and StopJob (the refusal is harmless), or Amplify will not stop
    # it at all (a manual deployment left PENDING): waiting would only fail at the deadline, ~10 minutes later.
    status = _status(client, branch, job_id)
    if status in STOPPABLE:
        raise ReleaseFailedError(
            f"Amplify refused to stop job {job_id} of branch {branch['branchName']} ({refusal}); it is still "
            f"{status} and blocks every deployment of the branch. Stop it in the Amplify console or with "
            f"`aws amplify stop-job --app-id {branch['appId']} --branch-name {branch['branchName']} "
            f"--job-id {job_id}`; if Amplify refuses again, deploy once the job has failed by itself (a manual "
            f"deployment left PENDING fails 8 hours after it was created). See docs/hosting.md, "
            f"'Failure modes and what to do'."
        )
    return status


def _status(client: Any, branch: dict[str, str], job_id: str) -> str:
    status: str = client.get_job(**branch, jobId=job_id)["job"]["summary"]["status"]
    return status


def _wait_until_finished(client: Any, branch: dict[str, str], job_id: str, *, deadline: float, clock: Clock) -> str:
    while True:
        status = _status(client, branch, job_id)
        if status in FINISHED:
            return status
        if clock.now() + POLL_SECONDS > deadline:
            raise ReleaseFailedError(f"Amplify job {job_id} is still {status}; gave up waiting")
        clock.sleep(POLL_SECONDS)
