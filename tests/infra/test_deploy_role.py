"""The deploy-role stack: GitHub's OIDC tokens get in only for the configured repository, environment and branch,
and what they get is the right to assume the CDK bootstrap roles, nothing more; pull requests get only the
deployed template of the application stack."""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.config import REPO_ROOT, DeploymentConfig
from infra.deploy_role import (
    DEPLOY_ROLE_ARN_OUTPUT,
    DIFF_ROLE_ARN_OUTPUT,
    EXISTING_PROVIDER_CONTEXT_KEY,
    GITHUB_OIDC_URL,
    build_deploy_role_app,
)

ISSUER = "token.actions.githubusercontent.com"


@pytest.fixture(scope="module")
def deploy_role_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`python -m infra.deploy_role` with cdk.json's context, cdk-nag on (synth fails on a finding)."""
    outdir = tmp_path_factory.mktemp("cdk.out.deploy-role")
    app, _ = build_deploy_role_app(outdir=str(outdir))
    app.synth()
    return outdir


@pytest.fixture(scope="module")
def deploy_template_json(deploy_role_assembly: Path, config: DeploymentConfig) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (deploy_role_assembly / f"{config.stack_name}-GitHubDeploy.template.json").read_text()
    )
    return loaded


def _synth(context: dict[str, Any]) -> dict[str, Any]:
    _, stack = build_deploy_role_app(context=context)
    return dict(Template.from_stack(stack).to_json())


def _roles(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::IAM::Role"
    }


def _role(template: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    [(logical_id, role)] = [(k, v) for k, v in _roles(template).items() if k.startswith(f"GitHub{name}")]
    return logical_id, role


def _resolve(value: Any) -> Any:
    """Renders the few intrinsics these templates use, in the commercial partition."""
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(str(_resolve(part)) for part in parts)
    if value == {"Ref": "AWS::Partition"}:
        return "aws"
    return value


def _policy_statements(template: dict[str, Any], role_logical_id: str) -> list[dict[str, Any]]:
    """Every statement the role is granted: its own inline policies and the policies attached to it."""
    inline = template["Resources"][role_logical_id]["Properties"].get("Policies", [])
    attached = [
        resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::IAM::Policy" and {"Ref": role_logical_id} in resource["Properties"]["Roles"]
    ]
    return [statement for policy in [*inline, *attached] for statement in policy["PolicyDocument"]["Statement"]]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def trust_admits(role: dict[str, Any], claims: dict[str, str]) -> bool:
    """Whether the role's trust policy lets a GitHub token with these claims in, as IAM evaluates it:
    every condition operator must hold, each for every key it names (one of a list of values)."""
    for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]:
        if statement["Action"] != "sts:AssumeRoleWithWebIdentity" or statement["Effect"] != "Allow":
            continue
        holds = True
        for operator, tests in statement.get("Condition", {}).items():
            for key, expected in tests.items():
                allowed = expected if isinstance(expected, list) else [expected]
                actual = claims.get(key.removeprefix(f"{ISSUER}:"))
                if actual is None:
                    holds = False
                elif operator == "StringEquals":
                    holds &= actual in allowed
                elif operator == "StringLike":
                    holds &= any(fnmatch.fnmatchcase(actual, pattern) for pattern in allowed)
                else:
                    raise AssertionError(f"unexpected condition operator {operator}")
        if holds:
            return True
    return False


def _token(sub: str) -> dict[str, str]:
    return {"aud": "sts.amazonaws.com", "sub": sub}


