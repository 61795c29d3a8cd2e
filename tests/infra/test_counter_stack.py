"""The counter path as CloudFormation will deploy it: the invariants that matter, read from the template."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_cdk.assertions import Match, Template
from moto import mock_aws

from functions.common import catalog
from functions.common.catalog import API_URL_OUTPUT, TABLE_NAME_OUTPUT
from functions.counter import app, browsers, crawlers
from functions.counter.crawlers import COMPACT_FILE
from infra.api import COUNTER_TABLE_ACTIONS
from infra.config import DeploymentConfig
from infra.lambda_factory import POWERTOOLS_LAYER_PARAMETER
from tests.support.declared_tables import create_visits_table
from tests.unit.counter.conftest import CHROME
from tools.local.lambda_runtime.events import http_api_event
from tools.preflight.existing import TABLE_LOGICAL_ID_PREFIX


def _only(template: Template, resource_type: str) -> tuple[str, Mapping[str, Any]]:
    resources = template.find_resources(resource_type)
    assert len(resources) == 1, f"expected one {resource_type}, found {list(resources)}"
    return next(iter(resources.items()))


def _text(value: Any) -> str:
    """A template value as text, with CloudFormation's joins done and other intrinsics kept as their JSON."""
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_text(part) for part in parts)
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _counter_function(template: Template) -> tuple[str, Mapping[str, Any]]:
    functions = template.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": "functions.counter.app.lambda_handler"}}
    )
    assert len(functions) == 1
    return next(iter(functions.items()))


def test_visits_table_is_on_demand_recoverable_encrypted_and_retained(template: Template) -> None:
    template.has_resource(
        "AWS::DynamoDB::GlobalTable",
        {
            # Kept on update and delete; removed only by the rollback of the create that made it.
            "DeletionPolicy": "RetainExceptOnCreate",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": catalog.VISITS_PARTITION_KEY, "KeyType": "HASH"}],
                "SSESpecification": {"SSEEnabled": True},
                # No stream: nothing reads the table's changes (the counter publishes the visit metrics itself)
                "StreamSpecification": Match.absent(),
                "Replicas": [
                    Match.object_like(
                        {
                            "DeletionProtectionEnabled": Match.absent(),
                            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                        }
                    )
                ],
            },
        },
    )


def test_the_counter_alone_publishes_the_visit_metrics(template: Template) -> None:
    # Given the default stack / Then nothing but the counter can publish Visits: no event source mapping feeds
    # another function, and no role may read a table's stream
    assert template.find_resources("AWS::Lambda::EventSourceMapping") == {}
    policies = json.dumps(template.find_resources("AWS::IAM::Policy"))
    assert "dynamodb:GetRecords" not in policies
    assert "dynamodb:GetShardIterator" not in policies


