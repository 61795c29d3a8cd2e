"""The preflight's parts: findings (message and fix templates), checks, the AWS client factory and the runner.

A check returns one `Outcome`, made from one of the `Finding`s it declares; docs/deploy.md's table is rendered
from the same findings (tools/preflight/docs.py), so what the docs say a failure means is what the check prints.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from infra.config import ConfigError, DeploymentConfig

# Error codes AWS answers a call the credentials may not make with (IAM, EC2-style, STS, SNS-style).
DENIED_CODES: Final = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "Forbidden"}
)
# Few retries and short timeouts: a check that cannot reach AWS says so in seconds, not minutes.
CLIENT_CONFIG: Final = Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 3, "mode": "standard"})


def context_values(pairs: Sequence[str]) -> dict[str, str]:
    """`-c KEY=VALUE` flags, as cdk takes them."""
    values: dict[str, str] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise ConfigError(f"-c {pair!r}: expected KEY=VALUE")
        values[key] = value
    return values


class Status(enum.Enum):
    PASS = "PASS"  # noqa: S105 - a mark, not a password
    WARN = "WARN"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Outcome:
    status: Status
    message: str
    fix: str = ""
    """A command to run (or a console step); empty for a pass."""
    note: str = ""


@dataclass(frozen=True)
class Finding:
    """One thing a check can find. `message`, `fix` and `note` are str.format templates of named values
    (`{region}`); the docs show each value's name in capitals (REGION)."""

    status: Status
    message: str
    fix: str = ""
    note: str = ""

    def __call__(self, *, fix: str | None = None, **values: Any) -> Outcome:
        """The outcome with these values; `fix` replaces the fix template (e.g. one command per address)."""
        return Outcome(
            self.status,
            self.message.format(**values),
            self.fix.format(**values) if fix is None else fix,
            self.note.format(**values),
        )


@dataclass(frozen=True)
class Result:
    """A check's line: its title and what it found."""

    title: str
    outcome: Outcome

    @property
    def status(self) -> Status:
        return self.outcome.status


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

    @property
    def session_region(self) -> str | None:
        return self._session.region_name

    def __call__(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._made:
            self._made[key] = self._session.client(service, region_name=region, config=CLIENT_CONFIG)  # type: ignore[call-overload]
        return self._made[key]

    def assuming(self, role_arn: str, region: str) -> Clients:
        """Clients with the credentials of an assumed role (e.g. the CDK bootstrap lookup role)."""
        answer = self("sts", region).assume_role(RoleArn=role_arn, RoleSessionName="preflight")
        credentials = answer["Credentials"]
        session = boto3.Session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=self._session.region_name,
        )
        return Clients(session)


@dataclass(frozen=True)
class BootstrapRequirement:
    """What the cloud assembly asks of the bootstrap stack."""

    version: int
    ssm_parameter: str


@dataclass
class Context:
    config: DeploymentConfig
    clients: Clients
    bootstrap_requirement: Callable[[], BootstrapRequirement]
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
                if not _is_missing_stack(error):
                    raise
                self._stacks[name] = None
        return self._stacks[name]

    def stack_resources(self, name: str) -> list[dict[str, Any]]:
        """The stack's resources (empty when the stack does not exist)."""
        if name not in self._resources:
            found: list[dict[str, Any]] = []
            arguments = {"StackName": name}
            while self.stack(name) is not None:
                page = self.client("cloudformation").list_stack_resources(**arguments)
                found += page["StackResourceSummaries"]
                if not page.get("NextToken"):
                    break
                arguments["NextToken"] = page["NextToken"]
            self._resources[name] = found
        return self._resources[name]


def _is_missing_stack(error: ClientError) -> bool:
    return error.response["Error"]["Code"] == "ValidationError" and "does not exist" in str(error)


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
    """One line of the preflight. `permissions` are the IAM actions its calls need; `findings` what it can say.
    A check that could not run (a refused call, AWS unreachable) fails, unless it is `optional`: the deploy
    succeeds whatever it would have found, so it only warns (docs/deploy.md marks it)."""

    title: str
    checks: str
    run: Callable[[Context], Outcome]
    findings: tuple[Finding, ...]
    permissions: tuple[str, ...] = ()
    optional: bool = False

    def denied_action(self, operation: str) -> str:
        """The IAM action of a refused call, e.g. `lambda:GetAccountSettings` for GetAccountSettings."""
        for action in self.permissions:
            if action.split(":", 1)[1] == operation:
                return action
        return operation


# A check that could not run says nothing about the deploy: it fails (an optional check warns, run_check).
DENIED: Final = Finding(
    Status.FAIL,
    "not checked: these credentials may not call {action}",
    "grant {action}, or run `make preflight` with credentials that have it",
)
UNEXPECTED: Final = Finding(
    Status.FAIL,
    "not checked: {error}",
    "run `make preflight` again; if it persists, see the error (AWS unreachable: the network, AWS_ENDPOINT_URL)",
)


def run_check(check: Check, context: Context) -> Result:
    """Runs one check; a refused call becomes a failure naming the permission, any other AWS error (AWS
    unreachable included) a failure naming the error — a warning for an optional check — so one broken check
    never stops the others and never passes blind."""
    try:
        outcome = check.run(context)
    except ClientError as error:
        if error_code(error) in DENIED_CODES:
            outcome = DENIED(action=check.denied_action(error.operation_name))
        else:
            outcome = UNEXPECTED(error=error_summary(error))
    except BotoCoreError as error:
        outcome = UNEXPECTED(error=error_summary(error))
    else:
        return Result(check.title, outcome)
    if check.optional:
        outcome = dataclasses.replace(outcome, status=Status.WARN)
    return Result(check.title, outcome)


def error_summary(error: Exception, limit: int = 200) -> str:
    """One line for an error: `Operation: Code: message` for AWS's answers, else the exception's type and text."""
    if isinstance(error, ClientError):
        message = " ".join(str(error.response.get("Error", {}).get("Message", "")).split())
        text = f"{error.operation_name}: {error_code(error)}: {message}"
    else:
        text = f"{type(error).__name__}: {error}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_result(result: Result) -> str:
    outcome = result.outcome
    lines = [f"{outcome.status.value}  {result.title}: {outcome.message}"]
    lines += [
        f"      fix: {line}" if i == 0 else f"           {line}" for i, line in enumerate(outcome.fix.splitlines())
    ]
    lines += [f"      note: {line}" for line in outcome.note.splitlines()]
    return "\n".join(lines)
