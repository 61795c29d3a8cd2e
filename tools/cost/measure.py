"""What each kind of request costs, measured on the real counter: its function as the synthesized template declares
it (handler, environment, memory), run by the one local Lambda runtime against DynamoDB on the local emulator; and
what one healthy run of the availability probe sends and writes, measured on the real probe code.

Besides plain views, the requests readers' insight adds: a view from a referrer, one through an application link the
owner made (its item made as `make link` makes it), one with a code nobody made, and a download.

For each request: the DynamoDB operations it made (counted at the emulator by their X-Amz-Target header), and what
it wrote to CloudWatch Logs: the Powertools JSON lines and the EMF documents it printed, in bytes. `make bench` and
`make cost` both read it. Request units follow DynamoDB's on-demand rules (every item here is under 1 KB, checked):
a write of an item up to 1 KB is 1 WRU, also when its condition fails; a strongly consistent read up to 4 KB, 1 RRU.
NOTE: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
"""

from __future__ import annotations

import io
import json
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from functions.common import catalog
from functions.counter.http import KIND_DOWNLOAD, KIND_FIELD, REF_FIELD, REFERRER_FIELD
from functions.counter.visitors import utc_day
from stack_model.stack import StackModel
from tools.local.cloudwatch.metrics import emf_datapoints

if TYPE_CHECKING:
    from tools.local.lambda_runtime.runtime import LocalFunction

WRITES: Final = frozenset({"PutItem", "UpdateItem"})
READS: Final = frozenset({"GetItem"})
WRU_ITEM_BYTES: Final = 1024
CHROME: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
GOOGLEBOT: Final = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
COUNTED_VISIT: Final = "counted"
"""The scenario a visit's marginal cost is read from: a warm container counting a new visitor's view."""
GET_VISITS: Final = "get"
SOURCE_VIEW: Final = "source_view"
"""A new visitor's first view with a page referrer, as the site's script sends every view: its source is counted."""
LINK_VIEW: Final = "link_view"
"""A new visitor's view through an application link the owner made (`make link`): the link's item is written too."""
DOWNLOAD: Final = "download"
"""A download of the résumé: a request of its own, counted once per visitor and day."""
UNKNOWN_LINK_VIEW: Final = "unknown_link_view"
"""A view with a code nobody made: tried on its own item, then counted under the "(other)" code's."""
LINKEDIN_FEED: Final = "https://www.linkedin.com/feed/?trk=abc"
OWNER_LINK_CODE: Final = "acme-2026-12"
UNKNOWN_LINK_CODE: Final = "nobody-made"
Metric = tuple[str, tuple[tuple[str, str], ...]]
"""(metric name, its dimensions): each distinct one is a billed custom metric."""


@dataclass(frozen=True)
class RequestCost:
    key: str
    description: str
    calls: Mapping[str, int]
    """DynamoDB operation → how many."""
    log_bytes: int
    """The Powertools JSON log lines the invocation wrote (what Lambda ships to its log group)."""
    emf_bytes: int
    """The EMF documents it printed (also shipped to its log group, and turned into metrics there)."""
    emf_metrics: frozenset[Metric]
    log_text: str
    emf_text: str

    @property
    def round_trips(self) -> int:
        return sum(self.calls.values())

    @property
    def write_units(self) -> int:
        return sum(n for op, n in self.calls.items() if op in WRITES)

    @property
    def read_units(self) -> int:
        return sum(n for op, n in self.calls.items() if op in READS)


@dataclass(frozen=True)
class Measurement:
    requests: tuple[RequestCost, ...]
    largest_item_bytes: int

    def __getitem__(self, key: str) -> RequestCost:
        (found,) = [request for request in self.requests if request.key == key]
        return found

    @property
    def metrics_with_traffic(self) -> frozenset[Metric]:
        return frozenset().union(*(request.emf_metrics for request in self.requests))


