"""make cost's arithmetic on small cases checked by hand: free tiers shared between items, schedules,
X-Ray sampling, and a whole model of a one-function template with a stand-in measurement."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from functions.common import catalog
from stack_model.schedules import SECONDS_PER_MONTH, runs_per_month
from stack_model.stack import StackModel
from tools.cost import assumptions
from tools.cost.measure import COUNTED_VISIT, DOWNLOAD, GET_VISITS, LINK_VIEW, SOURCE_VIEW, RequestCost
from tools.cost.model import CostInputs, VisitMix, cost_model, platform_bytes, sampled_traces
from tools.cost.prices import GB, UnpricedRegionError, Usage, bill, load_prices

PRICES: dict[str, Any] = {
    "http_api_requests": {"value": 1.0},
    "rest_api_requests": {"value": 3.5},
    "lambda_requests": {"value": 0.2},
    "lambda_gb_second_arm64": {"value": 0.00001},
    "lambda_gb_second_x86_64": {"value": 0.00002},
    "lambda_free_requests": {"value": 1_000_000},
    "lambda_free_gb_seconds": {"value": 400_000},
    "dynamodb_write_request_units": {"value": 0.5},
    "dynamodb_read_request_units": {"value": 0.1},
    "logs_ingestion": {"value": 0.5},
    "logs_storage": {"value": 0.03},
    "logs_free_gb": {"value": 5},
    "cloudwatch_alarm_metric": {"value": 0.1},
    "cloudwatch_free_alarm_metrics": {"value": 10},
    "cloudwatch_custom_metric": {"value": 0.3},
    "cloudwatch_free_custom_metrics": {"value": 10},
}


@pytest.fixture
def price_file(tmp_path: Path) -> Path:
    entries = {
        key: entry | {"unit": "u", "source": "https://x", "seen_at": "https://y"} for key, entry in PRICES.items()
    }
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"as_of": "2026-12-01", "regions": {"r-1": entries}}))
    return path


def test_a_free_tier_is_taken_once_from_the_total_and_shared_pools_in_order(price_file: Path) -> None:
    # Given two components making 600,000 Lambda requests each, and GB-seconds on both architectures
    prices = load_prices("r-1", path=price_file)
    usage = [
        Usage("a", "lambda_requests", 600_000, ""),
        Usage("b", "lambda_requests", 600_000, ""),
        Usage("a", "lambda_gb_seconds_arm64", 300_000, ""),
        Usage("b", "lambda_gb_seconds_x86_64", 300_000, ""),
    ]
    # When they are billed
    result = bill(usage, prices)
    # Then the list price is every item's; the 1 M free requests come off once; the 400,000 free GB-s cover arm64
    # first and 100,000 of the x86_64 ones
    assert result.list_usd == pytest.approx(1.2 * 0.2 + 300_000 * 0.00001 + 300_000 * 0.00002)
    assert result.after_free_usd == pytest.approx(0.2 * 0.2 + 200_000 * 0.00002)
    assert result.by_component() == pytest.approx({"a": 0.12 + 3.0, "b": 0.12 + 6.0})


def test_a_region_without_prices_is_refused_unless_another_regions_prices_are_asked_for(price_file: Path) -> None:
    # A deploy to a region the file lacks gets no figures by default: they would look as sure as a priced region's
    with pytest.raises(UnpricedRegionError, match=r"xx-nowhere-1.*r-1.*--region"):
        load_prices("xx-nowhere-1", path=price_file)
    # Asked for, another region's prices are used and the book says whose they are
    prices = load_prices("xx-nowhere-1", priced_at="r-1", path=price_file)
    assert (prices.fallback, prices.region, prices.priced_region) == (True, "xx-nowhere-1", "r-1")
    # A region the file lacks too is refused, not silently replaced
    with pytest.raises(UnpricedRegionError, match="xx-other-1"):
        load_prices("r-1", priced_at="xx-other-1", path=price_file)
    # A priced region asked for by name is its own
    assert not load_prices("r-1", priced_at="r-1", path=price_file).fallback


@pytest.mark.parametrize(
    ("expression", "runs"),
    [
        ("rate(10 minutes)", 30 * 144),
        ("rate(1 hour)", 720),
        ("cron(0 8 ? * MON *)", 30 / 7),
        ("cron(0 8 ? * MON-FRI *)", 5 * 30 / 7),
        ("cron(0/15 * * * ? *)", 4 * 24 * 30),
        ("cron(30 6 1 * ? *)", 1),
        ("at(2026-12-24T18:00:00)", 0),
    ],
)
def test_schedules_run_so_often_in_a_30_day_month(expression: str, runs: float) -> None:
    assert runs_per_month(expression) == pytest.approx(runs)


def test_active_tracing_samples_a_smaller_share_as_traffic_grows() -> None:
    # A few requests a month: each is the first of its second, so nearly all are traced
    assert sampled_traces(1000) == pytest.approx(1000, rel=1e-3)
    # Sustained 20/s: the first of each second and 5 % of the other 19
    assert sampled_traces(20 * SECONDS_PER_MONTH) == pytest.approx(SECONDS_PER_MONTH * (1 + 0.05 * 19), rel=1e-6)
    shares = [sampled_traces(v) / v for v in (1e5, 1e6, 1e7, 1e8)]
    assert shares == sorted(shares, reverse=True)


def _template(tracing: str) -> dict[str, Any]:
    counter = {
        "Handler": catalog.COUNTER_HANDLER,
        "MemorySize": 1024,
        "Architectures": ["arm64"],
        "TracingConfig": {"Mode": tracing},
    }
    return {
        "Resources": {
            "Counter": {"Type": "AWS::Lambda::Function", "Properties": counter},
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}},
            **{
                f"Alarm{n}": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"MetricName": "Errors", "Period": 300}}
                for n in range(12)
            },
        }
    }


def _request(writes: int, log_bytes: int) -> RequestCost:
    return RequestCost({"UpdateItem": writes}, "x" * log_bytes, "")


def _inputs() -> CostInputs:
    """A counter at 1 GB on arm64 without tracing, 12 one-metric alarms, a 1/s guard; a visit makes 2 writes and
    1,000 log bytes, a view from a referrer 2 and 1,100, a link's view 3 and 1,000, a download 2 and 0."""
    measured = {
        COUNTED_VISIT: _request(2, 1000),
        GET_VISITS: _request(0, 10),
        SOURCE_VIEW: _request(2, 1100),
        LINK_VIEW: _request(3, 1000),
        DOWNLOAD: _request(2, 0),
    }
    return CostInputs(
        stack=StackModel.from_template(_template("PassThrough")),
        requests=measured,
        probe=None,
        access_log_line="",
        guard_rate_per_second=1,
    )


