"""The deploy-role stack, deployed once by hand before the first CI deploy (`python -m infra.deploy_role` →
cdk.out.deploy-role/): GitHub's OIDC provider, a deploy role that may only assume the CDK bootstrap roles, and a
diff role that may only read the application stack's template (why each may what it may: docs/deploy.md).

NOTE: AWS evaluates only `sub` and `aud` of GitHub's tokens; the repository's subject template (docs/deploy.md)
names environment and branch, so the trust policy pins both.
https://docs.github.com/en/actions/reference/security/oidc#customizing-the-subject-claims-for-an-organization-or-repository
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aws_cdk import App, ArnFormat, CfnOutput, DefaultStackSynthesizer, Duration, Environment, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.app import configured_app, synth
from infra.config import DeploymentConfig
from infra.nag import suppress_finding

GITHUB_OIDC_URL: Final = "https://token.actions.githubusercontent.com"
GITHUB_OIDC_ISSUER: Final = "token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE: Final = "sts.amazonaws.com"  # what aws-actions/configure-aws-credentials requests
# An account holds one provider per URL: one that has GitHub's already passes its ARN in this context key.
EXISTING_PROVIDER_CONTEXT_KEY: Final = "github_oidc_provider_arn"
BOOTSTRAP_QUALIFIER_CONTEXT_KEY: Final = "@aws-cdk/core:bootstrapQualifier"

# Fixed output logical ids: docs/deploy.md tells the owner to copy them into repository variables.
DEPLOY_ROLE_ARN_OUTPUT: Final = "DeployRoleArn"
DIFF_ROLE_ARN_OUTPUT: Final = "DiffRoleArn"

# The roles `cdk bootstrap` creates. https://docs.aws.amazon.com/cdk/v2/guide/bootstrapping-env.html
BOOTSTRAP_ROLE_ARN_TEMPLATES: Final = (
    DefaultStackSynthesizer.DEFAULT_DEPLOY_ROLE_ARN,
    DefaultStackSynthesizer.DEFAULT_FILE_ASSET_PUBLISHING_ROLE_ARN,
    DefaultStackSynthesizer.DEFAULT_IMAGE_ASSET_PUBLISHING_ROLE_ARN,
    DefaultStackSynthesizer.DEFAULT_LOOKUP_ROLE_ARN,
)
# What `cdk diff --method template` calls with the job's own credentials when it cannot assume the lookup role
# (besides sts:GetCallerIdentity, which needs no permission; it lists stack resources only for nested stacks).
DIFF_ROLE_ACTIONS: Final = ("cloudformation:DescribeStacks", "cloudformation:GetTemplate")
# A deploy takes minutes; an hour is also the cap AWS puts on the chained bootstrap-role sessions.
ROLE_SESSION_DURATION: Final = Duration.hours(1)


def deploy_role_stack_name(config: DeploymentConfig) -> str:
    """The deploy-role stack's name, e.g. `ResumeBackend-GitHubDeploy`."""
    return f"{config.stack_name}-GitHubDeploy"


