"""Sources, application links and downloads (issue #23): counted under the same honesty rules as visits, in the
same two writes for a view without a link, and nothing of the referrer but its source's name kept anywhere.
The real handler on moto, driven by real-shaped HTTP API v2 events."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from functions.common import catalog
from functions.counter import app
from functions.counter.sources import curated_sources, source_names, source_of
from functions.counter.visits import Visit, VisitCounter
from tests.support.dynamodb_faults import on_key, refused
from tests.support.item_size import item_size_bytes
from tests.support.openapi import assert_matches_spec
from tests.unit.counter.conftest import CHROME, MAX_VIEWS, SITE_ORIGIN, Invoke
from tools.link import create_link
from tools.stats import read_stats, render

FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
LINKEDIN_FEED = "https://www.linkedin.com/feed/?trk=abc"


def _post(invoke: Invoke, body: dict[str, Any], *, ip: str = "198.51.100.20", ua: str = CHROME) -> dict[str, Any]:
    response = invoke("POST", source_ip=ip, headers={"user-agent": ua}, body=json.dumps(body))
    assert_matches_spec(response, "/visits", "POST")
    answer: dict[str, Any] = json.loads(response["body"])
    return {"status": response["statusCode"], **answer}


def _item(table: str, key: str) -> dict[str, Any]:
    item: dict[str, Any] = (
        boto3.client("dynamodb")
        .get_item(TableName=table, Key={catalog.VISITS_PARTITION_KEY: {"S": key}})
        .get("Item", {})
    )
    return item


def _sources_today(table: str) -> dict[str, int]:
    prefix = catalog.SOURCE_ATTRIBUTE_PREFIX
    totals = _item(table, catalog.VISITS_ITEM_KEY)
    return {name[len(prefix) :]: int(value["N"]) for name, value in totals.items() if name.startswith(prefix)}


def _items(table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = boto3.client("dynamodb").scan(TableName=table)["Items"]
    return items


@pytest.mark.parametrize(
    ("referrer", "source"),
    [
        (LINKEDIN_FEED, "linkedin"),
        ("https://lnkd.in/eXaMple", "linkedin"),
        ("android-app://com.linkedin.android/", "linkedin"),
        ("https://uk.indeed.com/viewjob?jk=1", "indeed"),
        ("https://www.glassdoor.co.uk/", "glassdoor"),
        ("https://github.com/someone", "github"),
        ("https://www.google.co.uk/", "google"),
        ("https://www.bing.com/search?q=resume", "bing"),
        ("https://duckduckgo.com/", "other_search"),
        ("", "direct"),
        (f"{SITE_ORIGIN}/#experience", "direct"),
        ("https://blog.example.org/post", "other"),
        ("https://google.evil.example.net/", "other"),
        ("not a url", "other"),
    ],
)
def test_a_referrer_maps_to_its_source(referrer: str, source: str) -> None:
    assert source_of(referrer, frozenset({"resume.example.com"})) == source


def test_the_curated_list_is_valid_and_flags_the_job_boards() -> None:
    # The list in the repository loads (names checked), and the owner reads every source it can count
    names = source_names()
    assert names[-2:] == (catalog.SOURCE_DIRECT, catalog.SOURCE_OTHER)
    assert {"linkedin", "indeed", "glassdoor", "github", "google", "bing", "other_search"} <= set(names)
    assert {source.name for source in curated_sources() if source.job_board} == {"linkedin", "indeed", "glassdoor"}


def test_a_linkedin_referrer_is_counted_and_neither_its_path_nor_its_query_is_kept_anywhere(
    invoke: Invoke, visits_table: str, lambda_stdout: Callable[[], str]
) -> None:
    # Given a visit from a LinkedIn feed, a visit with an oversized referrer (a 400, which logs a line),
    # and one with a referrer of the wrong type
    counted = _post(invoke, {"visit_id": "visit-0001", "referrer": LINKEDIN_FEED, "ref": "acme-2026-12"})
    too_long = _post(invoke, {"visit_id": "visit-0002", "referrer": LINKEDIN_FEED + "x" * 800}, ip="198.51.100.21")
    wrong_type = _post(invoke, {"visit_id": "visit-0003", "referrer": ["feed", "trk=abc"]}, ip="198.51.100.22")
    # Then the first counts under linkedin, the others are client errors
    assert counted["counted"] is True
    assert _sources_today(visits_table) == {"linkedin": 1}
    assert (too_long["status"], too_long["error"]) == (400, "invalid_referrer")
    assert (wrong_type["status"], wrong_type["error"]) == (400, "invalid_referrer")
    # And no table item, log line or EMF document holds the referrer's path or query
    stored = "\n".join(repr(item) for item in _items(visits_table))
    printed = lambda_stdout()
    assert "linkedin" in stored  # the searches have something to search: the item, a log line, an EMF document
    assert '"status":400' in printed.replace(" ", "")
    assert catalog.VISITS_METRIC in printed
    for secret in ("feed", "trk=abc", "trk"):
        assert secret not in stored
        assert secret not in printed
        assert secret not in json.dumps([too_long, wrong_type])


def test_a_source_counts_once_per_visitor_per_day_on_their_first_counted_view(
    invoke: Invoke, visits_table: str
) -> None:
    # Given a visitor's first view from LinkedIn, a reload from Google, a retry of the first, and more views than
    # their daily limit
    _post(invoke, {"visit_id": "visit-0001", "referrer": LINKEDIN_FEED})
    _post(invoke, {"visit_id": "visit-0002", "referrer": "https://www.google.com/"})
    _post(invoke, {"visit_id": "visit-0001", "referrer": LINKEDIN_FEED})
    for i in range(MAX_VIEWS):
        _post(invoke, {"visit_id": f"more-{i:04d}", "referrer": "https://github.com/"})
    # And a crawler from GitHub, and another visitor of the same network who came direct
    _post(invoke, {"visit_id": "visit-0009", "referrer": "https://github.com/"}, ua=GOOGLEBOT)
    _post(invoke, {"visit_id": "visit-0010", "referrer": ""}, ua=FIREFOX)
    # Then only each visitor's first counted view counted a source
    assert _sources_today(visits_table) == {"linkedin": 1, "direct": 1}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"ref": "ACME"}, "invalid_ref"),
        ({"ref": "a" * 41}, "invalid_ref"),
        ({"ref": "-acme"}, "invalid_ref"),
        ({"ref": None}, "invalid_ref"),
        ({"kind": "pdf"}, "invalid_kind"),
        ({"kind": 1}, "invalid_kind"),
        ({"referrer": 7}, "invalid_referrer"),
    ],
)
def test_bad_new_fields_are_client_errors_that_count_nothing(
    invoke: Invoke, visits_table: str, body: dict[str, Any], error: str
) -> None:
    answer = _post(invoke, {"visit_id": "visit-0001", **body})
    assert (answer["status"], answer["error"]) == (400, error)
    assert _item(visits_table, catalog.VISITS_ITEM_KEY) == {}


def test_an_application_link_shows_first_and_last_opened_days_and_views(visits_table: str) -> None:
    client = boto3.client("dynamodb")
    assert create_link(client, visits_table, "acme-2026-12", today="2026-12-01") is True
    now = [datetime(2026, 12, 2, 9, tzinfo=UTC)]
    counter = _counter(client, visits_table, clock=lambda: now[0])
    # Given two readers opening the link on one day, and one on a later day
    counter.record_visit(Visit("visit-0001", "198.51.100.30", CHROME, source="direct", link="acme-2026-12"))
    counter.record_visit(Visit("visit-0002", "198.51.100.31", CHROME, source="direct", link="acme-2026-12"))
    now[0] = datetime(2026, 12, 5, 15, tzinfo=UTC)
    later = _counter(client, visits_table, clock=lambda: now[0])  # another container: no memory of the link
    later.record_visit(Visit("visit-0003", "198.51.100.32", CHROME, source="direct", link="acme-2026-12"))
    # Then the owner sees when it was first and last opened, on how many days, and its views
    [link] = read_stats(client, visits_table, today="2026-12-05", days=7).links
    assert (link.code, link.created, link.first_opened, link.last_opened, link.days, link.views) == (
        "acme-2026-12",
        "2026-12-01",
        "2026-12-02",
        "2026-12-05",
        2,
        3,
    )
    # And making the code again keeps its figures
    assert create_link(client, visits_table, "acme-2026-12", today="2026-12-06") is False
    assert read_stats(client, visits_table, today="2026-12-05", days=1).links == (link,)


def test_make_stats_words_each_link_as_the_digest_does_and_a_link_never_opened_says_so(visits_table: str) -> None:
    # Given a link opened once and one made but never opened
    client = boto3.client("dynamodb")
    for code in ("acme-2026-12", "globex-2026-12"):
        create_link(client, visits_table, code, today="2026-12-01")
    counter = _counter(client, visits_table, clock=lambda: datetime(2026, 12, 2, 9, tzinfo=UTC))
    counter.record_visit(Visit("visit-0001", "198.51.100.30", CHROME, link="acme-2026-12"))
    # When make stats renders them
    lines = render(read_stats(client, visits_table, today="2026-12-02", days=1)).splitlines()
    # Then the opened link reads as in the weekly digest, in the singular, and the other says it was never opened
    assert "  acme-2026-12: first opened 2026-12-02, last opened 2026-12-02, on 1 day, 1 view" in lines
    assert "  globex-2026-12: never opened" in lines


def test_a_code_the_owner_did_not_make_counts_under_other_and_adds_no_item(invoke: Invoke, visits_table: str) -> None:
    # Given views with codes nobody made
    for i, code in enumerate(["made-up", "another-one"]):
        assert _post(invoke, {"visit_id": f"visit-000{i}", "ref": code})["counted"] is True
    # Then they count under (other), and no item has their names
    keys = {item[catalog.VISITS_PARTITION_KEY]["S"] for item in _items(visits_table)}
    assert catalog.LINK_KEY_PREFIX + catalog.OTHER_LINK_CODE in keys
    assert not any("made-up" in key or "another-one" in key for key in keys)
    other = _item(visits_table, catalog.LINK_KEY_PREFIX + catalog.OTHER_LINK_CODE)
    assert (other[catalog.LINK_VIEWS_ATTRIBUTE], other[catalog.LINK_DAYS_ATTRIBUTE]) == ({"N": "2"}, {"N": "1"})


def test_a_download_counts_once_per_visitor_per_day_and_is_not_a_view(invoke: Invoke, visits_table: str) -> None:
    # Given a reader's view, then two downloads; another reader's download; a crawler's download
    _post(invoke, {"visit_id": "visit-0001"})
    first = _post(invoke, {"visit_id": "visit-0001", "kind": "download"})
    again = _post(invoke, {"visit_id": "visit-0002", "kind": "download"})
    other = _post(invoke, {"visit_id": "visit-0003", "kind": "download"}, ip="198.51.100.40", ua=FIREFOX)
    crawler = _post(invoke, {"visit_id": "visit-0004", "kind": "download"}, ua=GOOGLEBOT)
    # Then the day's downloads are two; the views and unique visitors are the one view's
    assert [first["counted"], again["counted"], other["counted"], crawler["counted"]] == [True, False, True, False]
    assert again["reason"] == catalog.ALREADY_COUNTED_REASON
    totals = _item(visits_table, catalog.VISITS_ITEM_KEY)
    assert totals[catalog.TODAY_DOWNLOADS_ATTRIBUTE] == {"N": "2"}
    assert (first["count"], first["today"]) == (1, {"count": 1, "unique_visitors": 1})


def test_get_visits_answers_the_count_only(invoke: Invoke) -> None:
    # Given visits with sources, a link and a download
    _post(invoke, {"visit_id": "visit-0001", "referrer": LINKEDIN_FEED, "ref": "acme"})
    _post(invoke, {"visit_id": "visit-0001", "kind": "download"})
    # Then the public answer holds the count and nothing of where readers come from
    response = invoke("GET")
    assert_matches_spec(response, "/visits", "GET")
    assert json.loads(response["body"]) == {
        "count": 1,
        "unique_visitors": 1,
        "today": {"count": 1, "unique_visitors": 1},
    }


def test_a_past_day_is_kept_in_its_day_item_and_today_starts_from_nothing(visits_table: str) -> None:
    client = boto3.client("dynamodb")
    now = [datetime(2026, 3, 1, 23, 0, tzinfo=UTC)]
    counter = _counter(client, visits_table, clock=lambda: now[0])
    counter.record_visit(Visit("visit-0001", "198.51.100.50", CHROME, source="linkedin"))
    counter.record_visit(Visit("visit-0002", "198.51.100.51", CHROME, source="google"))
    counter.record_visit(Visit("visit-0003", "198.51.100.51", CHROME, download=True))
    # When the same container counts the next day's first view
    now[0] = datetime(2026, 3, 2, 0, 5, tzinfo=UTC)
    counter.record_visit(Visit("visit-0004", "198.51.100.52", CHROME, source="github"))
    # Then the day before is in its day item, kept 400 days
    kept = _item(visits_table, catalog.DAY_KEY_PREFIX + "2026-03-01")
    expires = int(kept.pop(catalog.EXPIRES_AT_ATTRIBUTE)["N"])
    assert kept == {
        catalog.VISITS_PARTITION_KEY: {"S": "day#2026-03-01"},
        catalog.DAY_VIEWS_ATTRIBUTE: {"N": "2"},
        catalog.DAY_UNIQUE_ATTRIBUTE: {"N": "2"},
        catalog.DAY_DOWNLOADS_ATTRIBUTE: {"N": "1"},
        "src_linkedin": {"N": "1"},
        "src_google": {"N": "1"},
    }
    assert (expires - datetime(2026, 3, 2, tzinfo=UTC).timestamp()) // 86_400 == catalog.DAY_ITEM_RETENTION_DAYS
    # And today's figures start from nothing; make stats reads both days
    assert _sources_today(visits_table) == {"github": 1}
    stats = read_stats(client, visits_table, today="2026-03-02", days=2)
    assert [(d.day.isoformat(), d.views, d.downloads, dict(d.sources)) for d in stats.days] == [
        ("2026-03-02", 1, 0, {"github": 1}),
        ("2026-03-01", 2, 1, {"linkedin": 1, "google": 1}),
    ]


@pytest.fixture
def writes(visits_table: str) -> list[str]:
    """The write calls the counter's client makes (UpdateItem, PutItem: 1 WRU each under 1 KB)."""
    calls: list[str] = []

    def record(model: Any, **_: object) -> None:
        if model.name in ("UpdateItem", "PutItem"):
            calls.append(model.name)

    app.visit_counter().client.meta.events.register("before-call.dynamodb.*", record)
    return calls


