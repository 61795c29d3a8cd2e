"""The real price file: eu-west-1 and us-east-1 each priced with their own figures, every figure from AWS's own
pages, and a figure that is another region's marked as such and said so in the output."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

import pytest

from tools.cost.prices import PRICES_FILE, load_prices

PRICED = ("eu-west-1", "us-east-1")
AWS_HOSTS = ("aws.amazon.com", "docs.aws.amazon.com", "pricing.us-east-1.amazonaws.com")
"""AWS's pricing pages, its documentation and whitepapers, and its Price List files: never a third-party page."""


def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(PRICES_FILE.read_text())
    return document


def test_both_regions_price_the_same_keys() -> None:
    regions = _document()["regions"]
    assert sorted(regions) == sorted(PRICED)
    assert set(regions["eu-west-1"]) == set(regions["us-east-1"])


@pytest.mark.parametrize("region", PRICED)
def test_every_figure_is_read_on_an_aws_page(region: str) -> None:
    for key, entry in _document()["regions"][region].items():
        for field in ("source", "seen_at"):
            assert urlparse(entry[field]).hostname in AWS_HOSTS, (region, key, field, entry[field])
        # A Price List file is read by its row, and only the region's own file holds the region's figure
        if urlparse(entry["seen_at"]).hostname == "pricing.us-east-1.amazonaws.com":
            assert f"/{region}/index.json" in entry["seen_at"], (region, key)


def test_eu_west_1_is_priced_with_its_own_figures() -> None:
    # Given the two regions' books
    ireland, virginia = load_prices("eu-west-1"), load_prices("us-east-1")
    # Then each is its own region's, not a fallback
    assert (ireland.priced_region, ireland.fallback) == ("eu-west-1", False)
    assert (virginia.priced_region, virginia.fallback) == ("us-east-1", False)
    # And the figures that differ between the two regions differ in the books (the Price List rows for Ireland)
    assert ireland.value("http_api_requests") == pytest.approx(1.11)
    assert virginia.value("http_api_requests") == pytest.approx(1.0)
    assert ireland.value("dynamodb_write_request_units") == pytest.approx(0.705)
    assert ireland.value("dynamodb_read_request_units") == pytest.approx(0.1415)
    assert ireland.value("logs_ingestion") > virginia.value("logs_ingestion")


def test_a_figure_borrowed_from_another_region_says_so() -> None:
    for region in PRICED:
        for key, price in load_prices(region).prices.items():
            if "borrowed_from" in price:
                # It names a region the file prices, other than its own, and its note says where to check it
                assert price["borrowed_from"] in PRICED, key
                assert price["borrowed_from"] != region, key
                assert "seen_at" in price["note"], key
    # The always-free tiers are the same in every region: never a borrowed figure
    for key in ("lambda_free_requests", "cloudwatch_free_alarm_metrics", "logs_free_gb", "xray_free_traces"):
        assert "borrowed_from" not in load_prices("eu-west-1").prices[key]
        assert load_prices("eu-west-1").value(key) == load_prices("us-east-1").value(key)