class GitHubDeployAccess(Construct):
    """The OIDC provider (or the account's existing one) and the two roles. Exposes `provider_arn`, `deploy_role`
    and `diff_role`."""

    def __init__(self, scope: Construct, construct_id: str, *, config: DeploymentConfig) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        existing_provider_arn = self.node.try_get_context(EXISTING_PROVIDER_CONTEXT_KEY)
        if existing_provider_arn:
            self.provider_arn: str = existing_provider_arn
        else:
            # The native resource, not iam.OpenIdConnectProvider (a custom-resource Lambda); IAM needs no thumbprints.
            provider = iam.OidcProviderNative(self, "Provider", url=GITHUB_OIDC_URL, client_ids=[GITHUB_OIDC_AUDIENCE])
            self.provider_arn = provider.oidc_provider_arn
        qualifier = str(
            self.node.try_get_context(BOOTSTRAP_QUALIFIER_CONTEXT_KEY) or DefaultStackSynthesizer.DEFAULT_QUALIFIER
        )
        self.deploy_role = iam.Role(
            self,
            "DeployRole",
            assumed_by=iam.WebIdentityPrincipal(
                self.provider_arn,
                conditions={
                    "StringEquals": {
                        f"{GITHUB_OIDC_ISSUER}:aud": GITHUB_OIDC_AUDIENCE,
                        # e.g. repo:alice/resume:environment:production:ref:refs/heads/main
                        f"{GITHUB_OIDC_ISSUER}:sub": f"repo:{config.github_repository}:environment:"
                        f"{config.deploy_environment}:ref:refs/heads/{config.deploy_branch}",
                    }
                },
            ),
            description=f"GitHub Actions deploys of {config.github_repository}: may only assume CDK bootstrap roles",
            max_session_duration=ROLE_SESSION_DURATION,
        )
        bootstrap_roles = [
            template.replace("${AWS::Partition}", stack.partition)
            .replace("${AWS::AccountId}", stack.account)
            .replace("${AWS::Region}", stack.region)
            .replace("${Qualifier}", qualifier)
            for template in BOOTSTRAP_ROLE_ARN_TEMPLATES
        ]
        self.deploy_role.add_to_policy(iam.PolicyStatement(actions=["sts:AssumeRole"], resources=bootstrap_roles))

        application_stack = stack.format_arn(
            service="cloudformation",
            resource="stack",
            resource_name=f"{config.stack_name}/*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        template_reader = iam.PolicyStatement(actions=list(DIFF_ROLE_ACTIONS), resources=[application_stack])
        pull_requests = f"repo:{config.github_repository}:pull_request:ref:refs/pull/*/merge"
        self.diff_role = iam.Role(
            self,
            "DiffRole",
            assumed_by=iam.WebIdentityPrincipal(
                self.provider_arn,
                conditions={
                    "StringEquals": {f"{GITHUB_OIDC_ISSUER}:aud": GITHUB_OIDC_AUDIENCE},
                    # Any pull request's job; forks' pull requests get no `id-token: write`, so no token at all.
                    "StringLike": {f"{GITHUB_OIDC_ISSUER}:sub": pull_requests},
                },
            ),
            description=(
                f"cdk diff on pull requests of {config.github_repository}: may only read the {config.stack_name} "
                "stack's template"
            ),
            max_session_duration=ROLE_SESSION_DURATION,
            inline_policies={"ReadDeployedTemplate": iam.PolicyDocument(statements=[template_reader])},
        )
        # cdk-nag names the partition by its pseudo parameter; account and region are the config's.
        suppress_finding(
            self.diff_role,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudformation:{stack.region}:{stack.account}"
            f":stack/{config.stack_name}/*]",
            "stack-id-wildcard",
        )


class GitHubDeployRoleStack(Stack):
    def __init__(self, scope: Construct, config: DeploymentConfig, **kwargs: Any) -> None:
        super().__init__(
            scope,
            deploy_role_stack_name(config),
            env=Environment(account=config.account, region=config.region),
            description=f"GitHub OIDC deploy and diff roles for {config.github_repository} (deployed once by hand)",
            **kwargs,
        )
        self.access = GitHubDeployAccess(self, "GitHub", config=config)
        outputs = {
            DEPLOY_ROLE_ARN_OUTPUT: (self.access.deploy_role.role_arn, "Repository variable AWS_DEPLOY_ROLE_ARN"),
            DIFF_ROLE_ARN_OUTPUT: (self.access.diff_role.role_arn, "Repository variable AWS_DIFF_ROLE_ARN"),
        }
        for logical_id, (value, description) in outputs.items():
            CfnOutput(self, logical_id, value=value, description=description).override_logical_id(logical_id)


def build_deploy_role_app(
    outdir: str | None = None, context: Mapping[str, Any] | None = None
) -> tuple[App, GitHubDeployRoleStack]:
    """The deploy-role app from the same context as the main app (cdk.json plus `-c` flags), cdk-nag on."""
    app, config = configured_app(outdir, context)
    return app, GitHubDeployRoleStack(app, config)


def main() -> None:
    synth(build_deploy_role_app, "cdk.out.deploy-role")


if __name__ == "__main__":
    main()