def test_counter_function_runtime_architecture_limits_and_observability(
    template: Template, config: DeploymentConfig
) -> None:
    _, function = _counter_function(template)
    props = function["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["MemorySize"] == config.counter_memory_mb
    # Well under the API's 30 s integration timeout.
    assert props["Timeout"] == config.counter_timeout_seconds < 30
    # NOTE: no reservation by default: Lambda refuses one that leaves fewer than 10 unreserved, and new accounts
    # often have a quota of 10 in all. https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
    assert config.counter_reserved_concurrency is None
    assert "ReservedConcurrentExecutions" not in props
    # No X-Ray by default (counter_tracing), and no Lambda start/report line per request: docs/cost.md.
    assert "TracingConfig" not in props
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    assert props["LoggingConfig"]["SystemLogLevel"] == "WARN"
    assert props["Environment"]["Variables"][catalog.TABLE_NAME_ENV] == {
        "Ref": _only(template, "AWS::DynamoDB::GlobalTable")[0]
    }
    assert props["Environment"]["Variables"][catalog.MAX_VIEWS_ENV] == str(config.max_views_per_visitor_per_day)
    assert props["Environment"]["Variables"][catalog.MAX_VIEWS_PER_NETWORK_ENV] == str(
        config.max_views_per_network_per_day
    )
    # The counter counts POSTs from the origins CORS allows, and from no other: one list sets both
    cors = _only(template, "AWS::ApiGatewayV2::Api")[0]
    allowed = template.to_json()["Resources"][cors]["Properties"]["CorsConfiguration"]["AllowOrigins"]
    assert _text(props["Environment"]["Variables"][catalog.ALLOWED_ORIGINS_ENV]) == ",".join(map(_text, allowed))


@pytest.mark.parametrize(("mode", "expected"), [("active", "Active"), ("pass_through", "PassThrough")])
def test_counter_tracing_follows_config(synth_with: Any, mode: str, expected: str) -> None:
    _, function = _counter_function(synth_with({"config.counter_tracing": mode}))
    assert function["Properties"]["TracingConfig"] == {"Mode": expected}


def test_visits_table_expires_salts_and_visitor_items_by_ttl(template: Template) -> None:
    template.has_resource_properties(
        "AWS::DynamoDB::GlobalTable",
        {"TimeToLiveSpecification": {"AttributeName": catalog.EXPIRES_AT_ATTRIBUTE, "Enabled": True}},
    )


def test_counter_asset_ships_the_code_and_compact_lists_only(template: Template, assembly_dir: Path) -> None:
    # Given the counter's code asset as synthesized (offline, no Docker)
    _, function = _counter_function(template)
    asset = assembly_dir / _asset_folder(assembly_dir, function)
    # Then it holds the handler and nothing else of the repo or of the installed distributions
    assert (asset / "functions" / "counter" / "app.py").is_file()
    assert {path.name for path in asset.iterdir()} == {"functions"}
    # And the crawler list and the User-Agent parser's rules in their compact form only (the counter never
    # imports the parser)
    assert (asset / "functions" / "counter" / COMPACT_FILE).is_file()
    assert (asset / "functions" / "counter" / browsers.COMPACT_FILE).is_file()
    assert not list(asset.rglob("__pycache__"))


def test_the_counter_reads_the_list_reduced_at_synth_and_judges_as_the_full_list_would(
    template: Template, assembly_dir: Path
) -> None:
    # Given the counter's code asset, which carries the crawler list reduced at synth beside the code
    _, function = _counter_function(template)
    asset = assembly_dir / _asset_folder(assembly_dir, function)
    assert (asset / "functions" / "counter" / COMPACT_FILE).is_file()
    # When the counter's module runs from the asset, with the package's full list made unreadable
    probe = (
        "import json, sys\n"
        "from functions.counter import crawlers\n"
        "assert crawlers.__file__.startswith(sys.argv[1]), crawlers.__file__\n"
        "def unreadable(): raise AssertionError('the full list was read')\n"
        "crawlers.patterns_path = unreadable\n"
        "print(json.dumps([crawlers.is_crawler(ua) for ua in json.loads(sys.argv[2])]))\n"
    )
    user_agents = [CHROME, "Googlebot/2.1 (+http://www.google.com/bot.html)", "Mozilla/5.0 HeadlessChrome/131.0"]
    user_agents += [example for entry in _crawler_entries()[:200] for example in entry.get("instances", [])[:1]]
    result = subprocess.run(
        [sys.executable, "-c", probe, str(asset), json.dumps(user_agents)],
        cwd=asset,
        env={**os.environ, "PYTHONPATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    # Then it answers from the reduced list exactly what the full list answers here
    assert json.loads(result.stdout) == [crawlers.is_crawler(ua) for ua in user_agents]
    assert json.loads(result.stdout)[:3] == [False, True, True]


def _crawler_entries() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(crawlers.patterns_path().read_text(encoding="utf-8"))
    return entries


def test_powertools_layer_is_the_version_the_tests_run(template: Template, template_json: dict[str, Any]) -> None:
    # The layer ARN comes from AWS's public SSM parameter for exactly the Powertools version the tests import.
    installed = importlib.metadata.version("aws-lambda-powertools")
    assert f"/aws/service/powertools/python/arm64/python3.13/{installed}" == POWERTOOLS_LAYER_PARAMETER
    parameters = {
        name: p for name, p in template_json["Parameters"].items() if p.get("Default") == POWERTOOLS_LAYER_PARAMETER
    }
    assert len(parameters) == 1
    _, function = _counter_function(template)
    assert function["Properties"]["Layers"] == [{"Ref": next(iter(parameters))}]


def test_counter_may_call_exactly_the_dynamodb_actions_its_code_calls(template: Template) -> None:
    # Given the handler run through GET and POST on moto, recording each DynamoDB operation it calls
    called: set[str] = set()
    with mock_aws():
        client = boto3.client("dynamodb")
        create_visits_table(client, "visits")
        from functions.counter.visits import VisitCounter

        client.meta.events.register("before-call.dynamodb.*", lambda model, **_: called.add(model.name))
        counter = VisitCounter(
            client=client, table_name="visits", max_views_per_day=3, max_views_per_network_per_day=30
        )
        browser = {"user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"}
        for method in ("GET", "POST"):
            app.handle(http_api_event(method, "/visits", headers=browser), lambda: counter)
    called.discard("CreateTable")
    called.discard("DescribeTable")
    # Then the counter role's DynamoDB grant is exactly those actions, on the visits table only
    policies = template.find_resources("AWS::IAM::Policy")
    statements = [
        s
        for policy in policies.values()
        if policy["Properties"]["Roles"]
        == [{"Ref": _counter_function(template)[1]["Properties"]["Role"]["Fn::GetAtt"][0]}]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    dynamodb = [s for s in statements if any(str(a).startswith("dynamodb:") for a in _as_list(s["Action"]))]
    assert len(dynamodb) == 1
    assert sorted(_as_list(dynamodb[0]["Action"])) == sorted(f"dynamodb:{op}" for op in called)
    table_id = _only(template, "AWS::DynamoDB::GlobalTable")[0]
    assert dynamodb[0]["Resource"] == {"Fn::GetAtt": [table_id, "Arn"]}
    # And no statement grants a wildcard action
    assert not any("*" in action for s in statements for action in _as_list(s["Action"]))


def test_counter_role_has_no_managed_policies_and_writes_only_its_own_logs(template: Template) -> None:
    _, function = _counter_function(template)
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    role = template.to_json()["Resources"][role_id]
    assert "ManagedPolicyArns" not in role["Properties"]
    log_group_id = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": role_id}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Effect": "Allow",
                            "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
                        }
                    ]
                )
            },
        },
    )