def _request_by_hand(writes: int, log_bytes: int, platform: int) -> float:
    """A million requests at PRICES: API requests, invocations, GB-seconds at 1 GB, writes, logs in and stored."""
    gb = (log_bytes + platform) * 1e6 / GB
    return 1.0 + 0.2 + 1e6 * 1.0 * assumptions.COUNTER_BILLED_MS / 1000 * 0.00001 + writes * 0.5 + gb * (0.5 + 0.03)


def test_a_small_stack_costs_what_a_hand_count_says(price_file: Path) -> None:
    # Given a counter at 1 GB on arm64 without tracing, 12 one-metric alarms, a 1/s guard, and a visit that
    # makes 2 writes and 1,000 log bytes
    inputs = _inputs()
    platform = platform_bytes(inputs.counter)
    # When the model is computed
    model = cost_model(inputs, load_prices("r-1", path=price_file))
    # Then the fixed month is the 12 alarm metrics, 2 after the 10 free ones
    assert model.fixed.list_usd == pytest.approx(1.2)
    assert model.fixed.after_free_usd == pytest.approx(0.2)
    # And a million visits cost their requests, GB-seconds, writes and logs, by hand:
    visit_gb = (1000 + platform) * 1e6 / GB
    by_hand = 1.0 + 0.2 + 1e6 * 1.0 * assumptions.COUNTER_BILLED_MS / 1000 * 0.00001 + 2 * 0.5
    by_hand += visit_gb * 0.5 + visit_gb * 0.03
    assert model.plain_views.list_usd == pytest.approx(by_hand)
    # And the common REST-API design's million page views: REST requests, the same invocations, 1 WRU each
    common = 3.5 + 0.2 + 1e6 * 1.0 * assumptions.COUNTER_BILLED_MS / 1000 * 0.00001 + 1 * 0.5
    assert model.common_design.list_usd == pytest.approx(common)
    # And the worst month is every second of 30 days at the guard's 1/s, no traces (PassThrough), on top of the fixed
    # month and the custom metrics the counter can publish (Visits, UniqueVisitors, IgnoredVisits and one a reason),
    # billed by the month
    metrics = (3 + len(catalog.IGNORE_REASONS)) * 0.3
    assert model.guarded_visits == 2_592_000
    assert all(line.usage.key != "xray_traces" for line in model.guarded_month.lines)
    assert model.guarded_month.list_usd == pytest.approx(model.fixed.list_usd + metrics + 2.592 * by_hand)


def test_per_million_visits_all_in_prices_each_part_as_its_request_in_the_mix(price_file: Path) -> None:
    # Given the small stack, and a mix of 20 % of views through a link and 0.5 downloads a view
    inputs, prices = _inputs(), load_prices("r-1", path=price_file)
    platform = platform_bytes(inputs.counter)
    # When the model is computed with that mix
    model = cost_model(inputs, prices, VisitMix(link_view_share=0.2, downloads_per_visit=0.5))
    # Then a million visits are 800,000 views, 200,000 link views and 500,000 downloads, each priced as its measured
    # request, by hand: the parts and their sum
    view, link, download = (_request_by_hand(w, b, platform) for w, b in ((2, 1100), (3, 1000), (2, 0)))
    parts = {"views": 0.8 * view, "link views": 0.2 * link, "downloads": 0.5 * download}
    assert model.all_in.by_component() == pytest.approx(parts)
    assert model.all_in.list_usd == pytest.approx(sum(parts.values()))
    # And the plain view's figure is the plain visit's, whatever the mix
    assert model.plain_views.list_usd == pytest.approx(_request_by_hand(2, 1000, platform))
    # And without links or downloads, all in is a million views from a referrer
    plain = cost_model(inputs, prices, VisitMix(link_view_share=0, downloads_per_visit=0))
    assert plain.all_in.list_usd == pytest.approx(view)
