"""Checks of what may exist in the account already and must then be adopted, not created again: GitHub's OIDC
provider (one per account) and the visits table: the one existing_visits_table_name names, else one retained from a
deleted stack."""

from __future__ import annotations

from typing import Any, Final

from functions.common.catalog import VISITS_PARTITION_KEY
from infra.deploy_role import EXISTING_PROVIDER_CONTEXT_KEY, GITHUB_OIDC_ISSUER, deploy_role_stack_name
from tools.preflight.core import Check, Context, Result, Status, unless_missing

TABLE_LOGICAL_ID_PREFIX: Final = "VisitsTable"
"""How the visits table's logical id begins (infra/stack.py's construct ids; tests/infra/test_counter_stack.py
holds the two together)."""


def check_github_oidc(context: Context) -> Result:
    config = context.config
    stack = deploy_role_stack_name(config)
    providers = context.client("iam").list_open_id_connect_providers()["OpenIDConnectProviderList"]
    github = [p["Arn"] for p in providers if p["Arn"].endswith(f":oidc-provider/{GITHUB_OIDC_ISSUER}")]
    if not github:
        return Result(Status.PASS, f"none in the account: the deploy-role stack {stack} creates GitHub's")
    arn = github[0]
    # The deploy-role stack, once deployed, either owns the provider or was deployed with it passed in.
    if context.stack(stack) is not None:
        return Result(Status.PASS, f"{arn} exists; the deploy-role stack {stack} uses it")
    return Result(
        Status.WARN,
        f"GitHub's OIDC provider {arn} exists already: the deploy-role stack {stack} cannot create a second one",
        # The deploy-role deploy of docs/deploy.md, with the existing provider passed in.
        f"npm run cdk:deploy-role -- deploy -c config.account={config.account} -c config.region={config.region} "
        f"-c {EXISTING_PROVIDER_CONTEXT_KEY}={arn}",
        "an account holds one provider per URL; the deploy-role stack then reuses this one (docs/deploy.md)",
    )


def _key_of(table: dict[str, Any]) -> list[tuple[str, str, str]]:
    types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])}
    return [(k["AttributeName"], k["KeyType"], types.get(k["AttributeName"], "?")) for k in table["KeySchema"]]


def _retained_tables(context: Context) -> list[str]:
    """Tables named as CloudFormation names the stack's own (`<stack>-<logical id>-<suffix>`), newest first."""
    client = context.client("dynamodb")
    prefix = f"{context.config.stack_name}-{TABLE_LOGICAL_ID_PREFIX}"
    names = [n for page in client.get_paginator("list_tables").paginate() for n in page["TableNames"]]
    tables = [client.describe_table(TableName=n)["Table"] for n in names if n.startswith(prefix)]
    return [t["TableName"] for t in sorted(tables, key=lambda t: t["CreationDateTime"], reverse=True)]


def check_visits_table(context: Context) -> Result:
    config = context.config
    name, region = config.existing_visits_table_name, config.region
    if name is None:
        stack = context.stack(config.stack_name)
        # A deployed stack has its own table; a new one (or one created anew) would start the count at 0.
        if stack is not None and stack["StackStatus"] not in ("REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE"):
            return Result(Status.PASS, "the stack's own table (existing_visits_table_name is null)")
        retained = _retained_tables(context)
        if not retained:
            return Result(
                Status.PASS, f"the stack creates the table (none retained from an earlier {config.stack_name})"
            )
        return Result(
            Status.WARN,
            "a visits table retained from a deleted stack exists: the deploy would create a new one, counting from 0",
            f'set "existing_visits_table_name": "{retained[0]}" in cdk.json to keep its count',
            f"retained, newest first: {', '.join(retained)}",
        )
    found = unless_missing(
        lambda: context.client("dynamodb").describe_table(TableName=name), "ResourceNotFoundException"
    )
    if found is None:
        return Result(
            Status.FAIL,
            f"existing_visits_table_name is {name}, but there is no such table in {region}",
            f"aws dynamodb list-tables --region {region}   # then set existing_visits_table_name to one, or to null",
        )
    key = _key_of(found["Table"])
    if key != [(VISITS_PARTITION_KEY, "HASH", "S")]:
        return Result(
            Status.FAIL,
            f"{name}'s key is {', '.join(f'{n} ({kind}, {t})' for n, kind, t in key)}; the counter needs exactly "
            f"the partition key {VISITS_PARTITION_KEY} of type S",
            'set "existing_visits_table_name": null in cdk.json (the stack creates a table)',
        )
    return Result(Status.PASS, f"{name} exists with partition key {VISITS_PARTITION_KEY} (S): the stack adopts it")


CHECKS: Final = (
    Check(
        "GitHub OIDC provider", check_github_oidc, ("iam:ListOpenIDConnectProviders", "cloudformation:DescribeStacks")
    ),
    Check(
        "visits table",
        check_visits_table,
        ("dynamodb:DescribeTable", "dynamodb:ListTables", "cloudformation:DescribeStacks"),
    ),
)
