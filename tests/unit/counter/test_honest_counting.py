"""What is counted and what is not: crawlers, the daily limit, retries of one visit, the UTC day, privacy, and an
upgrade from the first counter. The real handler on moto, driven by real-shaped HTTP API v2 events."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from functions.common import catalog
from functions.counter import app
from functions.counter.visits import Totals, Visit, VisitCounter
from tests.support.dynamodb_faults import answer_lost, on_key, refused
from tests.support.lambda_output import emitted_metrics
from tests.unit.counter.conftest import CHROME, MAX_NETWORK_VIEWS, MAX_VIEWS, Invoke
from tools.local.lambda_runtime.events import LocalLambdaContext, http_api_event

FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.139 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)
BINGBOT = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
HEADLESS_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"
)


def _figures(response: dict[str, object]) -> dict[str, object]:
    assert response["statusCode"] == 200, response
    body: dict[str, object] = json.loads(str(response["body"]))
    return body


def _post(
    invoke: Invoke, *, ip: str = "198.51.100.20", ua: str = CHROME, visit_id: str = "visit-0001"
) -> dict[str, object]:
    return _figures(invoke("POST", source_ip=ip, headers={"user-agent": ua}, body=json.dumps({"visit_id": visit_id})))


@pytest.mark.parametrize(
    "user_agent", [GOOGLEBOT, BINGBOT, HEADLESS_CHROME, ""], ids=["googlebot", "bingbot", "headless", "empty"]
)
def test_crawlers_and_requests_without_user_agent_are_answered_but_not_counted(
    invoke: Invoke, lambda_stdout: Callable[[], str], user_agent: str
) -> None:
    # Given a crawler (or a request without a User-Agent) posting a visit
    figures = _post(invoke, ua=user_agent)
    # Then it gets the figures as usual, and nothing was counted, and why
    reason = catalog.IGNORED_NO_USER_AGENT if not user_agent else catalog.IGNORED_CRAWLER
    assert figures == {
        "count": 0,
        "unique_visitors": 0,
        "today": {"count": 0, "unique_visitors": 0},
        "counted": False,
        "reason": reason,
    }
    # And it is counted as ignored, in total and by reason, and never as a visit
    metrics = [(m.name, m.dimensions) for m in emitted_metrics(lambda_stdout())]
    service = {catalog.SERVICE_DIMENSION: catalog.COUNTER_SERVICE}
    assert sorted(metrics, key=str) == sorted(
        [
            (catalog.IGNORED_VISITS_METRIC, service),
            (catalog.IGNORED_VISITS_METRIC, {**service, catalog.IGNORE_REASON_DIMENSION: reason}),
        ],
        key=str,
    )


def test_an_ignored_crawler_writes_nothing(invoke: Invoke, visits_table: str) -> None:
    written: list[str] = []
    counter = app.visit_counter()
    counter.client.meta.events.register("before-call.dynamodb.*", lambda model, **_: written.append(model.name))
    _post(invoke, ua=GOOGLEBOT)
    assert written == ["GetItem"]  # the figures it is answered; no write


@pytest.mark.parametrize("user_agent", [CHROME, FIREFOX, SAFARI_IOS], ids=["chrome", "firefox", "safari-ios"])
def test_current_browsers_are_counted(invoke: Invoke, user_agent: str) -> None:
    figures = _post(invoke, ua=user_agent)
    assert figures == {"count": 1, "unique_visitors": 1, "today": {"count": 1, "unique_visitors": 1}, "counted": True}


def test_a_retried_visit_is_counted_once(invoke: Invoke) -> None:
    # Given a visit answered 200 / When the browser sends it again (same visit_id)
    first = _post(invoke, visit_id="same-visit-id")
    again = _post(invoke, visit_id="same-visit-id")
    # Then the retry is answered with the figures, and the visit counted once
    figures = {"count": 1, "unique_visitors": 1, "today": {"count": 1, "unique_visitors": 1}}
    assert first == {**figures, "counted": True}
    assert again == {**figures, "counted": False, "reason": catalog.ALREADY_COUNTED_REASON}


def test_reloads_beyond_the_daily_limit_are_ignored(invoke: Invoke, lambda_stdout: Callable[[], str]) -> None:
    # Given one visitor posting more visits than the daily limit (a script, or sessionStorage cleared each time)
    for i in range(MAX_VIEWS + 2):
        figures = _post(invoke, visit_id=f"reload-{i:04d}")
    # Then the limit's views count, by one unique visitor
    assert figures == {
        "count": MAX_VIEWS,
        "unique_visitors": 1,
        "today": {"count": MAX_VIEWS, "unique_visitors": 1},
        "counted": False,
        "reason": catalog.IGNORED_OVER_DAILY_LIMIT,
    }
    over = [m for m in emitted_metrics(lambda_stdout()) if catalog.IGNORE_REASON_DIMENSION in m.dimensions]
    assert [m.dimensions[catalog.IGNORE_REASON_DIMENSION] for m in over] == [catalog.IGNORED_OVER_DAILY_LIMIT] * 2


def test_a_retry_is_answered_as_counted_even_once_its_network_is_at_its_limit(invoke: Invoke) -> None:
    # Given a counted visit, then other browsers on the same address filling the network's daily limit
    _post(invoke, ip="198.51.100.33", visit_id="counted-early")
    for i in range(MAX_NETWORK_VIEWS - 1):
        _post(invoke, ip="198.51.100.33", ua=f"{CHROME} reader/{i}", visit_id=f"reader-{i:04d}")
    assert _post(invoke, ip="198.51.100.33", ua=FIREFOX, visit_id="one-too-many")["reason"] == (
        catalog.IGNORED_OVER_NETWORK_LIMIT
    )
    # When the first visit is retried / Then it is answered as the visit it is: counted already
    retried = _post(invoke, ip="198.51.100.33", visit_id="counted-early")
    assert (retried["counted"], retried["reason"], retried["count"]) == (
        False,
        catalog.ALREADY_COUNTED_REASON,
        MAX_NETWORK_VIEWS,
    )


def test_a_refused_totals_write_is_undone_so_the_retry_counts_the_visit_once(invoke: Invoke) -> None:
    # Given DynamoDB throttles the write of the totals (nothing applied)
    counter = app.visit_counter()
    with refused(counter.client, "UpdateItem", "ThrottlingException", when=on_key(catalog.VISITS_ITEM_KEY)):
        response = invoke("POST", source_ip="198.51.100.30", body='{"visit_id": "throttled-visit"}')
    assert response["statusCode"] == 503
    # When the browser retries the visit / Then it is counted, once
    assert _post(invoke, ip="198.51.100.30", visit_id="throttled-visit")["count"] == 1
    assert _post(invoke, ip="198.51.100.30", visit_id="throttled-visit")["count"] == 1


def test_a_lost_totals_answer_is_not_counted_again_on_retry(invoke: Invoke) -> None:
    # Given the totals write is applied but its answer is lost (the client times out)
    counter = app.visit_counter()
    with answer_lost(counter.client, "UpdateItem", when=on_key(catalog.VISITS_ITEM_KEY)) as lost:
        response = invoke("POST", source_ip="198.51.100.31", body='{"visit_id": "lost-answer-visit"}')
    assert (response["statusCode"], lost) == (503, [1])
    # When the browser retries / Then the visit is answered as counted, and counted once
    assert _post(invoke, ip="198.51.100.31", visit_id="lost-answer-visit")["count"] == 1


def test_a_lost_gate_answer_is_undone_and_the_retry_counts_once(invoke: Invoke) -> None:
    counter = app.visit_counter()
    with answer_lost(counter.client, "UpdateItem", when=on_key(catalog.NETWORK_KEY_PREFIX)) as lost:
        response = invoke("POST", source_ip="198.51.100.32", body='{"visit_id": "lost-gate-visit"}')
    assert (response["statusCode"], lost) == (503, [1])
    assert _post(invoke, ip="198.51.100.32", visit_id="lost-gate-visit")["count"] == 1
    assert _post(invoke, ip="198.51.100.32", visit_id="lost-gate-visit")["count"] == 1


def test_a_visitor_at_23_59_59_and_00_00_01_utc_is_unique_on_both_days(visits_table: str) -> None:
    # Given a container whose clock reads 23:59:59 UTC, then 00:00:01 the next day
    times = iter([datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC), datetime(2026, 12, 2, 0, 0, 1, tzinfo=UTC)])
    now = [next(times)]
    client = boto3.client("dynamodb")
    counter = _counter(client, visits_table, clock=lambda: now[0])
    ip = "198.51.100.40"
    # When the same visitor comes on both sides of midnight
    before = counter.record_visit(Visit(visit_id="before-midnight", source_ip=ip, user_agent=FIREFOX)).totals
    now[0] = next(times)
    after = counter.record_visit(Visit(visit_id="after-midnight", source_ip=ip, user_agent=FIREFOX)).totals
    # Then they are a unique visitor of each day, and today's figures start again at midnight
    assert (before.unique_visitors, before.today_unique_visitors, before.today_count) == (1, 1, 1)
    assert (after.count, after.unique_visitors, after.today_unique_visitors, after.today_count) == (2, 2, 1, 1)
    # And each day has its own salt
    salts = [
        i for i in _items(visits_table) if i[catalog.VISITS_PARTITION_KEY]["S"].startswith(catalog.SALT_KEY_PREFIX)
    ]
    assert sorted(i[catalog.VISITS_PARTITION_KEY]["S"] for i in salts) == ["salt#2026-12-01", "salt#2026-12-02"]


def test_a_request_that_began_before_midnight_adds_to_the_totals_but_not_to_the_new_day(visits_table: str) -> None:
    # Given one container already counting the new UTC day, and another whose clock still reads the old one
    client = boto3.client("dynamodb")

    def container(at: datetime) -> VisitCounter:
        return _counter(client, visits_table, clock=lambda: at)

    new_day = container(datetime(2026, 12, 2, 0, 0, 1, tzinfo=UTC))
    old_day = container(datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC))
    new_day.record_visit(Visit(visit_id="after-midnight", source_ip="198.51.100.60", user_agent=FIREFOX))
    # When the late request of the old day is counted
    late = old_day.record_visit(Visit(visit_id="before-midnight", source_ip="198.51.100.61", user_agent=FIREFOX))
    # Then it counts in the totals, and the new day's figures are left alone
    assert (late.totals.count, late.totals.unique_visitors) == (2, 2)
    assert new_day.totals() == Totals(count=2, unique_visitors=2, today_count=1, today_unique_visitors=1)


def test_the_salt_is_read_once_per_container_per_day(invoke: Invoke) -> None:
    calls: list[tuple[str, str]] = []

    def record(model: object, params: dict[str, Any], **_: object) -> None:
        request = json.loads(params["body"])
        item: dict[str, Any] = request.get("Key") or request.get("Item")
        calls.append(
            (getattr(model, "name", ""), item[catalog.VISITS_PARTITION_KEY]["S"][: len(catalog.SALT_KEY_PREFIX)])
        )

    counter = app.visit_counter()
    for client in (counter.client,):
        client.meta.events.register("before-call.dynamodb.*", record)
    # Given a container's first three POSTs of the day
    for i in range(3):
        _post(invoke, ip=f"198.51.100.{50 + i}")
    # Then the salt was looked up once, and created once (the day had none)
    assert [call for call in calls if call[1] == catalog.SALT_KEY_PREFIX] == [
        ("GetItem", "salt#"),
        ("PutItem", "salt#"),
    ]


def test_an_upgraded_table_keeps_its_count(invoke: Invoke, visits_table: str) -> None:
    # Given the item the first counter wrote: only the total
    boto3.client("dynamodb").put_item(
        TableName=visits_table,
        Item={
            catalog.VISITS_PARTITION_KEY: {"S": catalog.VISITS_ITEM_KEY},
            catalog.VISITS_COUNT_ATTRIBUTE: {"N": "41"},
        },
    )
    # When the figures are read, then a visit posted
    read = _figures(invoke("GET"))
    posted = _post(invoke)
    # Then the total carries on; unique visitors start now
    assert read == {"count": 41, "unique_visitors": 0, "today": {"count": 0, "unique_visitors": 0}}
    assert posted == {"count": 42, "unique_visitors": 1, "today": {"count": 1, "unique_visitors": 1}, "counted": True}


def test_no_table_item_and_no_log_line_holds_the_ip_or_the_user_agent(
    invoke: Invoke, visits_table: str, lambda_stdout: Callable[[], str]
) -> None:
    # Given visits of every kind from addresses and User-Agents that are easy to find
    visitors = [("203.0.113.77", FIREFOX), ("2001:db8::7", SAFARI_IOS), ("203.0.113.78", GOOGLEBOT)]
    context = LocalLambdaContext(function_name="visit-counter")
    for ip, ua in visitors:
        for i, body in enumerate(['{"visit_id": "private-visit-1"}', '{"visit_id": "private-visit-1"}', "{bad"]):
            event = http_api_event("POST", "/visits", headers={"user-agent": ua}, body=body, source_ip=ip)
            app.lambda_handler(event, context)
            if i == 0:
                app.lambda_handler(http_api_event("GET", "/visits", headers={"user-agent": ua}, source_ip=ip), context)
    for i in range(MAX_VIEWS + 1):
        app.lambda_handler(
            http_api_event(
                "POST",
                "/visits",
                headers={"user-agent": FIREFOX},
                source_ip="203.0.113.77",
                body=f'{{"visit_id": "more-{i:04d}"}}',
            ),
            context,
        )
    # When every item of the table and every line the Lambda printed are searched
    stored = "\n".join(repr(item) for item in _items(visits_table))
    printed = lambda_stdout()
    assert catalog.NETWORK_KEY_PREFIX in stored  # the search has something to search
    assert '"status": 400' in printed or '"status":400' in printed  # the "{bad" requests' log lines
    # Then neither any address nor any User-Agent (nor a distinctive part of one) is there
    for ip, ua in visitors:
        for secret in (ip, ua, ua.split(") ")[-1]):
            assert secret not in stored
            assert secret not in printed


def _counter(client: Any, table_name: str, *, clock: Callable[[], datetime]) -> VisitCounter:
    return VisitCounter(
        client=client,
        table_name=table_name,
        max_views_per_day=MAX_VIEWS,
        max_views_per_network_per_day=MAX_NETWORK_VIEWS,
        clock=clock,
    )


def _items(table_name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = boto3.client("dynamodb").scan(TableName=table_name)["Items"]
    return items
