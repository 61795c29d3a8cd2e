"""Checks of what may exist in the account already and must then be adopted, not created again: GitHub's OIDC
provider (one per account) and a visits table retained from an earlier stack."""

from __future__ import annotations

from typing import Any, Final

from functions.common.catalog import VISITS_PARTITION_KEY
from infra.deploy_role import EXISTING_PROVIDER_CONTEXT_KEY, GITHUB_OIDC_ISSUER, deploy_role_stack_name
from tools.preflight.core import Check, Context, Finding, Outcome, Status, unless_missing

OIDC_RESOURCE_TYPE: Final = "AWS::IAM::OIDCProvider"
# The deploy-role deploy of docs/deploy.md, with the existing provider passed in.
DEPLOY_ROLE_COMMAND: Final = "npm run cdk:deploy-role -- deploy -c config.account={account} -c config.region={region}"

OIDC_NONE = Finding(Status.PASS, "none in the account: the deploy-role stack {stack} creates GitHub's")
OIDC_OURS = Finding(Status.PASS, "{arn} belongs to the deploy-role stack {stack}")
OIDC_ADOPTED = Finding(Status.PASS, "{arn} exists; the deploy-role stack {stack} uses it (it owns no provider)")
OIDC_FOREIGN = Finding(
    Status.WARN,
    "GitHub's OIDC provider {arn} exists already: the deploy-role stack {stack} cannot create a second one",
    DEPLOY_ROLE_COMMAND + " -c " + EXISTING_PROVIDER_CONTEXT_KEY + "={arn}",
    "an account holds one provider per URL; the deploy-role stack then reuses this one (docs/deploy.md)",
)


def check_github_oidc(context: Context) -> Outcome:
    config = context.config
    stack = deploy_role_stack_name(config)
    values = {"stack": stack, "account": config.account, "region": config.region}
    providers = context.client("iam").list_open_id_connect_providers()["OpenIDConnectProviderList"]
    github = [p["Arn"] for p in providers if p["Arn"].endswith(f":oidc-provider/{GITHUB_OIDC_ISSUER}")]
    if not github:
        return OIDC_NONE(**values)
    arn = github[0]
    owned = [r for r in context.stack_resources(stack) if r["ResourceType"] == OIDC_RESOURCE_TYPE]
    if any(resource.get("PhysicalResourceId") == arn for resource in owned):
        return OIDC_OURS(arn=arn, **values)
    if context.stack(stack) is not None and not owned:
        return OIDC_ADOPTED(arn=arn, **values)
    return OIDC_FOREIGN(arn=arn, **values)


TABLE_ADOPTED = Finding(Status.PASS, "{table} exists with partition key {key} (S): the stack adopts it")
TABLE_MISSING = Finding(
    Status.FAIL,
    "existing_visits_table_name is {table}, but there is no such table in {region}",
    "aws dynamodb list-tables --region {region}   # then set existing_visits_table_name to one, or to null",
)
TABLE_WRONG_KEY = Finding(
    Status.FAIL,
    "{table}'s key is {found}; the counter needs exactly the partition key {key} of type S",
    'set "existing_visits_table_name": null in cdk.json (the stack creates a table)',
)
TABLE_OWN = Finding(Status.PASS, "the stack's own table (existing_visits_table_name is null)")
TABLE_NONE_RETAINED = Finding(Status.PASS, "the stack creates the table (none retained from an earlier {stack})")
TABLE_RETAINED = Finding(
    Status.WARN,
    "a visits table retained from a deleted stack exists: set existing_visits_table_name to {table} to keep its count",
    'set "existing_visits_table_name": "{table}" in cdk.json',
    "otherwise the deploy creates a new, empty table; retained: {tables}",
)
# The stack is created anew in these states (absent, a failed first create, a never-executed change set).
_CREATED_ANEW: Final = frozenset({"ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS"})


def _key_of(table: dict[str, Any]) -> list[tuple[str, str, str]]:
    types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])}
    return [(k["AttributeName"], k["KeyType"], types.get(k["AttributeName"], "?")) for k in table["KeySchema"]]


def _check_adopted(context: Context, name: str) -> Outcome:
    values = {"table": name, "key": VISITS_PARTITION_KEY, "region": context.config.region}
    found = unless_missing(
        lambda: context.client("dynamodb").describe_table(TableName=name), "ResourceNotFoundException"
    )
    if found is None:
        return TABLE_MISSING(**values)
    key = _key_of(found["Table"])
    if key != [(VISITS_PARTITION_KEY, "HASH", "S")]:
        return TABLE_WRONG_KEY(found=", ".join(f"{n} ({kind}, {t})" for n, kind, t in key), **values)
    return TABLE_ADOPTED(**values)


def _retained_tables(context: Context) -> list[str]:
    """Tables named like the stack's visits table (`<stack>-Visits...`), newest first."""
    client = context.client("dynamodb")
    prefix = f"{context.config.stack_name}-Visits"
    names = [n for page in client.get_paginator("list_tables").paginate() for n in page["TableNames"]]
    tables = [client.describe_table(TableName=n)["Table"] for n in names if n.startswith(prefix)]
    return [t["TableName"] for t in sorted(tables, key=lambda t: t["CreationDateTime"], reverse=True)]


def check_visits_table(context: Context) -> Outcome:
    config = context.config
    if config.existing_visits_table_name is not None:
        return _check_adopted(context, config.existing_visits_table_name)
    stack = context.stack(config.stack_name)
    if stack is not None and stack["StackStatus"] not in _CREATED_ANEW:
        return TABLE_OWN()
    retained = _retained_tables(context)
    if retained:
        return TABLE_RETAINED(table=retained[0], tables=", ".join(retained))
    return TABLE_NONE_RETAINED(stack=config.stack_name)


CHECKS: Final = (
    Check(
        "GitHub OIDC provider",
        "an existing provider for token.actions.githubusercontent.com, and what to pass the deploy-role stack then",
        check_github_oidc,
        (OIDC_NONE, OIDC_OURS, OIDC_ADOPTED, OIDC_FOREIGN),
        ("iam:ListOpenIDConnectProviders", "cloudformation:DescribeStacks", "cloudformation:ListStackResources"),
        optional=True,  # it only ever warns, and only the deploy-role stack's deploy needs what it says
    ),
    Check(
        "visits table",
        "existing_visits_table_name names a table with the counter's key; else, before the first deploy, "
        "a table retained from an earlier stack of this name",
        check_visits_table,
        (TABLE_ADOPTED, TABLE_MISSING, TABLE_WRONG_KEY, TABLE_OWN, TABLE_NONE_RETAINED, TABLE_RETAINED),
        ("dynamodb:DescribeTable", "dynamodb:ListTables", "cloudformation:DescribeStacks"),
    ),
)