def test_the_writes_per_request_kind(invoke: Invoke, visits_table: str, writes: list[str]) -> None:
    create_link(boto3.client("dynamodb"), visits_table, "acme", today="2026-01-01")
    _post(invoke, {"visit_id": "warm-0001"}, ip="198.51.100.99")  # the day's salt and totals, once per container
    measured = {}
    for kind, body, ip in [
        ("view without ref", {"visit_id": "visit-0001", "referrer": LINKEDIN_FEED}, "198.51.100.60"),
        ("view with ref", {"visit_id": "visit-0002", "referrer": "", "ref": "acme"}, "198.51.100.61"),
        ("the link's next view that day", {"visit_id": "visit-0005", "ref": "acme"}, "198.51.100.64"),
        ("download", {"visit_id": "visit-0003", "kind": "download"}, "198.51.100.62"),
        ("repeat (a retry)", {"visit_id": "visit-0001", "referrer": LINKEDIN_FEED}, "198.51.100.60"),
        ("view with an unknown ref", {"visit_id": "visit-0004", "ref": "nobody-made"}, "198.51.100.63"),
    ]:
        writes.clear()
        _post(invoke, body, ip=ip)
        measured[kind] = len(writes)
    assert measured == {
        "view without ref": 2,
        "view with ref": 3,
        "the link's next view that day": 3,
        "download": 2,
        "repeat (a retry)": 1,
        "view with an unknown ref": 4,
    }


