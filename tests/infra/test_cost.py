"""make cost against the synthesized stack: its counts come from the template, a config change moves the figures,
the JSON has its headline keys, and docs/cost.md and the README's figures are current."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.config import DeploymentConfig, app_context, load_config, overrides_from_context
from stack_model.stack import StackModel
from tools import doc_tables as docs
from tools.cost import __main__ as cost_cli
from tools.cost import assumptions
from tools.cost.model import COMPARISON_REGION, CostInputs, CostModel, VisitMix, cost_model, gather, model_for
from tools.cost.prices import load_prices
from tools.docs_gen import render_cost_docs

ACCOUNTED_TYPES = frozenset(
    {
        # priced by make cost (by the month, or by the usage the probe, the digest and the visits make)
        "AWS::CloudWatch::Alarm",
        "AWS::CloudWatch::Dashboard",
        "AWS::KMS::Key",
        "AWS::Lambda::Function",
        "AWS::Scheduler::Schedule",
        "AWS::Logs::LogGroup",
        "AWS::DynamoDB::Table",
        "AWS::DynamoDB::GlobalTable",
        "AWS::ApiGatewayV2::Api",
        "AWS::ApiGatewayV2::Stage",
        "AWS::ApiGatewayV2::Route",
        "AWS::ApiGatewayV2::Integration",
        # no charge at rest (idle topics and queues, roles, permissions, budgets without actions, standard
        # parameters, the sender identity, point-in-time recovery of tables holding kilobytes; a custom resource's
        # function runs only when the stack deploys): docs/cost.md
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::Lambda::Permission",
        "AWS::Lambda::EventInvokeConfig",
        "AWS::Lambda::LayerVersion",
        "AWS::SNS::Topic",
        "AWS::SNS::TopicPolicy",
        "AWS::SNS::Subscription",
        "AWS::SQS::Queue",
        "AWS::SQS::QueuePolicy",
        "AWS::SES::EmailIdentity",
        "AWS::Budgets::Budget",
        "AWS::SSM::Parameter",
        "AWS::CDK::Metadata",
        "AWS::CloudFormation::CustomResource",
        # the site's hosting: left out, said so in docs/cost.md (its cost is the page's bytes, not the counter's)
        "AWS::Amplify::App",
        "AWS::Amplify::Branch",
        "AWS::S3::Bucket",
        "AWS::S3::BucketPolicy",
        "AWS::CloudFront::Distribution",
        "AWS::CloudFront::OriginAccessControl",
        "AWS::CloudFront::ResponseHeadersPolicy",
        "AWS::CloudFront::Function",
    }
)
"""Resource types make cost accounts for: a new type in the template is a cost to price (tools/cost/model.py) or to
state as free here."""


@pytest.fixture(scope="module")
def inputs(template_json: dict[str, Any], config: DeploymentConfig) -> CostInputs:
    return gather(template_json, config.guard_rate_per_second)


def _model(inputs: CostInputs) -> CostModel:
    return cost_model(inputs, load_prices("eu-west-1"))


def test_the_counts_are_the_templates(
    template: Template, template_json: dict[str, Any], config: DeploymentConfig, inputs: CostInputs
) -> None:
    figures = _model(inputs)
    fixed = {line.usage.key: line.usage.quantity for line in figures.fixed.lines}
    # The metrics the alarms read, as the architecture doc counts them; the keys and the dashboards
    assert f"| metrics read by the alarms (each is billed per alarm) | {fixed['alarm_metrics']} |" in docs.count_rows(
        template_json
    )
    assert fixed.get("kms_keys", 0) == len(template.find_resources("AWS::KMS::Key"))
    assert fixed["dashboards"] == len(template.find_resources("AWS::CloudWatch::Dashboard"))
    # The counter as the config sets it
    assert inputs.counter.memory_mb == config.counter_memory_mb
    (probe_runs,) = [
        line.usage.quantity
        for line in figures.fixed.lines
        if (line.usage.component, line.usage.key) == ("availability probe", "scheduler_invocations")
    ]
    assert probe_runs == 30 * 24 * 60 / config.probe_interval_minutes


@pytest.mark.parametrize("hosting", ["amplify", "s3-cloudfront"])
def test_every_resource_of_the_stack_is_accounted_for(
    synth_with: Callable[[dict[str, Any]], Template], hosting: str
) -> None:
    # A resource type make cost does not know (a web ACL, a secret) would be a monthly cost it leaves out
    template = synth_with({"config.hosting": hosting}).to_json()
    types = StackModel.from_template(template).resource_types
    assert {kind for kind in types if not kind.startswith("Custom::")} - ACCOUNTED_TYPES == set()
    # And no SSM parameter is of the Advanced tier (billed monthly; the standard tier is free)
    parameters = [r for r in template["Resources"].values() if r["Type"] == "AWS::SSM::Parameter"]
    assert all(r["Properties"].get("Tier", "Standard") == "Standard" for r in parameters)


def test_a_faster_probe_costs_more(
    synth_with: Callable[[dict[str, Any]], Template], inputs: CostInputs, config: DeploymentConfig
) -> None:
    # Given the stack with the probe twice as often
    changed = synth_with({"config.probe_interval_minutes": config.probe_interval_minutes // 2}).to_json()
    before, after = _model(inputs), _model(gather(changed, config.guard_rate_per_second))
    assert config.probe_interval_minutes % 2 == 0
    # Then the probe's runs cost twice as much
    assert _probe_usd(after) == pytest.approx(2 * _probe_usd(before), rel=1e-3)


def test_another_alarm_or_one_key_less_changes_the_fixed_month(
    template_json: dict[str, Any], inputs: CostInputs
) -> None:
    prices = load_prices("eu-west-1")
    base = _model(inputs).fixed.list_usd
    # Given the template with one more single-metric alarm, and the template without its customer-managed keys
    more = copy.deepcopy(template_json)
    (one_alarm,) = [r for r in more["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"][:1]
    more["Resources"]["ExtraAlarm"] = one_alarm
    fewer = copy.deepcopy(template_json)
    keys = [lid for lid, r in fewer["Resources"].items() if r["Type"] == "AWS::KMS::Key"]
    for lid in keys:
        del fewer["Resources"][lid]
    # Then the fixed month moves by one alarm metric, and by the keys' monthly fee
    with_alarm = cost_model(_with_facts(inputs, more), prices).fixed.list_usd
    without_keys = cost_model(_with_facts(inputs, fewer), prices).fixed.list_usd
    assert with_alarm - base == pytest.approx(prices.value("cloudwatch_alarm_metric") * _metrics(one_alarm))
    assert base - without_keys == pytest.approx(len(keys) * prices.value("kms_customer_managed_key"))


def _probe_usd(model: CostModel) -> float:
    return model.fixed.by_component()["availability probe"]


def _metrics(alarm: dict[str, Any]) -> int:
    return sum("MetricStat" in query for query in alarm["Properties"].get("Metrics", [])) or 1


def _with_facts(inputs: CostInputs, template: dict[str, Any]) -> CostInputs:
    return replace(inputs, stack=StackModel.from_template(template))


def test_the_guarded_worst_case_is_at_the_configs_guard_rate(synth_with: Any) -> None:
    # Given a config whose guard lets 5 requests/s through (its stage throttle raised above it)
    overrides = {"config.guard_rate_per_second": "5", "config.guard_burst_requests": "10"}
    template = synth_with(overrides).to_json()
    context = app_context(overrides)
    config = load_config(context, overrides_from_context(context))
    # Then the guarded worst case is at that rate
    model = model_for(template, config, load_prices(config.region))
    assert model.guarded_visits == 5 * 30 * 86_400


def test_a_measured_counter_duration_replaces_the_assumed_one(
    capsys: pytest.CaptureFixture[str], config: DeploymentConfig
) -> None:
    # Given the figures at the assumed duration and at 10 ms less (an owner's measured average)
    assert cost_cli.main(["--json"]) == 0
    assumed = json.loads(capsys.readouterr().out)
    assert cost_cli.main(["--json", "--counter-ms", str(assumptions.COUNTER_BILLED_MS - 10)]) == 0
    measured = json.loads(capsys.readouterr().out)
    # Then a million plain views cost 10 ms of the counter's GB-seconds less, at its memory, on arm64
    memory_gb = config.counter_memory_mb / 1024
    saved = 1e6 * memory_gb * 0.010 * assumed["prices"]["lambda_gb_second_arm64"]["value"]
    assert assumed["per_million_plain_views_usd"] - measured["per_million_plain_views_usd"] == pytest.approx(saved)
    # And a million visits all in as much for each invocation: the views' and the downloads'
    invocations = 1 + assumed["mix"]["downloads_per_visit"]
    assert assumed["per_million_visits_usd"] - measured["per_million_visits_usd"] == pytest.approx(invocations * saved)


def test_the_json_has_the_headline_figures_and_their_items(capsys: pytest.CaptureFixture[str]) -> None:
    assert cost_cli.main(["--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    for key in (
        "fixed_monthly_usd",
        "fixed_monthly_after_free_tier_usd",
        "per_million_visits_usd",
        "per_million_plain_views_usd",
        "guarded_worst_case_monthly_after_free_tier_usd",
        "common_rest_design_per_million_usd",
    ):
        assert isinstance(figures[key], float), key
    bills = figures["bills"]
    assert figures["fixed_monthly_usd"] == pytest.approx(sum(i["list_usd"] for i in bills["fixed"]["items"]))
    plain = sum(i["list_usd"] for i in bills["plain_views"]["items"])
    assert figures["per_million_plain_views_usd"] == pytest.approx(plain)
    # All in: its parts, each an itemized bill, add up to it
    assert figures["per_million_visits_usd"] == pytest.approx(sum(i["list_usd"] for i in bills["all_in"]["items"]))
    assert figures["per_million_visits_usd"] == pytest.approx(sum(figures["all_in_parts_usd"].values()))
    assert set(figures["all_in_parts_usd"]) == {"views", "link views", "downloads"}
    assert figures["compared_region"] == COMPARISON_REGION
    guarded = sum(i["list_usd"] for i in bills["guarded_worst_case"]["items"])
    assert figures["guarded_worst_case_monthly_usd"] == pytest.approx(guarded)
    assert all(price["source"].startswith("https://") for price in figures["prices"].values())


def test_make_cost_prices_the_default_configs_region_with_its_own_prices(
    capsys: pytest.CaptureFixture[str], config: DeploymentConfig
) -> None:
    # Given the default config (cdk.json), whose region the price file prices
    assert config.region == "eu-west-1"
    # When make cost runs
    assert cost_cli.main(["--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    # Then it prices that region with that region's own list prices, and flags nothing
    assert (figures["region"], figures["priced_region"], figures["warning"]) == ("eu-west-1", "eu-west-1", None)
    ireland = load_prices("eu-west-1")
    assert figures["prices"]["http_api_requests"]["value"] == ireland.value("http_api_requests") == 1.11
    assert figures["prices"]["logs_ingestion"]["value"] == ireland.value("logs_ingestion")
    # And a figure borrowed from another region is named in the notes
    assert all(any(key in note for note in figures["notes"]) for key in ireland.borrowed)


def test_another_region_is_refused_unless_priced_with_a_named_regions_prices_and_flagged(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a config for a region the price file does not price
    monkeypatch.setenv("CDK_CONTEXT_JSON", json.dumps(app_context({"config.region": "ap-southeast-2"})))
    # When make cost runs, it refuses, saying which regions it has and how to price it anyway
    assert cost_cli.main([]) == cost_cli.USAGE_ERROR_EXIT
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "ap-southeast-2" in captured.err
    assert "eu-west-1, us-east-1" in captured.err
    assert "--region" in captured.err
    # When it is asked to use us-east-1's prices, the text leads with the flag and the headline table carries it
    assert cost_cli.main(["--region", "us-east-1"]) == 0
    text = capsys.readouterr().out
    flag = "NOT ap-southeast-2 PRICES"
    head, table = text.split("| figure", 1)
    assert flag in head
    assert flag in table.splitlines()[0]
    assert "us-east-1 (config region ap-southeast-2)" in text


def test_the_default_config_is_priced_at_another_regions_prices_on_request_and_flagged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given the default config (eu-west-1), priced as it is and at us-east-1's list prices (issue bars are quoted there)
    assert cost_cli.main(["--json"]) == 0
    ireland = json.loads(capsys.readouterr().out)
    assert cost_cli.main(["--json", "--region", "us-east-1"]) == 0
    virginia = json.loads(capsys.readouterr().out)
    # Then the same usage is billed at us-east-1's prices, which are lower for the visits' HTTP API requests
    assert (virginia["region"], virginia["priced_region"]) == ("eu-west-1", "us-east-1")
    assert virginia["prices"]["http_api_requests"]["value"] == load_prices("us-east-1").value("http_api_requests")
    assert virginia["per_million_visits_usd"] < ireland["per_million_visits_usd"]
    # And the default run states the all-in figure at us-east-1's prices beside its own
    assert ireland["per_million_visits_compared_usd"] == pytest.approx(virginia["per_million_visits_usd"])
    # And the JSON says whose prices they are in its own field and in the notes
    flag = "NOT eu-west-1 PRICES"
    assert virginia["warning"].startswith(flag)
    assert any(note.startswith(flag) for note in virginia["notes"])


def test_cost_doc_and_readme_figures_are_current() -> None:
    for path, expected in render_cost_docs().items():
        assert path.read_text() == expected, f"{path.name} is stale: run python -m tools.docs_gen"


def test_per_million_visits_all_in_meets_its_bar_at_us_east_1s_prices(
    inputs: CostInputs, config: DeploymentConfig
) -> None:
    # Given the measured requests priced at us-east-1's list prices, the basis of the published comparisons and of
    # the bars (issue #23: all in ≤ $2.90; issue #18: a plain view ≤ $2.75), and at the config's own region's
    compared = cost_model(inputs, load_prices(config.region, priced_at=COMPARISON_REGION))
    own = cost_model(inputs, load_prices(config.region))
    # Then a million visits, all in with the assumed mix of link views and downloads, meet the bar
    print(f"all in: {own.all_in.list_usd:.4f} {config.region}, {compared.all_in.list_usd:.4f} us-east-1")
    assert compared.all_in.list_usd <= 2.90
    assert compared.plain_views.list_usd <= 2.75
    # And links and downloads cost something: all in is more than plain views
    assert own.all_in.list_usd > own.plain_views.list_usd


def test_an_owner_prices_their_own_mix_of_links_and_downloads(
    capsys: pytest.CaptureFixture[str], inputs: CostInputs, config: DeploymentConfig
) -> None:
    # Given an owner whose views never come through a link and who offers no download
    assert cost_cli.main(["--json", "--link-share", "0", "--downloads-per-visit", "0"]) == 0
    figures = json.loads(capsys.readouterr().out)
    # Then all in is a million views from a referrer, the parts say so, and the mix is theirs
    assert figures["mix"] == {"link_view_share": 0.0, "downloads_per_visit": 0.0}
    assert set(figures["all_in_parts_usd"]) == {"views"}
    # And their figure is the model's for that mix
    mix = VisitMix(link_view_share=0, downloads_per_visit=0)
    expected = cost_model(inputs, load_prices(config.region), mix).all_in.list_usd
    assert figures["per_million_visits_usd"] == pytest.approx(expected)


@pytest.mark.parametrize("args", [["--link-share", "1.5"], ["--downloads-per-visit", "-1"], ["--link-share", "x"]])
def test_a_share_out_of_range_is_refused(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cost_cli.main(args)
    assert exit_info.value.code == cost_cli.USAGE_ERROR_EXIT
    assert args[0] in capsys.readouterr().err