_SCENARIOS: Final = (
    # key, description, container (0 or 1: each its own), method, source IP, visit id
    (
        "cold_first_of_day",
        "POST, cold container, first visit of the day (creates the salt)",
        0,
        "POST",
        "10.1.0.1",
        "v1",
    ),
    ("cold_salt_exists", "POST, cold container, salt exists", 1, "POST", "10.1.0.2", "v2"),
    (COUNTED_VISIT, "POST, warm container, new visitor", 1, "POST", "10.1.0.3", "v3"),
    ("next_view", "POST, warm, the visitor's next view", 1, "POST", "10.1.0.3", "v4"),
    ("retry", "POST, warm, retry of a counted visit", 1, "POST", "10.1.0.3", "v4"),
    ("third_view", "POST, warm, the visitor's third view", 1, "POST", "10.1.0.3", "v5"),
    ("over_limit", "POST, warm, over the daily limit", 1, "POST", "10.1.0.3", "v6"),
    ("crawler", "POST, warm, crawler", 1, "POST", "10.1.0.4", "v7"),
    ("no_user_agent", "POST, warm, without a User-Agent", 1, "POST", "10.1.0.6", "v8"),
    (GET_VISITS, "GET, warm", 1, "GET", "10.1.0.5", ""),
    # What readers' insight adds (docs/privacy.md): each a new visitor, so each is the costliest of its kind.
    (SOURCE_VIEW, "POST, warm, a new visitor's first view from LinkedIn (referrer)", 1, "POST", "10.1.0.10", "v9"),
    (LINK_VIEW, "POST, warm, a new visitor's view through an owner-made link", 1, "POST", "10.1.0.11", "v10"),
    (DOWNLOAD, "POST, warm, a download of the résumé", 1, "POST", "10.1.0.12", "v11"),
    (UNKNOWN_LINK_VIEW, "POST, warm, a view with a code nobody made", 1, "POST", "10.1.0.13", "v12"),
)
_FIELDS: Final[Mapping[str, Mapping[str, str]]] = {
    SOURCE_VIEW: {REFERRER_FIELD: LINKEDIN_FEED},
    LINK_VIEW: {REFERRER_FIELD: "", REF_FIELD: OWNER_LINK_CODE},
    DOWNLOAD: {KIND_FIELD: KIND_DOWNLOAD},
    UNKNOWN_LINK_VIEW: {REF_FIELD: UNKNOWN_LINK_CODE},
}
"""What each scenario's POST body carries besides its visit id, as the site's script sends it."""


def measure_requests(template: Mapping[str, Any]) -> Measurement:
    """Runs every scenario once on a fresh emulator, in order (the first two on containers of their own)."""
    from tools.link import create_link
    from tools.local.emulator import AwsEmulator
    from tools.local.lambda_runtime.runtime import LocalFunction
    from tools.local.provision import create_table

    calls: Counter[str] = Counter()
    emulator = AwsEmulator(on_request=lambda environ: _count_dynamodb(calls, environ))
    emulator.start()
    model = StackModel.from_template(template)
    # NOTE: moto keeps its state in this process, so each measurement has a table of its own (a fresh count).
    table_id = model.table_named_by(catalog.TABLE_NAME_ENV)
    table = create_table(emulator.clients().dynamodb, model.tables[table_id], f"{table_id}-{uuid.uuid4().hex[:8]}")
    try:
        # The owner's code, made as `make link` makes it (before the count starts: the owner's write, not a visit's)
        create_link(emulator.clients().dynamodb, table, OWNER_LINK_CODE, today=utc_day(datetime.now(UTC)))
        spec = model.function(catalog.COUNTER_HANDLER)
        spec = replace(spec, environment={**spec.environment, catalog.TABLE_NAME_ENV: table})
        metrics = _PrintedMetrics()
        logs = [io.StringIO(), io.StringIO()]
        containers = [
            LocalFunction(spec, platform=emulator.lambda_environment(), metrics=metrics, log=log)  # type: ignore[arg-type]
            for log in logs
        ]
        measured = []
        for key, description, container, method, ip, visit_id in _SCENARIOS:
            calls.clear()
            written = logs[container].tell()
            invocation = containers[container].invoke(_event(method, ip, visit_id, key))
            response = invocation.response
            if invocation.error is not None or response["statusCode"] != 200:
                raise RuntimeError(f"the counter failed scenario {key!r}: {invocation}")
            log_text = logs[container].getvalue()[written:]
            measured.append(
                RequestCost(
                    key=key,
                    description=description,
                    calls=dict(calls),
                    log_bytes=len(log_text.encode()),
                    emf_bytes=len(metrics.printed.encode()),
                    emf_metrics=emf_metrics(metrics.printed),
                    log_text=log_text,
                    emf_text=metrics.printed,
                )
            )
        _fill_a_network(containers[1], int(spec.environment[catalog.MAX_VIEWS_PER_NETWORK_ENV]))
        items = emulator.clients().dynamodb.scan(TableName=table)["Items"]
        if not items:
            raise RuntimeError(f"the counter answered 200 but stored nothing in {table}: not the real counter?")
        largest = max(item_size_bytes(item) for item in items)
    finally:
        emulator.stop()
    return Measurement(tuple(measured), largest)


def _event(method: str, ip: str, visit_id: str, key: str) -> dict[str, Any]:
    from tools.local.lambda_runtime.events import http_api_event

    if method == "GET":
        return http_api_event("GET", catalog.VISITS_PATH, headers={"user-agent": CHROME}, source_ip=ip)
    agents = {"crawler": {"user-agent": GOOGLEBOT}, "no_user_agent": {}}
    body = json.dumps({"visit_id": f"cost-visit-{visit_id}", **_FIELDS.get(key, {})})
    headers = agents.get(key, {"user-agent": CHROME})
    return http_api_event("POST", catalog.VISITS_PATH, headers=headers, source_ip=ip, body=body)


