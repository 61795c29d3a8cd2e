"""`alert_channels` as CloudFormation will deploy it: parameter names (never URLs) in the notifier's environment,
GetParameter on exactly those parameters, room in its timeout; and a config that refuses a URL without quoting it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from functions.common import catalog
from infra.app import build_app
from infra.config import REPO_ROOT, ConfigError, DeploymentConfig, load_config
from infra.notifier import CHANNEL_TIMEOUT_BUDGET, GUARD_TIMEOUT_BUDGET, NOTIFIER_TIMEOUT

NOTIFIER_HANDLER = "functions.notifier.app.lambda_handler"
CHANNELS = [
    {"type": "slack", "webhook_url_parameter": "/resume/slack-webhook"},
    {"type": "webhook", "url_parameter": "/resume/alert-webhook"},
]
CHANNELS_OVERRIDE = {"config.alert_channels": json.dumps(CHANNELS)}


@pytest.fixture(scope="module")
def with_channels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The app synthesized with Slack and a webhook, cdk-nag on, as `cdk synth -c config.alert_channels=...`."""
    outdir = tmp_path_factory.mktemp("cdk.out.channels")
    app, stack = build_app(outdir=str(outdir), context=CHANNELS_OVERRIDE)
    app.synth()
    report = json.loads((outdir / "validation-report.json").read_text())
    template: dict[str, Any] = json.loads((Path(outdir) / f"{stack.stack_name}.template.json").read_text())
    return {"template": template, "nag": [r for r in report["pluginReports"] if r["conclusion"] != "success"]}


def _notifier(template: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    found = Template.from_json(dict(template)).find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": NOTIFIER_HANDLER}}
    )
    ((logical_id, resource),) = found.items()
    return logical_id, resource["Properties"]


def _notifier_statements(template: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    role = _notifier(template)[1]["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::IAM::Policy" and resource["Properties"]["Roles"] == [{"Ref": role}]
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]


def _actions(statement: Mapping[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


def test_by_default_the_notifier_reads_no_parameter_and_keeps_its_timeout(template_json: dict[str, Any]) -> None:
    # Given the default config (email only)
    _, props = _notifier(template_json)
    # Then nothing about channels is deployed
    assert catalog.ALERT_CHANNELS_ENV not in props["Environment"]["Variables"]
    # (plus the throttle guard's budget, which every notifier has: infra/guard.py)
    assert props["Timeout"] == NOTIFIER_TIMEOUT.to_seconds() + GUARD_TIMEOUT_BUDGET.to_seconds() == 100
    assert not [a for s in _notifier_statements(template_json) for a in _actions(s) if a.startswith(("ssm:", "kms:"))]


def test_channels_put_parameter_names_not_urls_in_the_environment(with_channels: dict[str, Any]) -> None:
    _, props = _notifier(with_channels["template"])
    assert props["Environment"]["Variables"][catalog.ALERT_CHANNELS_ENV] == (
        "slack=/resume/slack-webhook,webhook=/resume/alert-webhook"
    )
    # And no URL of a channel is anywhere in the template
    text = json.dumps(with_channels["template"])
    assert "hooks.slack.com" not in text
    assert props["Timeout"] == (
        NOTIFIER_TIMEOUT.to_seconds() + GUARD_TIMEOUT_BUDGET.to_seconds() + 2 * CHANNEL_TIMEOUT_BUDGET.to_seconds()
    )


def test_the_notifier_may_get_exactly_the_configured_parameters_and_no_key(
    with_channels: dict[str, Any], config: DeploymentConfig
) -> None:
    ssm = [s for s in _notifier_statements(with_channels["template"]) if any(a.startswith("ssm:") for a in _actions(s))]
    assert len(ssm) == 1
    assert (_actions(ssm[0]), ssm[0]["Effect"]) == (["ssm:GetParameter"], "Allow")
    prefix = f":ssm:{config.region}:{config.account}:parameter/"
    assert sorted(json.dumps(r) for r in ssm[0]["Resource"]) == sorted(
        json.dumps({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f"{prefix}resume/{name}"]]})
        for name in ("slack-webhook", "alert-webhook")
    )
    # NOTE: the AWS-managed key alias/aws/ssm lets every principal of the account decrypt through SSM.
    assert not [a for s in _notifier_statements(with_channels["template"]) for a in _actions(s) if a.startswith("kms:")]


def test_channels_keep_the_stack_cdk_nag_clean(with_channels: dict[str, Any]) -> None:
    assert with_channels["nag"] == []


def _config_with(channels: Any) -> DeploymentConfig:
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    context["config"]["alert_channels"] = channels
    return load_config(context)


def test_alert_channels_default_to_email_only_when_left_out() -> None:
    context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    del context["config"]["alert_channels"]
    assert load_config(context).alert_channels == ()


@pytest.mark.parametrize(
    ("channels", "message"),
    [
        ([{"type": "email"}], "email is always on"),
        ([{"type": "teams", "url_parameter": "/x"}], "'type' is 'slack' or 'webhook'"),
        ([CHANNELS[0], CHANNELS[0]], "at most one channel of each type"),
        ([{"type": "slack", "url_parameter": "/x"}], "exactly the keys 'type' and 'webhook_url_parameter'"),
        ([{"type": "webhook", "url_parameter": "/aws/reserved"}], "not an SSM parameter name"),
        ([{"type": "webhook", "url_parameter": "no spaces allowed"}], "not an SSM parameter name"),
        ({"type": "slack"}, "should be a list"),
    ],
)
def test_a_wrong_channel_is_refused_naming_its_key(channels: Any, message: str) -> None:
    with pytest.raises(ConfigError, match="config key 'alert_channels") as error:
        _config_with(channels)
    assert message in str(error.value)


def test_a_url_where_a_parameter_name_belongs_is_refused_without_quoting_it() -> None:
    secret = "https://hooks.slack.com/services/T000/B000/secretToken"
    with pytest.raises(ConfigError, match="looks like a URL, which is a secret") as error:
        _config_with([{"type": "slack", "webhook_url_parameter": secret}])
    assert "secretToken" not in str(error.value)
    # And neither does the error for an unexpected key that holds one
    with pytest.raises(ConfigError) as error:
        _config_with([{"type": "slack", "webhook_url": secret}])
    assert "secretToken" not in str(error.value)
