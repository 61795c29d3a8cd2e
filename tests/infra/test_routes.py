"""The API's routes come from the catalog and are the ones the counter serves."""

from __future__ import annotations

from aws_cdk.assertions import Template

from functions.common import catalog
from functions.counter import app


def test_the_api_routes_are_the_catalogs_and_the_counter_serves_each(template: Template) -> None:
    routes = template.find_resources("AWS::ApiGatewayV2::Route").values()
    route_keys = sorted(route["Properties"]["RouteKey"] for route in routes)
    assert route_keys == sorted(f"{m} {path}" for path, methods in catalog.COUNTER_ROUTES.items() for m in methods)
    assert {path: tuple(methods) for path, methods in app.ROUTES.items()} == catalog.COUNTER_ROUTES
