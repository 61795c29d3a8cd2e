"""How this project's Lambdas are built, said once (docs/architecture.md, "One Lambda factory")."""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, Final

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.config import REPO_ROOT
from infra.config_values import LOG_RETENTION_NAMES
from infra.nag import arn_of, suppress, suppress_finding
from infra.stateful import STATEFUL_REMOVAL_POLICY

PYTHON_VERSION: Final = "3.13"
RUNTIME: Final = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE: Final = lambda_.Architecture.ARM_64

# Bytecode a run left in a staged asset (`make bench` imports one) is never packed, so one commit always synthesizes
# the same asset hashes. NOTE: `exclude` applies to the asset's fingerprint as well as its content.
# https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.FileFingerprintOptions.html
BYTECODE_EXCLUDES: Final = ["**/__pycache__", "**/*.pyc"]
STAGED_ASSETS_DIR: Final = REPO_ROOT / "build" / "lambda-assets"  # not committed: one folder per content hash


POWERTOOLS_VERSION: Final = importlib.metadata.version("aws-lambda-powertools")  # the one the tests run against
# AWS publishes each release's layer ARN as a public SSM parameter; CloudFormation resolves it at deploy time, so
# synth stays offline. https://docs.powertools.aws.dev/lambda/python/latest/#lambda-layer
POWERTOOLS_LAYER_PARAMETER: Final = (
    f"/aws/service/powertools/python/{ARCHITECTURE.name}/python{PYTHON_VERSION}/{POWERTOOLS_VERSION}"
)


class PythonFunction(Construct):
    """A Python Lambda with this project's defaults. Exposes `function`, `log_group` and `role`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: str,
        description: str,
        memory_mb: int,
        timeout: Duration,
        log_retention_days: int,
        environment: Mapping[str, str] | None = None,
        reserved_concurrency: int | None = None,
        generated_files: Mapping[str, bytes] | None = None,
        tracing: lambda_.Tracing = lambda_.Tracing.ACTIVE,
        platform_logs: bool = True,
    ) -> None:
        """`generated_files`: asset path → content made at synth; `platform_logs`: False drops Lambda's start and
        report lines."""
        super().__init__(scope, construct_id)
        # One template parameter per stack, however many functions read it.
        powertools_layer_arn = ssm.StringParameter.value_for_string_parameter(self, POWERTOOLS_LAYER_PARAMETER)
        self.role, self.log_group = role_writing_own_logs(
            self,
            role_id="Role",
            log_group_id="Logs",
            description=f"{description}: writes its own logs; other grants are added per resource",
            log_retention_days=log_retention_days,
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler,
            code=lambda_.Code.from_asset(
                str(staged_asset(tuple(sorted((generated_files or {}).items())))),
                exclude=BYTECODE_EXCLUDES,
            ),
            layers=[lambda_.LayerVersion.from_layer_version_arn(self, "PowertoolsLayer", powertools_layer_arn)],
            memory_size=memory_mb,
            timeout=timeout,
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            # NOTE: WARN drops Lambda's "start" and "report" lines of every invocation (needs the JSON log format).
            # https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html
            system_log_level_v2=lambda_.SystemLogLevel.INFO if platform_logs else lambda_.SystemLogLevel.WARN,
            tracing=tracing,
            reserved_concurrent_executions=reserved_concurrency,
            environment=dict(environment or {}),
        )
        if tracing is not lambda_.Tracing.DISABLED:
            suppress(self.role, "AwsSolutions-IAM5[Resource::*]")
        suppress(self.function, "AwsSolutions-L1")

    def allow(
        self, actions: Sequence[str], resources: Sequence[str], conditions: Mapping[str, Any] | None = None
    ) -> None:
        """Lets the function call `actions` on `resources` and nothing else (one statement on its role)."""
        statement = iam.PolicyStatement(actions=list(actions), resources=list(resources), conditions=conditions)
        self.role.add_to_policy(statement)

    def add_environment(self, variables: Mapping[str, str]) -> None:
        for name, value in variables.items():
            self.function.add_environment(name, value)


@cache
def staged_asset(generated: tuple[tuple[str, bytes], ...] = ()) -> Path:
    """functions/ (at the asset's root, so a handler's module path on Lambda is the one tests import) and the
    `generated` files, in a folder named by its content: offline, deterministic (same inputs → same asset hash)."""
    contents = {rel: source.read_bytes() for rel, source in _function_files().items()} | dict(generated)
    target = STAGED_ASSETS_DIR / content_digest(contents)
    if target.is_dir():
        return target
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    for rel, content in contents.items():
        (partial / rel).parent.mkdir(parents=True, exist_ok=True)
        (partial / rel).write_bytes(content)
    try:
        partial.rename(target)
    except OSError:  # another synth staged the same content first
        shutil.rmtree(partial)
    return target


def content_digest(files: Mapping[str, bytes]) -> str:
    """16 hex characters of a SHA-256 over every file's path and bytes: names this version of them."""
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(rel.encode() + b"\0" + files[rel] + b"\0")
    return digest.hexdigest()[:16]


def _function_files() -> dict[str, Path]:
    root = REPO_ROOT / "functions"
    return {
        path.relative_to(REPO_ROOT).as_posix(): path
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def role_writing_own_logs(
    scope: Construct, *, role_id: str, log_group_id: str, description: str, log_retention_days: int
) -> tuple[iam.Role, logs.LogGroup]:
    """A Lambda execution role that may write only to its own retained log group: instead of
    AWSLambdaBasicExecutionRole, whose logs:* grant covers every log group in the account."""
    log_group = logs.LogGroup(
        scope, log_group_id, retention=log_retention(log_retention_days), removal_policy=STATEFUL_REMOVAL_POLICY
    )
    role = iam.Role(scope, role_id, assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), description=description)
    log_group.grant_write(role)  # logs:CreateLogStream and logs:PutLogEvents on this group
    return role, log_group


def log_retention(days: int) -> logs.RetentionDays:
    return logs.RetentionDays[LOG_RETENTION_NAMES[days]]


def scheduler_role(scope: Construct, target: PythonFunction, description: str | None = None) -> iam.Role:
    """A role for one schedule (not CDK's stack-wide singleton), which LambdaInvoke lets invoke `target` and its
    versions. Trusted by this account's schedules only, as AWS recommends against the confused deputy.
    https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html
    NOTE: Scheduler invokes a Lambda target asynchronously, so a failure inside it is Lambda's to retry.
    https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html"""
    principal = iam.ServicePrincipal(
        "scheduler.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Stack.of(scope).account}}
    )
    role = iam.Role(scope, "SchedulerRole", description=description, assumed_by=principal)
    suppress_finding(role, f"AwsSolutions-IAM5[Resource::{arn_of(target.function)}:*]", "invoke-versions")
    return role