def test_every_log_group_has_the_configured_retention_and_is_retained(
    template: Template, config: DeploymentConfig
) -> None:
    log_groups = template.find_resources("AWS::Logs::LogGroup")
    assert len(log_groups) >= 2  # the counter's and the API's access logs
    for name, log_group in log_groups.items():
        assert log_group["Properties"]["RetentionInDays"] == config.log_retention_days, name
        assert log_group["DeletionPolicy"] == "RetainExceptOnCreate", name


def test_http_api_cors_allows_exactly_the_configured_origins(template: Template, config: DeploymentConfig) -> None:
    _, api = _only(template, "AWS::ApiGatewayV2::Api")
    cors = api["Properties"]["CorsConfiguration"]
    # The one non-literal origin is the hosted site's own (a GetAtt), checked in test_hosting.py.
    literal_origins = [origin for origin in cors["AllowOrigins"] if isinstance(origin, str)]
    assert sorted(literal_origins) == sorted(config.site_origins)
    assert len(cors["AllowOrigins"]) == len(config.site_origins) + 1
    assert len(config.site_origins) >= 2, "cdk.json should configure several origins so this path is exercised"
    assert "*" not in cors["AllowOrigins"]
    assert sorted(cors["AllowMethods"]) == ["GET", "POST"]
    assert "AllowCredentials" not in cors


def test_cors_origins_follow_config_overrides(synth_with: Any) -> None:
    origins = ["https://me.dev", "https://www.me.dev", "http://localhost:8000"]
    template = synth_with({"config.site_origins": '["https://me.dev", "https://www.me.dev", "http://localhost:8000"]'})
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Api", {"CorsConfiguration": {"AllowOrigins": Match.array_with(origins)}}
    )


