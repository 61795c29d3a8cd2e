"""What each kind of request costs, measured on the real counter: its function as the synthesized template declares
it (handler, environment, memory), run by the one local Lambda runtime against DynamoDB on the local emulator; and
what one healthy run of the availability probe sends and writes, measured on the real probe code.

For each request: the DynamoDB operations it made (counted at the emulator by their X-Amz-Target header), and what
it wrote to CloudWatch Logs: the Powertools JSON lines and the EMF documents it printed, in bytes. Every item stays
under 1 KB (the counter's own tests fill one to the deployed limits), so a write is 1 WRU, also when its condition
fails, and a strongly consistent read 1 RRU.
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
from typing import Any, Final
from urllib.parse import urlsplit

from functions.common import catalog
from functions.counter.http import KIND_DOWNLOAD, KIND_FIELD, REF_FIELD, REFERRER_FIELD
from functions.counter.visitors import utc_day
from stack_model.stack import StackModel

WRITES: Final = frozenset({"PutItem", "UpdateItem"})
READS: Final = frozenset({"GetItem"})
CHROME: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
COUNTED_VISIT: Final = "counted"
"""A plain view: a new visitor's, on a warm container."""
GET_VISITS: Final = "get"
SOURCE_VIEW: Final = "source_view"
"""A new visitor's first view with a page referrer, as the site's script sends every view: its source is counted."""
LINK_VIEW: Final = "link_view"
"""A new visitor's view through an application link the owner made (`make link`): the link's item is written too."""
DOWNLOAD: Final = "download"
"""A download of the résumé: a request of its own, counted once per visitor and day."""
LINKEDIN_FEED: Final = "https://www.linkedin.com/feed/?trk=abc"
OWNER_LINK_CODE: Final = "acme-2026-12"
_REQUESTS: Final[tuple[tuple[str, str | None, Mapping[str, str]], ...]] = (
    # key, visit id (None: a GET), what the POST body carries besides it; each from a new visitor
    (COUNTED_VISIT, "v2", {}),
    (GET_VISITS, None, {}),
    (SOURCE_VIEW, "v3", {REFERRER_FIELD: LINKEDIN_FEED}),
    (LINK_VIEW, "v4", {REFERRER_FIELD: "", REF_FIELD: OWNER_LINK_CODE}),
    (DOWNLOAD, "v5", {KIND_FIELD: KIND_DOWNLOAD}),
)


@dataclass(frozen=True)
class RequestCost:
    calls: Mapping[str, int]
    """DynamoDB operation → how many."""
    log_text: str
    """The Powertools JSON log lines the invocation wrote (what Lambda ships to its log group)."""
    emf_text: str
    """The EMF documents it printed (also shipped to its log group, and turned into metrics there)."""

    @property
    def log_bytes(self) -> int:
        return len(self.log_text.encode())

    @property
    def emf_bytes(self) -> int:
        return len(self.emf_text.encode())

    @property
    def write_units(self) -> int:
        return sum(n for op, n in self.calls.items() if op in WRITES)

    @property
    def read_units(self) -> int:
        return sum(n for op, n in self.calls.items() if op in READS)


Measurement = Mapping[str, RequestCost]
"""Each request's key → what it cost."""


