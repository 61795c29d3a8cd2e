"""The deployment config: cdk.json's values load, overrides apply, and a bad value names its key."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.config import REPO_ROOT, ConfigError, load_config, overrides_from_context


def _context() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return loaded


def test_cdk_json_config_loads() -> None:
    config = load_config(_context())
    assert config.counter_timeout_seconds < 30
    assert config.alarm_thresholds.api_requests_per_5_minutes.value > 0


def test_command_line_overrides_are_parsed_as_json_or_taken_as_strings() -> None:
    context = _context() | {
        "config.account": "123456789012",  # digits parse as a JSON number; still the account id
        "config.counter_memory_mb": "512",
        "config.region": "us-west-2",
        "config.counter_reserved_concurrency": "null",
        "config.alarm_thresholds.api_p99_latency_ms": "900",
    }
    config = load_config(context, overrides_from_context(context))
    assert config.counter_memory_mb == 512
    assert config.account == "123456789012"
    assert config.region == "us-west-2"
    assert config.counter_reserved_concurrency is None
    assert config.alarm_thresholds.api_p99_latency_ms.value == 900


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("site_origins", '["https://example.com/"]', "config key 'site_origins[0]'"),
        ("site_origins", '["*"]', "config key 'site_origins[0]'"),
        ("site_origins", '["https://Example.com"]', "config key 'site_origins[0]'"),
        ("site_origins", '["https://a.dev", "https://a.dev"]', "config key 'site_origins': has duplicates"),
        ("counter_timeout_seconds", "30", "config key 'counter_timeout_seconds'"),
        ("counter_memory_mb", "true", "config key 'counter_memory_mb'"),
        ("log_retention_days", "10", "config key 'log_retention_days'"),
        ("account", "12345", "config key 'account'"),
        ("alert_recipients", "[]", "config key 'alert_recipients'"),
        ("alert_recipients", '["not-an-email"]', "config key 'alert_recipients[0]'"),
        ("hosting", "heroku", "config key 'hosting'"),
        ("alarm_thresholds.api_5xx_per_5_minutes", "0", "config key 'alarm_thresholds.api_5xx_per_5_minutes'"),
        ("api_throttle_burst_requests", "1", "must be at least api_throttle_rate_per_second"),
        # the throttle guard only ever lowers the stage throttle (cdk.json: 20 requests/s, burst 40)
        ("guard_rate_per_second", "20", "'guard_rate_per_second': 20 must be below api_throttle_rate_per_second (20)"),
        ("guard_burst_requests", "40", "'guard_burst_requests': 40 must be below api_throttle_burst_requests (40)"),
        ("guard_burst_requests", "1", "'guard_burst_requests': must be at least guard_rate_per_second"),
        ("guard_rate_per_second", "0", "config key 'guard_rate_per_second'"),
        # a network (everyone behind one address) counts at least what one of its visitors may (cdk.json: 3)
        ("max_views_per_network_per_day", "2", "'max_views_per_network_per_day': must be at least max_views_per"),
        ("max_views_per_network_per_day", "0", "config key 'max_views_per_network_per_day'"),
        ("monthly_budget_usd", "0", "config key 'monthly_budget_usd'"),
        ("monthly_budget_usd", "4.5", "config key 'monthly_budget_usd'"),
        ("colour", "blue", "unknown config key(s): colour"),
        ("alarm_thresholds.typo", "1", "unknown config key(s): alarm_thresholds.typo"),
    ],
)
def test_a_bad_value_stops_with_an_error_naming_the_key(key: str, value: str, message: str) -> None:
    context = _context() | {f"config.{key}": value}
    with pytest.raises(ConfigError) as raised:
        load_config(context, overrides_from_context(context))
    assert message in str(raised.value)


def test_a_missing_key_is_named() -> None:
    context = _context()
    del context["config"]["sender_email"]
    with pytest.raises(ConfigError, match="config key 'sender_email' is missing"):
        load_config(context)


def test_configuration_doc_is_generated_from_the_current_schema() -> None:
    # The doc lists every key with cdk.json's value; regenerate with `python -m tools.docs_gen`.
    from tools.docs_gen import CONFIGURATION_DOC, render

    assert CONFIGURATION_DOC.read_text() == render(), "docs/configuration.md is stale: run python -m tools.docs_gen"