def _fill_a_network(container: LocalFunction, max_network_views: int) -> None:
    """So the largest item measured is the largest a deployment writes at its limits: one network's item of the
    day holding as many visitors as views, each with a visitor attribute and a visit id."""
    from tools.local.lambda_runtime.events import http_api_event

    for n in range(max_network_views):
        agent = CHROME.replace("Chrome/131.0.0.0", f"Chrome/131.0.{n}.0")
        body = json.dumps({"visit_id": f"cost-fill-{n:04d}"})
        event = http_api_event(
            "POST", catalog.VISITS_PATH, headers={"user-agent": agent}, source_ip="10.1.0.9", body=body
        )
        response = container.invoke(event).response
        if json.loads(response.get("body", "{}")).get("counted") is not True:
            raise RuntimeError(f"the counter did not count view {n + 1} of one network: {response}")


def _count_dynamodb(calls: Counter[str], environ: Mapping[str, Any]) -> None:
    service, _, operation = str(environ.get("HTTP_X_AMZ_TARGET", "")).partition(".")
    if service.startswith("DynamoDB_"):
        calls[operation] += 1


class _PrintedMetrics:
    """Stands in for the runtime's metric store: keeps what the last invocation printed: its EMF documents, and
    the lean JSON line a download prints instead of one (billed log bytes alike)."""

    def __init__(self) -> None:
        self.printed = ""

    def ingest_emf(self, output: str) -> int:
        self.printed = "".join(line + "\n" for line in output.splitlines() if line.startswith("{"))
        return len(emf_metrics(self.printed))

    def record(self, *args: Any, **kwargs: Any) -> None:
        """AWS/Lambda's own metrics, which the runtime records for every invocation: free, not counted here."""


def emf_metrics(printed: str) -> frozenset[Metric]:
    """The distinct (metric, dimensions) pairs in the EMF documents printed: each a billed custom metric."""
    return frozenset((point.name, point.dimensions) for point in emf_datapoints(printed))


def item_size_bytes(item: Mapping[str, Any]) -> int:
    """DynamoDB's item size: attribute names plus values (strings and binaries by length, numbers ~ digits/2+1).
    https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html"""
    size = 0
    for name, value in item.items():
        size += len(name.encode())
        kind, data = next(iter(value.items()))
        if kind == "S":
            size += len(data.encode())
        elif kind == "B":
            size += len(data)
        elif kind == "N":
            size += len(data) // 2 + 2
        elif kind == "SS":
            size += sum(len(text.encode()) for text in data) + 3
    return size


_SITE = "https://site.cost.invalid"
_API = "https://api.cost.invalid"


@dataclass(frozen=True)
class ProbeRun:
    """A healthy probe run: its requests (the site's page, and the API: each an HTTP API request, each GET also a
    counter invocation), and what it writes to its log group when every check passes (its log line, its EMF)."""

    api_requests: int
    api_gets: int
    """GETs reach the counter; the CORS preflight (OPTIONS) is answered by API Gateway itself."""
    site_requests: int
    log_bytes: int
    emf_bytes: int
    metrics: frozenset[Metric]
    """The custom metrics a healthy run publishes: each billed every month the probe runs."""


def probe_run(memory_mb: int, timeout_seconds: float) -> ProbeRun:
    from functions.common.http import Answer
    from functions.probe import app
    from functions.probe.checks import ProbeTarget, run_probe
    from tools.local.lambda_runtime.events import LocalLambdaContext
    from tools.local.lambda_runtime.per_thread import captured_stdout, logs_to

    sent: list[tuple[str, str]] = []

    def send(url: str, *, method: str = "GET", headers: Mapping[str, str] | None = None) -> Answer:
        sent.append((method, url))
        return Answer(url=url, status=200, headers={}, body="")

    run_probe(ProbeTarget(site_url=f"{_SITE}/", site_origin=_SITE, api_url=_API), send=send)

    # A healthy run's output: the handler's own decorators around record() of no failures.
    @app.logger.inject_lambda_context
    @app.metrics.log_metrics
    def healthy(event: dict[str, Any], context: Any) -> None:
        app.record([])

    log = io.StringIO()
    with captured_stdout() as printed, logs_to(app, log):
        healthy({}, LocalLambdaContext("AvailabilityProbe", memory_mb, timeout_seconds))
    emf = "".join(line + "\n" for line in printed.getvalue().splitlines() if '"_aws"' in line)
    api = [(method, url) for method, url in sent if urlsplit(url).hostname == urlsplit(_API).hostname]
    return ProbeRun(
        api_requests=len(api),
        api_gets=sum(method == "GET" for method, _ in api),
        site_requests=len(sent) - len(api),
        log_bytes=len(log.getvalue().encode()),
        emf_bytes=len(emf.encode()),
        metrics=emf_metrics(emf),
    )