def test_deploy_role_admits_only_the_deploy_environment_on_the_deploy_branch(
    deploy_template_json: dict[str, Any], config: DeploymentConfig
) -> None:
    # Given the deploy role built from cdk.json's repository, branch and environment
    _, role = _role(deploy_template_json, "DeployRole")
    repo, branch, env = config.github_repository, config.deploy_branch, config.deploy_environment
    # Then a job in the deploy environment on the deploy branch gets in
    assert trust_admits(role, _token(f"repo:{repo}:environment:{env}:ref:refs/heads/{branch}"))
    # And nothing else: another branch, another environment, no environment, a pull request, a fork, a tag,
    # another audience, or the default subject template that names no branch
    refused = [
        _token(f"repo:{repo}:environment:{env}:ref:refs/heads/{branch}-evil"),
        _token(f"repo:{repo}:environment:staging:ref:refs/heads/{branch}"),
        _token(f"repo:{repo}:ref:refs/heads/{branch}:ref:refs/heads/{branch}"),
        _token(f"repo:{repo}:pull_request:ref:refs/pull/1/merge"),
        _token(f"repo:someone-else/{repo.split('/')[1]}:environment:{env}:ref:refs/heads/{branch}"),
        _token(f"repo:{repo}:environment:{env}:ref:refs/tags/v1"),
        _token(f"repo:{repo}:environment:{env}"),
        {"aud": "https://github.com/someone", "sub": f"repo:{repo}:environment:{env}:ref:refs/heads/{branch}"},
    ]
    assert [claims for claims in refused if trust_admits(role, claims)] == []


def test_trust_follows_the_configured_repository_branch_and_environment() -> None:
    # Given a fork's own repository, branch and environment as `-c config.*` overrides
    template = _synth(
        {
            "config.github_repository": "alice/my-resume",
            "config.deploy_branch": "release",
            "config.deploy_environment": "live",
        }
    )
    _, role = _role(template, "DeployRole")
    # Then exactly that combination is trusted, and the defaults no longer are
    assert trust_admits(role, _token("repo:alice/my-resume:environment:live:ref:refs/heads/release"))
    assert not trust_admits(role, _token("repo:alice/my-resume:environment:production:ref:refs/heads/main"))


def test_deploy_role_may_only_assume_the_bootstrap_roles(
    deploy_template_json: dict[str, Any], config: DeploymentConfig
) -> None:
    # Given the deploy role's permissions
    logical_id, role = _role(deploy_template_json, "DeployRole")
    statements = _policy_statements(deploy_template_json, logical_id)
    # Then they are one statement: sts:AssumeRole on the four bootstrap roles of the configured account and region
    account, region = config.account, config.region
    assert [(s["Effect"], s["Action"]) for s in statements] == [("Allow", "sts:AssumeRole")]
    assert sorted(_resolve(arn) for arn in statements[0]["Resource"]) == sorted(
        f"arn:aws:iam::{account}:role/cdk-hnb659fds-{kind}-role-{account}-{region}"
        for kind in ("deploy", "file-publishing", "image-publishing", "lookup")
    )
    # And no managed policy (AdministratorAccess or any other) and no inline policy of its own
    assert "ManagedPolicyArns" not in role["Properties"]
    assert "Policies" not in role["Properties"]


def test_diff_role_admits_pull_requests_only(deploy_template_json: dict[str, Any], config: DeploymentConfig) -> None:
    # Given the role the pull-request diff job assumes
    _, role = _role(deploy_template_json, "DiffRole")
    repo = config.github_repository
    # Then the repository's pull requests get in, and deploy jobs, other repositories and branches do not
    assert trust_admits(role, _token(f"repo:{repo}:pull_request:ref:refs/pull/42/merge"))
    assert not trust_admits(role, _token("repo:other/repo:pull_request:ref:refs/pull/42/merge"))
    assert not trust_admits(role, _token(f"repo:{repo}:ref:refs/heads/main:ref:refs/heads/main"))
    assert not trust_admits(role, _token(f"repo:{repo}:environment:production:ref:refs/heads/main"))


def test_diff_role_may_only_read_the_application_stacks_template(
    deploy_template_json: dict[str, Any], config: DeploymentConfig
) -> None:
    # Given the diff role's permissions (any branch of the repository can open a pull request and edit the
    # workflow it runs, so whatever this role may do, any contributor's branch may do)
    logical_id, role = _role(deploy_template_json, "DiffRole")
    statements = _policy_statements(deploy_template_json, logical_id)
    # Then it is one statement: the two reads `cdk diff --method template` makes, on the application stack only
    account, region = config.account, config.region
    assert [
        (s["Effect"], sorted(_as_list(s["Action"])), [_resolve(r) for r in _as_list(s["Resource"])]) for s in statements
    ] == [
        (
            "Allow",
            ["cloudformation:DescribeStacks", "cloudformation:GetTemplate"],
            [f"arn:aws:cloudformation:{region}:{account}:stack/{config.stack_name}/*"],
        )
    ]
    # And it may assume no role at all: the bootstrap lookup role carries AWS's ReadOnlyAccess (S3 objects,
    # table scans, logs, SSM parameters), which a pull request must not reach
    assert not [s for s in statements if any(a.startswith("sts:") for a in _as_list(s["Action"]))]
    assert "ManagedPolicyArns" not in role["Properties"]
    assert "lookup-role" not in json.dumps(role)