def test_every_item_stays_under_1_kb_at_the_deployed_limits(visits_table: str) -> None:
    # Given a network at the deployed limits (30 views, each a new visitor's, and 30 downloads), every source
    # counted today, a link opened, and a day kept
    client = boto3.client("dynamodb")
    create_link(client, visits_table, "a" * 40, today="2026-01-01")
    now = [datetime(2026, 1, 1, 12, tzinfo=UTC)]
    counter = VisitCounter(
        client=client,
        table_name=visits_table,
        max_views_per_day=3,
        max_views_per_network_per_day=30,
        clock=lambda: now[0],
    )
    for i in range(31):
        ua = f"{CHROME} visitor/{i}"
        for source in source_names():
            counter.record_visit(Visit(f"visit-{source}-{i:04d}", "198.51.100.70", ua, source=source, link="a" * 40))
        counter.record_visit(Visit(f"download-{i:04d}", "198.51.100.70", ua, download=True))
    for i, source in enumerate(source_names()):
        counter.record_visit(Visit(f"other-{i:04d}", f"203.0.113.{i}", CHROME, source=source))
    counter.record_visit(Visit("visit-10000000", "203.0.113.200", CHROME, download=True))
    full_day = _items(visits_table)
    now[0] = datetime(2026, 1, 2, tzinfo=UTC)
    counter.record_visit(Visit("visit-next-day", "203.0.113.201", CHROME, source="direct"))
    # Then the largest item is under 1 KB: each write of it costs 1 WRU
    sizes: dict[str, int] = {}
    for item in full_day + _items(visits_table):
        kind = item[catalog.VISITS_PARTITION_KEY]["S"].split("#")[0]
        sizes[kind] = max(sizes.get(kind, 0), item_size_bytes(item))
    print(f"largest item of each kind, bytes: {sizes}")
    sizes.pop(catalog.LINK_REGISTRY_KEY)  # the owner's list of codes (make link): no visit writes it
    assert set(sizes) == {"visits", "salt", "network", "link", "day"}
    assert max(sizes.values()) < 1024, sizes


