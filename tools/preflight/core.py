"""What `make preflight` and `make verify` share: a check's result and its line, the one way a check that could not
run becomes a failure, the AWS client factory, and the report with its exit status."""

from __future__ import annotations

import dataclasses
import enum
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import boto3
from aws_cdk import DefaultStackSynthesizer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from infra.config import DeploymentConfig
from infra.deploy_role import BOOTSTRAP_QUALIFIER_CONTEXT_KEY

# Error codes AWS answers a call the credentials may not make with (IAM, EC2-style, STS, SNS-style).
DENIED_CODES: Final = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "Forbidden"}
)
# Few retries and short timeouts: a check that cannot reach AWS says so in seconds, not minutes.
CLIENT_CONFIG: Final = Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 3, "mode": "standard"})


class Status(enum.Enum):
    PASS = "PASS"  # noqa: S105 - a mark, not a password
    WARN = "WARN"
    FAIL = "FAIL"
    SKIP = "SKIP"
    """Means nothing where it ran (verify against the local system)."""


@dataclass(frozen=True)
class Result:
    """A check's line: its mark, what it found and, unless it passed, the fix (a command or a console step)."""

    status: Status
    message: str = ""
    fix: str = ""
    note: str = ""
    details: tuple[str, ...] = ()
    """One line each, below the result's line (e.g. every alarm still waiting)."""
    title: str = ""


class Clients:
    """The one place AWS clients are made: boto3's usual credential chain and AWS_ENDPOINT_URL apply.
    Tests pass `overrides` ((service, region) → client, e.g. a Stubber's) for calls moto lacks."""

    def __init__(
        self,
        session: boto3.Session | None = None,
        overrides: Mapping[tuple[str, str], Any] | None = None,
    ) -> None:
        self._session = session or boto3.Session()
        self._made: dict[tuple[str, str], Any] = dict(overrides or {})

    def __call__(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._made:
            self._made[key] = self._session.client(service, region_name=region, config=CLIENT_CONFIG)  # type: ignore[call-overload]
        return self._made[key]

    def through_lookup_role(self, config: DeploymentConfig, cdk_context: Mapping[str, Any]) -> Clients:
        """Clients with the credentials of the CDK bootstrap lookup role (AWS's ReadOnlyAccess), as `cdk bootstrap`
        names it: CI's deploy role may assume it, and read nothing itself (infra/deploy_role.py)."""
        qualifier = cdk_context.get(BOOTSTRAP_QUALIFIER_CONTEXT_KEY) or DefaultStackSynthesizer.DEFAULT_QUALIFIER
        role_arn = (
            DefaultStackSynthesizer.DEFAULT_LOOKUP_ROLE_ARN.replace("${AWS::Partition}", "aws")
            .replace("${AWS::AccountId}", config.account)
            .replace("${AWS::Region}", config.region)
            .replace("${Qualifier}", str(qualifier))
        )
        answer = self("sts", config.region).assume_role(RoleArn=role_arn, RoleSessionName="preflight")
        credentials = answer["Credentials"]
        session = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=self._session.region_name,
        )
        return Clients(session)


@dataclass
class Context:
    config: DeploymentConfig
    clients: Clients
    _stacks: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    _resources: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def client(self, service: str, region: str | None = None) -> Any:
        return self.clients(service, region or self.config.region)

    def stack(self, name: str) -> dict[str, Any] | None:
        """The stack's description in the deploy region, or None when there is no such stack."""
        if name not in self._stacks:
            try:
                self._stacks[name] = self.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
            except ClientError as error:
                if not (error_code(error) == "ValidationError" and "does not exist" in str(error)):
                    raise
                self._stacks[name] = None
        return self._stacks[name]

    def stack_resources(self, name: str) -> list[dict[str, Any]]:
        """The stack's resources (empty when the stack does not exist)."""
        if name not in self._resources:
            found: list[dict[str, Any]] = []
            if self.stack(name) is not None:
                pages = self.client("cloudformation").get_paginator("list_stack_resources").paginate(StackName=name)
                found = [summary for page in pages for summary in page["StackResourceSummaries"]]
            self._resources[name] = found
        return self._resources[name]


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


Answer = TypeVar("Answer")


def unless_missing(call: Callable[[], Answer], *codes: str) -> Answer | None:
    """The call's answer, or None when AWS answers one of `codes`: what was asked for does not exist."""
    try:
        return call()
    except ClientError as error:
        if error_code(error) not in codes:
            raise
        return None


@dataclass(frozen=True)
class Check:
    """One line of the preflight; `permissions` are the IAM actions its calls need."""

    title: str
    run: Callable[[Context], Result]
    permissions: tuple[str, ...] = ()


def could_not_run(error: Exception, permissions: Sequence[str] = (), fix: str | None = None) -> Result:
    """A check that could not run fails, never passes blind: a refused call names its IAM action (from
    `permissions`, else the operation), any other error (AWS unreachable included) itself."""
    if isinstance(error, ClientError) and error_code(error) in DENIED_CODES:
        operation = error.operation_name
        action = next((a for a in permissions if a.split(":", 1)[1] == operation), operation)
        return Result(
            Status.FAIL,
            f"not checked: these credentials may not call {action}",
            fix or f"grant {action}, or run `make preflight` with credentials that have it",
        )
    return Result(
        Status.FAIL,
        f"not checked: {error_summary(error)}",
        fix
        or "run `make preflight` again; if it persists, see the error (AWS unreachable: the network, AWS_ENDPOINT_URL)",
    )


def run_check(check: Check, context: Context) -> Result:
    """Runs one check; an AWS error fails only its own line, so the others still run."""
    try:
        return dataclasses.replace(check.run(context), title=check.title)
    except (ClientError, BotoCoreError) as error:
        return dataclasses.replace(could_not_run(error, check.permissions), title=check.title)


def error_summary(error: Exception, limit: int = 200) -> str:
    """One line for an error: `Operation: Code: message` for AWS's answers, else the exception's type and text."""
    if isinstance(error, ClientError):
        message = " ".join(str(error.response.get("Error", {}).get("Message", "")).split())
        text = f"{error.operation_name}: {error_code(error)}: {message}"
    else:
        text = f"{type(error).__name__}: {error}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_result(result: Result) -> str:
    head = f"{result.status.value}  {result.title}"
    lines = [f"{head}: {result.message}" if result.message else head]
    lines += [f"      - {detail}" for detail in result.details]
    lines += [
        f"      fix: {line}" if i == 0 else f"           {line}" for i, line in enumerate(result.fix.splitlines())
    ]
    lines += [f"      note: {line}" for line in result.note.splitlines()]
    return "\n".join(lines)


def report(verb: str, results: Iterable[Result], out: Callable[[str], None] = print) -> list[Result]:
    """Prints each result as it comes, then `VERB: N failed, [N warning(s), ]N passed[, N not checkable here]`."""
    reported = []
    for result in results:
        out(format_result(result))
        reported.append(result)
    counts = Counter(result.status for result in reported)
    parts = [f"{counts[Status.FAIL]} failed"]
    if counts[Status.WARN]:
        parts.append(f"{counts[Status.WARN]} warning(s)")
    parts.append(f"{counts[Status.PASS]} passed")
    if counts[Status.SKIP]:
        parts.append(f"{counts[Status.SKIP]} not checkable here")
    out(f"\n{verb}: {', '.join(parts)}")
    return reported


def exit_status(results: Iterable[Result]) -> int:
    """1 when a check failed, else 0."""
    return 1 if any(result.status is Status.FAIL for result in results) else 0
