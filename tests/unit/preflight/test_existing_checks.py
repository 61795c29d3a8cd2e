"""GitHub's OIDC provider, an adopted visits table and one retained from a deleted stack, on moto."""

from __future__ import annotations

from typing import Any

from functions.common.catalog import VISITS_PARTITION_KEY
from infra.config import REPO_ROOT
from infra.deploy_role import EXISTING_PROVIDER_CONTEXT_KEY, GITHUB_OIDC_URL
from tests.unit.preflight.conftest import ACCOUNT, REGION, Account, make_config
from tools.preflight import existing as checks
from tools.preflight.core import Status

OIDC, VISITS = checks.CHECKS
DEPLOY_ROLE_STACK = "ResumeBackend-GitHubDeploy"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"


def _provider(account: Account) -> None:
    account.client("iam").create_open_id_connect_provider(Url=GITHUB_OIDC_URL, ClientIDList=["sts.amazonaws.com"])


def test_no_provider_passes(account: Account) -> None:
    assert account.run(OIDC).status is Status.PASS


def test_a_foreign_provider_says_exactly_what_to_pass_the_deploy_role_deploy(account: Account) -> None:
    _provider(account)
    outcome = account.run(OIDC)
    assert outcome.status is Status.WARN
    assert PROVIDER_ARN in outcome.message
    assert outcome.fix == (
        f"npm run cdk:deploy-role -- deploy -c config.account={ACCOUNT} -c config.region={REGION} "
        f"-c {EXISTING_PROVIDER_CONTEXT_KEY}={PROVIDER_ARN}"
    )


def test_the_suggestion_is_the_path_docs_deploy_md_documents() -> None:
    deploy_doc = (REPO_ROOT / "docs" / "deploy.md").read_text()
    # (the doc quotes the values, as a shell needs with $ACCOUNT in them)
    assert 'npm run cdk:deploy-role -- deploy -c "config.account=' in deploy_doc
    assert f'-c {EXISTING_PROVIDER_CONTEXT_KEY}="arn:aws:iam::' in deploy_doc


def test_a_deployed_deploy_role_stack_uses_the_provider_and_passes(account: Account) -> None:
    _provider(account)
    account.create_stack(DEPLOY_ROLE_STACK)
    outcome = account.run(OIDC)
    assert outcome.status is Status.PASS
    assert "uses it" in outcome.message


def _table(account: Account, name: str, key: list[dict[str, str]], types: dict[str, str]) -> None:
    client: Any = account.client("dynamodb")
    client.create_table(
        TableName=name,
        KeySchema=key,
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in types.items()],
        BillingMode="PAY_PER_REQUEST",
    )


def _visits_table(account: Account, name: str) -> None:
    _table(account, name, [{"AttributeName": VISITS_PARTITION_KEY, "KeyType": "HASH"}], {VISITS_PARTITION_KEY: "S"})


def test_an_adopted_table_with_the_counters_key_passes(account: Account) -> None:
    _visits_table(account, "old-visits")
    outcome = account.run(VISITS, make_config(existing_visits_table_name="old-visits"))
    assert outcome.status is Status.PASS


def test_an_adopted_table_that_does_not_exist_fails(account: Account) -> None:
    outcome = account.run(VISITS, make_config(existing_visits_table_name="old-visits"))
    assert outcome.status is Status.FAIL
    assert "no such table" in outcome.message
    assert f"aws dynamodb list-tables --region {REGION}" in outcome.fix


def test_an_adopted_table_with_another_key_fails(account: Account) -> None:
    _table(account, "old-visits", [{"AttributeName": VISITS_PARTITION_KEY, "KeyType": "HASH"}], {"pk": "N"})
    outcome = account.run(VISITS, make_config(existing_visits_table_name="old-visits"))
    assert outcome.status is Status.FAIL
    assert "pk (HASH, N)" in outcome.message


def test_an_adopted_table_with_a_sort_key_fails(account: Account) -> None:
    key = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    _table(account, "old-visits", key, {"pk": "S", "sk": "S"})
    assert account.run(VISITS, make_config(existing_visits_table_name="old-visits")).status is Status.FAIL


def test_a_table_retained_from_a_deleted_stack_warns_naming_the_key_that_keeps_its_count(account: Account) -> None:
    # Given two tables deleted ResumeBackend stacks left (the newer one last, named to sort last) and another's
    older, newer = "ResumeBackend-VisitsTable8A3B6F1C-AAAA", "ResumeBackend-VisitsTable8A3B6F1C-ZZZZ"
    _visits_table(account, older)
    _visits_table(account, newer)
    _visits_table(account, "SomethingElse-VisitsTable8A3B6F1C-1ABCDEF")
    # When the preflight runs before a redeploy without existing_visits_table_name
    outcome = account.run(VISITS)
    # Then it warns (the deploy works, but counts from 0), naming the newest retained table and the key to set
    assert outcome.status is Status.WARN
    assert "counting from 0" in outcome.message
    assert outcome.fix == f'set "existing_visits_table_name": "{newer}" in cdk.json to keep its count'
    assert outcome.note.endswith(f"{newer}, {older}")
    assert "SomethingElse" not in outcome.note


def test_a_first_deploy_without_a_retained_table_passes(account: Account) -> None:
    _visits_table(account, "SomethingElse-VisitsTable8A3B6F1C-1ABCDEF")
    assert account.run(VISITS).status is Status.PASS


def test_a_deployed_stack_keeps_its_own_table(account: Account) -> None:
    # Given the deployed stack, whose own table matches the retained-table name
    account.create_stack("ResumeBackend")
    _visits_table(account, "ResumeBackend-VisitsTable8A3B6F1C-1ABCDEF")
    outcome = account.run(VISITS)
    assert outcome.status is Status.PASS
    assert "own table" in outcome.message
