"""The preflight's checks in order, the lookup role, and the run: one line per check, exit 1 when one failed."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from aws_cdk import DefaultStackSynthesizer
from botocore.exceptions import ClientError

from infra.config import DeploymentConfig
from infra.deploy_role import BOOTSTRAP_QUALIFIER_CONTEXT_KEY
from tools.preflight import account, existing, placeholders, resources, ses
from tools.preflight.account import requirement_from_assembly
from tools.preflight.core import (
    DENIED_CODES,
    BootstrapRequirement,
    Check,
    Context,
    Finding,
    Outcome,
    Result,
    Status,
    error_code,
    exit_status,
    report,
    run_check,
)

CHECKS: Final[tuple[Check, ...]] = (
    *placeholders.CHECKS,
    *account.CHECKS,
    *resources.CHECKS,
    *ses.CHECKS,
    *existing.CHECKS,
)
CREDENTIALS: Final = account.CHECKS[0]
"""The gate: the other AWS checks say nothing true with credentials of another account, none, or no AWS."""


def with_lookup_role(checks: Sequence[Check], qualifier: str) -> list[Check]:
    """The checks with the lookup role's right after the credentials: the checks after it read through it."""
    position = list(checks).index(CREDENTIALS) + 1
    return [*checks[:position], lookup_role_check(qualifier), *checks[position:]]


LOOKUP_ROLE_OK = Finding(Status.PASS, "reading through {role}")
LOOKUP_ROLE_REFUSED = Finding(
    Status.FAIL,
    "cannot assume the CDK bootstrap lookup role {role} ({error}): no bootstrap with qualifier {qualifier}?",
    "npx cdk bootstrap aws://{account}/{region}",
    "the other checks read with the job's own credentials (their refused calls are warnings)",
)


def lookup_role_arn(config: DeploymentConfig, qualifier: str, partition: str = "aws") -> str:
    """The bootstrap lookup role (AWS's ReadOnlyAccess), as `cdk bootstrap` names it; the deploy role may assume it."""
    return (
        DefaultStackSynthesizer.DEFAULT_LOOKUP_ROLE_ARN.replace("${AWS::Partition}", partition)
        .replace("${AWS::AccountId}", config.account)
        .replace("${AWS::Region}", config.region)
        .replace("${Qualifier}", qualifier)
    )


def lookup_role_check(qualifier: str) -> Check:
    """A check that switches the context to the lookup role's credentials (CI: the deploy role may read nothing)."""

    def assume(context: Context) -> Outcome:
        config = context.config
        role = lookup_role_arn(config, qualifier)
        values = {"role": role, "qualifier": qualifier, "account": config.account, "region": config.region}
        try:
            context.clients = context.clients.assuming(role, config.region)
        except ClientError as error:
            if error_code(error) not in DENIED_CODES | {"NoSuchEntity"}:
                raise
            return LOOKUP_ROLE_REFUSED(error=error_code(error), **values)
        return LOOKUP_ROLE_OK(**values)

    return Check(
        "lookup role",
        "(--lookup-role) the CDK bootstrap lookup role can be assumed; the checks after it read through it",
        assume,
        (LOOKUP_ROLE_OK, LOOKUP_ROLE_REFUSED),
        ("sts:AssumeRole",),
    )


def qualifier_of(context: Mapping[str, Any]) -> str:
    return str(context.get(BOOTSTRAP_QUALIFIER_CONTEXT_KEY) or DefaultStackSynthesizer.DEFAULT_QUALIFIER)


def synthesized_requirement(cdk_context: Mapping[str, Any]) -> Callable[[], BootstrapRequirement]:
    """Synthesizes the app (a few seconds, offline) into a temporary folder and reads what its assembly requires:
    always the current code and config, unlike a cdk.out left from an earlier synth."""

    def synthesize() -> BootstrapRequirement:
        from infra.app import build_app

        with tempfile.TemporaryDirectory(prefix="preflight-cdk.out-") as outdir:
            app, _ = build_app(outdir=outdir, context=cdk_context)
            app.synth()
            return requirement_from_assembly(Path(outdir))

    return synthesize


def run(context: Context, checks: Sequence[Check] = CHECKS, out: Callable[[str], None] = print) -> int:
    """Runs every check, printing each line as it is known; 1 when any check failed, else 0."""

    def results() -> Iterator[Result]:
        for check in checks:
            result = run_check(check, context)
            yield result
            if check is CREDENTIALS and result.status is Status.FAIL:
                out("      (the other checks need credentials of config.account: fix this one first)")
                return

    return exit_status(report("preflight", results(), out))