def _counter(client: Any, table: str, *, clock: Callable[[], datetime]) -> VisitCounter:
    return VisitCounter(
        client=client, table_name=table, max_views_per_day=MAX_VIEWS, max_views_per_network_per_day=10, clock=clock
    )


def test_a_download_whose_totals_write_is_refused_is_counted_once_on_retry(invoke: Invoke, visits_table: str) -> None:
    # Given DynamoDB throttles the totals write of a download (nothing applied)
    counter = app.visit_counter()
    with refused(counter.client, "UpdateItem", "ThrottlingException", when=on_key(catalog.VISITS_ITEM_KEY)):
        assert _post(invoke, {"visit_id": "visit-0001", "kind": "download"})["status"] == 503
    # When the browser retries it, twice / Then it counts once
    assert _post(invoke, {"visit_id": "visit-0001", "kind": "download"})["counted"] is True
    assert _post(invoke, {"visit_id": "visit-0001", "kind": "download"})["counted"] is False
    assert _item(visits_table, catalog.VISITS_ITEM_KEY)[catalog.TODAY_DOWNLOADS_ATTRIBUTE] == {"N": "1"}


def test_a_link_write_that_fails_keeps_the_view_counted_and_logs_no_code(
    invoke: Invoke, visits_table: str, lambda_stdout: Callable[[], str]
) -> None:
    # Given DynamoDB throttles the write of the link's item
    create_link(boto3.client("dynamodb"), visits_table, "acme-secret-code", today="2026-01-01")
    counter = app.visit_counter()
    prefix = catalog.LINK_KEY_PREFIX
    with refused(counter.client, "UpdateItem", "ThrottlingException", when=on_key(prefix), times=3):
        answer = _post(invoke, {"visit_id": "visit-0001", "ref": "acme-secret-code"})
    # Then the view is counted (its retry would be the same visit), only the link's view is lost, and said so
    assert (answer["status"], answer["counted"], answer["count"]) == (200, True, 1)
    assert "application link view not recorded" in lambda_stdout()
    assert "acme-secret-code" not in lambda_stdout()


