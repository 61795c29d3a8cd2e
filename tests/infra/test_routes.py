"""The API's routes come from the catalog and are ones the counter can serve: its router matches exact paths, so
infra refuses at synth an API Gateway path template the counter would answer 404 to."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Template

from functions.common import catalog
from functions.counter import app
from infra.app import build_app


def test_the_api_routes_are_the_catalogs_and_the_counter_serves_each(template: Template) -> None:
    routes = template.find_resources("AWS::ApiGatewayV2::Route").values()
    route_keys = sorted(route["Properties"]["RouteKey"] for route in routes)
    assert route_keys == sorted(f"{m} {path}" for path, methods in catalog.COUNTER_ROUTES.items() for m in methods)
    assert {path: tuple(methods) for path, methods in app.ROUTES.items()} == catalog.COUNTER_ROUTES


@pytest.mark.parametrize("path", ["/visits/{id}", "/{proxy+}"])
def test_a_route_template_the_counter_cannot_serve_fails_synth(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    # Given a route with an API Gateway path template
    routes: dict[str, Any] = dict(catalog.COUNTER_ROUTES) | {path: ("GET",)}
    monkeypatch.setattr(catalog, "COUNTER_ROUTES", routes)
    # When the app is built, then it refuses, naming the route
    with pytest.raises(ValueError, match="exact paths") as refused:
        build_app()
    assert path in str(refused.value)