def test_http_api_has_both_routes_to_the_counter_with_payload_v2(template: Template) -> None:
    routes = template.find_resources("AWS::ApiGatewayV2::Route")
    assert sorted(r["Properties"]["RouteKey"] for r in routes.values()) == ["GET /visits", "POST /visits"]
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Integration", {"IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "2.0"}
    )


def test_stage_throttles_and_writes_access_logs(template: Template, config: DeploymentConfig) -> None:
    access_logs = [
        name for name, group in template.find_resources("AWS::Logs::LogGroup").items() if "AccessLogs" in name
    ]
    template.has_resource_properties(
        "AWS::ApiGatewayV2::Stage",
        {
            "StageName": "$default",
            "AutoDeploy": True,
            "DefaultRouteSettings": {
                "ThrottlingRateLimit": config.api_throttle_rate_per_second,
                "ThrottlingBurstLimit": config.api_throttle_burst_requests,
            },
            "AccessLogSettings": {
                "DestinationArn": {"Fn::GetAtt": [access_logs[0], "Arn"]},
                "Format": Match.string_like_regexp(r"\$context\.requestId"),
            },
        },
    )
    # At half the ingestion price: every request writes one line there (docs/cost.md)
    (group,) = access_logs
    assert template.to_json()["Resources"][group]["Properties"]["LogGroupClass"] == "INFREQUENT_ACCESS"


def test_access_log_holds_nothing_that_identifies_a_visitor(template: Template) -> None:
    _, stage = _only(template, "AWS::ApiGatewayV2::Stage")
    log_format = json.loads(stage["Properties"]["AccessLogSettings"]["Format"])
    assert not any("identity" in value or "userAgent" in value for value in log_format.values())


def test_outputs_have_fixed_names(template: Template) -> None:
    outputs = template.to_json()["Outputs"]
    assert {API_URL_OUTPUT, TABLE_NAME_OUTPUT} <= set(outputs)


def _asset_folder(assembly_dir: Path, function: Mapping[str, Any]) -> str:
    """The asset folder of a function, from the assembly's asset manifest (the template names only its hash)."""
    code = function["Properties"]["Code"]
    key = code["S3Key"] if isinstance(code["S3Key"], str) else code["S3Key"]["Fn::Join"][1][-1]
    asset_hash = key.split(".")[0]
    manifest = json.loads(next(assembly_dir.glob("*.assets.json")).read_text())
    folder: str = manifest["files"][asset_hash]["source"]["path"]
    return folder


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_an_existing_visits_table_is_adopted_instead_of_creating_one(synth_with: Any, config: DeploymentConfig) -> None:
    # Given the table a deleted stack left behind (it holds the count)
    retained = "ResumeBackend-VisitsTable8A3B6F1C-1ABCDEF2GHIJK"
    # When the stack is synthesized to adopt it
    template = synth_with({"config.existing_visits_table_name": retained})
    # Then no new table is created; the counter, its grants, the alarms and the outputs all use the retained one
    assert template.find_resources("AWS::DynamoDB::GlobalTable") == {}
    _, counter = _counter_function(template)
    assert counter["Properties"]["Environment"]["Variables"][catalog.TABLE_NAME_ENV] == retained
    table_arn = {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, f":dynamodb:{config.region}:{config.account}:table/{retained}"],
        ]
    }
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Action": list(COUNTER_TABLE_ACTIONS), "Resource": table_arn})]
                )
            }
        },
    )
    template.has_output(TABLE_NAME_OUTPUT, {"Value": retained})


def test_the_preflight_finds_a_kept_visits_table_by_the_logical_id_the_stack_gives_it(
    template_json: dict[str, Any],
) -> None:
    # CloudFormation names a table `<stack>-<logical id>-<suffix>`; make preflight looks for kept ones by that prefix.
    visits_table = template_json["Outputs"][TABLE_NAME_OUTPUT]["Value"]["Ref"]
    assert template_json["Resources"][visits_table]["Type"] == "AWS::DynamoDB::GlobalTable"
    assert visits_table.startswith(TABLE_LOGICAL_ID_PREFIX)