def test_diff_role_follows_the_configured_stack_and_region(config: DeploymentConfig) -> None:
    # Given a fork's own stack name and region as `-c config.*` overrides
    template = _synth({"config.stack_name": "AliceResume", "config.region": "us-west-2"})
    logical_id, _ = _role(template, "DiffRole")
    # Then the diff role reads that stack, in that region of the configured account, and nothing else
    [statement] = _policy_statements(template, logical_id)
    assert _resolve(statement["Resource"]) == f"arn:aws:cloudformation:us-west-2:{config.account}:stack/AliceResume/*"


def test_no_statement_grants_a_wildcard_or_admin(
    deploy_template_json: dict[str, Any], config: DeploymentConfig
) -> None:
    text = json.dumps(deploy_template_json)
    assert "AdministratorAccess" not in text
    assert "ManagedPolicyArns" not in text
    # The one wildcard allowed: the id CloudFormation appends to the application stack's ARN at creation
    stack_any_id = f"arn:aws:cloudformation:{config.region}:{config.account}:stack/{config.stack_name}/*"
    for logical_id in _roles(deploy_template_json):
        for statement in _policy_statements(deploy_template_json, logical_id):
            assert all("*" not in action for action in _as_list(statement["Action"])), statement
            resources = [_resolve(resource) for resource in _as_list(statement["Resource"])]
            assert [r for r in resources if "*" in r and r != stack_any_id] == [], statement


def test_creates_githubs_oidc_provider_for_sts(deploy_template_json: dict[str, Any]) -> None:
    Template.from_json(deploy_template_json).has_resource_properties(
        "AWS::IAM::OIDCProvider", {"Url": GITHUB_OIDC_URL, "ClientIdList": ["sts.amazonaws.com"]}
    )


def test_reuses_an_existing_oidc_provider_when_given_its_arn() -> None:
    # Given an account that already has GitHub's provider (one per URL is allowed)
    arn = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
    template = _synth({EXISTING_PROVIDER_CONTEXT_KEY: arn})
    # Then no second provider is created, and both roles trust the existing one
    assert not [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::OIDCProvider"]
    for role in _roles(template).values():
        principals = [s["Principal"] for s in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]]
        assert principals == [{"Federated": arn}]


def test_role_arns_are_outputs_with_fixed_ids(deploy_template_json: dict[str, Any]) -> None:
    # The owner copies these into repository variables (docs/deploy.md), so their ids must not drift.
    outputs = Template.from_json(deploy_template_json).find_outputs("*")
    deploy_role_id, _ = _role(deploy_template_json, "DeployRole")
    diff_role_id, _ = _role(deploy_template_json, "DiffRole")
    assert outputs[DEPLOY_ROLE_ARN_OUTPUT]["Value"] == {"Fn::GetAtt": [deploy_role_id, "Arn"]}
    assert outputs[DIFF_ROLE_ARN_OUTPUT]["Value"] == {"Fn::GetAtt": [diff_role_id, "Arn"]}


def test_cdk_nag_and_cfn_lint_pass(deploy_role_assembly: Path, config: DeploymentConfig) -> None:
    report = json.loads((deploy_role_assembly / "validation-report.json").read_text())
    assert [r for r in report["pluginReports"] if r["conclusion"] != "success"] == []
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "cfn-lint"),
            "--config-file",
            str(REPO_ROOT / ".cfnlintrc.yaml"),
            str(deploy_role_assembly / f"{config.stack_name}-GitHubDeploy.template.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
