"""The local system over HTTP, as the site and a visitor's browser use it."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from functions.common import catalog
from tools import verify
from tools.local.system import LocalSystem

pytestmark = pytest.mark.e2e

CLIENTS = 8
REQUESTS_PER_CLIENT = 25
"""8 visitors at once through the whole local path (API, runtime, emulator). The counter's own race at volume is
tests/integration/counter/test_concurrency.py's (16 containers x 50 visits); here the concurrency is what matters."""


FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


def _count(system: LocalSystem) -> int:
    return int(requests.get(f"{system.api_url}/visits", timeout=5).json()["count"])


def test_concurrent_visits_are_counted_exactly(local_system: LocalSystem) -> None:
    # Given the current count
    before = _count(local_system)

    # When 8 clients post 25 visits each at once (below the stage's burst, so none is throttled), each visit
    # from another browser: all come from 127.0.0.1, so the User-Agent tells the visitors apart
    def visit(client: int) -> list[dict[str, object]]:
        with requests.Session() as session:
            answers = []
            for i in range(REQUESTS_PER_CLIENT):
                headers = {"user-agent": f"{FIREFOX} e2e/{client}.{i}", "content-type": "text/plain"}
                body = json.dumps({"visit_id": f"e2e-visit-{client:02d}-{i:03d}"})
                response = session.post(f"{local_system.api_url}/visits", headers=headers, data=body, timeout=10)
                # Throttled by the stage (429), or the store slow on a busy machine (503: maybe not counted):
                # retried with the same visit_id, as the site's script does; a retry is never counted twice.
                while response.status_code in (429, 503):
                    response = session.post(f"{local_system.api_url}/visits", headers=headers, data=body, timeout=10)
                assert response.status_code == 200, response.text
                answers.append(response.json())
            return answers

    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = [answer for answers in pool.map(visit, range(CLIENTS)) for answer in answers]
    # Then every visit was counted at most once, and every one answered `counted: true` was: all 200, unless a
    # visit whose slow write outran its own undo was lost, which its retry was told (already_counted)
    counted = sum(1 for answer in answers if answer["counted"])
    assert {answer.get("reason") for answer in answers if not answer["counted"]} <= {catalog.ALREADY_COUNTED_REASON}
    assert before + counted <= _count(local_system) <= before + CLIENTS * REQUESTS_PER_CLIENT


def test_cors_preflight_from_the_site_origin_is_allowed(local_system: LocalSystem) -> None:
    response = requests.options(
        f"{local_system.api_url}/visits",
        headers={"Origin": local_system.site_origin, "Access-Control-Request-Method": "POST"},
        timeout=5,
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == local_system.site_origin
    assert "POST" in response.headers["access-control-allow-methods"]


def test_cors_from_another_origin_is_refused(local_system: LocalSystem) -> None:
    stranger = "https://evil.example"
    preflight = requests.options(
        f"{local_system.api_url}/visits",
        headers={"Origin": stranger, "Access-Control-Request-Method": "POST"},
        timeout=5,
    )
    assert "access-control-allow-origin" not in preflight.headers
    simple = requests.get(f"{local_system.api_url}/visits", headers={"Origin": stranger}, timeout=5)
    assert "access-control-allow-origin" not in simple.headers


def test_site_is_served_naming_the_local_api(local_system: LocalSystem) -> None:
    page = requests.get(local_system.site_origin + "/", timeout=5)
    assert page.status_code == 200
    assert "data-visit-counter" in page.text
    # The counter finds the local API in the page itself: there is no config file to fetch first
    target = verify.target(api_url=local_system.api_url, site_url=local_system.site_origin + "/")
    assert verify.page_api_problems(page.text, target) == []
    assert requests.get(local_system.site_origin + "/config.json", timeout=5).status_code == 404


def test_api_errors_are_json_client_errors(local_system: LocalSystem) -> None:
    response = requests.post(f"{local_system.api_url}/visits", data="{oops", timeout=5)
    assert response.status_code == 400
    assert response.json()["error"] == "malformed_body"