def _printed_records(printed: str) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in printed.splitlines() if line.startswith("{")]
    return [record for record in records if isinstance(record, dict)]


def test_the_dashboard_reads_source_ref_and_downloads_from_the_counters_log_and_nothing_of_the_referrer(
    invoke: Invoke, visits_table: str, lambda_stdout: Callable[[], str]
) -> None:
    # Given a code the owner made, a first view from LinkedIn through it, a reload through it, a view with a code
    # nobody made from a blog, and a download
    create_link(boto3.client("dynamodb"), visits_table, "acme-2026-12", today="2026-01-01")
    _post(invoke, {"visit_id": "visit-0001", "referrer": LINKEDIN_FEED, "ref": "acme-2026-12"})
    _post(invoke, {"visit_id": "visit-0002", "referrer": "https://www.google.com/", "ref": "acme-2026-12"})
    _post(
        invoke, {"visit_id": "visit-0003", "referrer": "https://blog.example.org/p?q=1", "ref": "made-up"}, ua=FIREFOX
    )
    _post(invoke, {"visit_id": "visit-0001", "kind": "download"})
    # Then each view's EMF document carries its source on the visitor's first view of the day only, and the code
    # it was counted under (the owner's, or (other) for a code nobody made), as properties, not metrics
    records = _printed_records(lambda_stdout())
    views = [record for record in records if catalog.VISITS_METRIC in record]
    assert [(v.get(catalog.SOURCE_LOG_KEY), v.get(catalog.REF_LOG_KEY)) for v in views] == [
        ("linkedin", "acme-2026-12"),
        (None, "acme-2026-12"),
        ("other", catalog.OTHER_LINK_CODE),
    ]
    for view in views:
        extracted = {m["Name"] for d in view["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
        assert not extracted & {catalog.SOURCE_LOG_KEY, catalog.REF_LOG_KEY, catalog.DOWNLOADS_LOG_KEY}
    # And the download is one line with `downloads`, and no metric
    downloads = [record for record in records if catalog.DOWNLOADS_LOG_KEY in record]
    assert [(d[catalog.DOWNLOADS_LOG_KEY], "_aws" in d) for d in downloads] == [(1, False)]
    # And nothing of the referrers but their sources' names is printed
    for secret in ("feed", "trk", "blog.example.org", "q=1", "made-up"):
        assert secret not in lambda_stdout()