def measure_requests(template: Mapping[str, Any]) -> Measurement:
    """Sends each request once, in order, to one warm container of the counter on a fresh emulator."""
    from tools.link import create_link
    from tools.local.emulator import AwsEmulator
    from tools.local.lambda_runtime.runtime import LocalFunction
    from tools.local.provision import create_table

    calls: Counter[str] = Counter()
    emulator = AwsEmulator(on_request=lambda environ: _count_dynamodb(calls, environ))
    emulator.start()
    try:
        dynamodb = emulator.clients().dynamodb
        model = StackModel.from_template(template)
        # NOTE: moto keeps its state in this process, so each measurement has a table of its own (a fresh count).
        table_id = model.table_named_by(catalog.TABLE_NAME_ENV)
        table = create_table(dynamodb, model.tables[table_id], f"{table_id}-{uuid.uuid4().hex[:8]}")
        # The owner's code, made as `make link` makes it (before the count starts: the owner's write, not a visit's)
        create_link(dynamodb, table, OWNER_LINK_CODE, today=utc_day(datetime.now(UTC)))
        spec = model.function(catalog.COUNTER_HANDLER)
        spec = replace(spec, environment={**spec.environment, catalog.TABLE_NAME_ENV: table})
        metrics, log = _PrintedMetrics(), io.StringIO()
        container = LocalFunction(spec, platform=emulator.lambda_environment(), metrics=metrics, log=log)  # type: ignore[arg-type]
        container.invoke(_event(0, "v1", {}))  # reads the day's salt, once per container and day
        measured = {}
        for n, (key, visit_id, fields) in enumerate(_REQUESTS, start=1):
            calls.clear()
            written = log.tell()
            invocation = container.invoke(_event(n, visit_id, fields))
            if invocation.error is not None or invocation.response["statusCode"] != 200:
                raise RuntimeError(f"the counter failed request {key!r}: {invocation}")
            measured[key] = RequestCost(dict(calls), log.getvalue()[written:], metrics.printed)
    finally:
        emulator.stop()
    return measured


def _event(visitor: int, visit_id: str | None, fields: Mapping[str, str]) -> dict[str, Any]:
    from tools.local.lambda_runtime.events import http_api_event

    headers, ip = {"user-agent": CHROME}, f"10.1.0.{visitor + 1}"
    if visit_id is None:
        return http_api_event("GET", catalog.VISITS_PATH, headers=headers, source_ip=ip)
    body = json.dumps({"visit_id": f"cost-visit-{visit_id}", **fields})
    return http_api_event("POST", catalog.VISITS_PATH, headers=headers, source_ip=ip, body=body)


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
        return self.printed.count("\n")

    def record(self, *args: Any, **kwargs: Any) -> None:
        """AWS/Lambda's own metrics, which the runtime records for every invocation: free, not counted here."""


@dataclass(frozen=True)
class ProbeRun:
    """A healthy probe run: its API requests (each GET also a counter invocation; the CORS preflight, OPTIONS, is
    answered by API Gateway itself), and what it writes to its log group when every check passes."""

    api_requests: int
    api_gets: int
    log_bytes: int
    emf_bytes: int


def probe_run(memory_mb: int) -> ProbeRun:
    from functions.common.http import Answer
    from functions.probe import app
    from functions.probe.checks import ProbeTarget, run_probe
    from tools.local.lambda_runtime.events import LocalLambdaContext
    from tools.local.lambda_runtime.per_thread import captured_stdout, logs_to

    site, api = "https://site.cost.invalid", "https://api.cost.invalid"
    sent: list[tuple[str, str]] = []

    def send(url: str, *, method: str = "GET", headers: Mapping[str, str] | None = None) -> Answer:
        sent.append((method, url))
        return Answer(url=url, status=200, headers={}, body="")

    run_probe(ProbeTarget(site_url=f"{site}/", site_origin=site, api_url=api), send=send)

    # A healthy run's output: the handler's own decorators around record() of no failures.
    @app.logger.inject_lambda_context
    @app.metrics.log_metrics
    def healthy(event: dict[str, Any], context: Any) -> None:
        app.record([])

    log = io.StringIO()
    with captured_stdout() as printed, logs_to(app, log):
        healthy({}, LocalLambdaContext("AvailabilityProbe", memory_mb, 30))
    emf = "".join(line + "\n" for line in printed.getvalue().splitlines() if '"_aws"' in line)
    api_methods = [method for method, url in sent if urlsplit(url).hostname == urlsplit(api).hostname]
    return ProbeRun(
        api_requests=len(api_methods),
        api_gets=api_methods.count("GET"),
        log_bytes=len(log.getvalue().encode()),
        emf_bytes=len(emf.encode()),
    )
