"""`make bench`: the counter's cold path (import + first POST against the local emulator, each in a fresh process, the
counter from its code asset) against a naive baseline and a bare botocore handler, and its warm per-invocation
overhead (DynamoDB stubbed, so only our code is timed); docs/performance.md."""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from functions.common import catalog
from infra.config import REPO_ROOT

COLD_TARGET_RATIO: Final = 0.6
"""Counter / naive baseline, medians of one run."""
BARE_TARGET_RATIO: Final = 1.15
"""Counter / bare botocore handler doing one write, medians of one run."""
WARM_TARGET_P50_MS: Final = 0.3
VARIANTS: Final = {
    "counter": "functions.counter.app",
    "baseline": "tools.bench.naive_counter",
    "bare": "tools.bench.bare_counter",
}
CHROME: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)

# Runs in the fresh process: time from before the import to the end of the first invocation.
_COLD_PROBE: Final = """
import json, sys, time
started = time.perf_counter()
import importlib
module = importlib.import_module(sys.argv[1])
imported = time.perf_counter()
from tools.local.lambda_runtime.events import LocalLambdaContext, http_api_event
event = http_api_event("POST", "/visits", headers={"user-agent": sys.argv[2]}, source_ip=sys.argv[3],
                       body='{"visit_id": "%s"}' % sys.argv[4])
response = module.lambda_handler(event, LocalLambdaContext("bench"))
assert response["statusCode"] == 200, response
done = time.perf_counter()
# Peak RSS of this process image (VmHWM); ru_maxrss would carry over the parent's from before exec.
peak_kb = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"import_ms": (imported - started) * 1000, "total_ms": (done - started) * 1000,
                  "max_rss_mb": peak_kb / 1024}), file=sys.stderr)
"""


def _cold_run(module: str, env: dict[str, str], run: int, cwd: str) -> dict[str, float]:
    # A new visitor (and visit) each run, so every run of the counter counts a visit like a first page view.
    source_ip = f"10.0.{run // 250}.{run % 250 + 1}"
    result = subprocess.run(  # noqa: S603 - our own interpreter running our own probe
        [sys.executable, "-c", _COLD_PROBE, module, CHROME, source_ip, f"bench-visit-{run:05d}"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    measured: dict[str, float] = json.loads(result.stderr.strip().splitlines()[-1])
    return measured


def _summary(values: list[float]) -> str:
    quartiles = statistics.quantiles(values, n=4)
    return f"median {statistics.median(values):7.1f}  IQR {quartiles[0]:6.1f}-{quartiles[2]:6.1f}"


def _counter_asset() -> Path:
    """The folder CDK uploads as the counter's code, staged as `cdk synth` stages it."""
    from functions.counter import browsers, crawlers
    from infra.api import COMPACT_BROWSER_RULES, COMPACT_CRAWLER_LIST
    from infra.lambda_factory import staged_asset

    generated = {
        COMPACT_CRAWLER_LIST: crawlers.compact_file_content(),
        COMPACT_BROWSER_RULES: browsers.compact_file_content(),
    }
    return staged_asset(tuple(sorted(generated.items())))


def cold_start(runs: int) -> dict[str, Any]:
    import boto3

    from stack_model.stack import StackModel
    from tools.local.emulator import AwsEmulator
    from tools.local.provision import create_table
    from tools.synth import default_template

    emulator = AwsEmulator()
    endpoint = emulator.start()
    os.environ.update(
        {
            catalog.TABLE_NAME_ENV: "bench",
            catalog.MAX_VIEWS_ENV: "3",
            catalog.MAX_VIEWS_PER_NETWORK_ENV: "30",
            catalog.ALLOWED_ORIGINS_ENV: "https://bench.example.com",
            "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
    )
    model = StackModel.from_template(default_template())
    create_table(boto3.client("dynamodb"), model.tables[model.table_named_by(catalog.TABLE_NAME_ENV)], "bench")
    # `python -c` puts its working folder first on sys.path: the counter's package comes from its asset, the
    # probe's helpers and the other handlers from the repository.
    env = dict(os.environ) | {"PYTHONPATH": str(REPO_ROOT)}
    folders = {name: str(REPO_ROOT) for name in VARIANTS} | {"counter": str(_counter_asset())}
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in VARIANTS}
    try:
        for run in range(runs):
            for name, module in VARIANTS.items():
                samples[name].append(_cold_run(module, env, run, folders[name]))
    finally:
        emulator.stop()
    return samples


class _FakeDynamoDB:
    """Answers like DynamoDB, instantly, so the warm benchmark times only the handler: every POST is a counted
    repeat view (the gate write and the totals write, the heavier path)."""

    def __init__(self) -> None:
        self.count = 0

    def update_item(self, **request: Any) -> dict[str, Any]:
        if request["Key"][catalog.VISITS_PARTITION_KEY]["S"] != catalog.VISITS_ITEM_KEY:
            # The gate: every attribute it names holds 2 now (the visitor's second view, among others).
            return {"Attributes": {name: {"N": "2"} for name in request["ExpressionAttributeNames"].values()}}
        self.count += 1
        return {"Attributes": self._totals()}

    def get_item(self, **request: Any) -> dict[str, Any]:
        if request["Key"][catalog.VISITS_PARTITION_KEY]["S"].startswith(catalog.SALT_KEY_PREFIX):
            return {"Item": {catalog.SALT_ATTRIBUTE: {"S": "00" * 32}}}
        return {"Item": self._totals()}

    def _totals(self) -> dict[str, Any]:
        from functions.counter.visitors import utc_day
        from functions.counter.visits import utc_now

        return {
            catalog.VISITS_COUNT_ATTRIBUTE: {"N": str(self.count)},
            catalog.UNIQUE_VISITORS_ATTRIBUTE: {"N": "1"},
            catalog.TODAY_ATTRIBUTE: {"S": utc_day(utc_now())},
            catalog.TODAY_VIEWS_ATTRIBUTE: {"N": str(self.count)},
            catalog.TODAY_UNIQUE_ATTRIBUTE: {"N": "1"},
        }


def warm_overhead(iterations: int) -> dict[str, list[float]]:
    from functions.counter import app
    from functions.counter.visits import VisitCounter

    fake = _FakeDynamoDB()
    counter = VisitCounter(
        client=fake,  # type: ignore[arg-type]
        table_name="bench",
        max_views_per_day=3,
        max_views_per_network_per_day=30,
    )
    real_factory = app.visit_counter
    app.visit_counter = lambda: counter  # type: ignore[assignment]
    try:
        return _time_handler(app, iterations)
    finally:
        app.visit_counter = real_factory  # the handler module stays imported: whatever runs next gets the real one


def _time_handler(app: ModuleType, iterations: int) -> dict[str, list[float]]:
    from tools.local.lambda_runtime.events import LocalLambdaContext, http_api_event

    context = LocalLambdaContext("bench")
    browser = {"user-agent": CHROME}
    events: dict[str, Callable[[int], dict[str, Any]]] = {
        "POST": lambda i: http_api_event("POST", "/visits", headers=browser, body='{"visit_id": "warm-visit-1"}'),
        "GET": lambda i: http_api_event("GET", "/visits", headers=browser),
        # A User-Agent never seen by this container: the crawler list is scanned, not answered from the cache.
        "POST, new UA": lambda i: http_api_event(
            "POST", "/visits", headers={"user-agent": f"{CHROME} Build/{i}"}, body='{"visit_id": "warm-visit-1"}'
        ),
    }
    timings: dict[str, list[float]] = {name: [] for name in events}
    # NOTE: the handler writes a log line and EMF per call, as on Lambda; into a buffer here, not a terminal.
    with redirect_stdout(io.StringIO()) as sink:
        app.logger.registered_handler.stream = sink
        for name, make_event in events.items():
            prepared = [make_event(i) for i in range(iterations + iterations // 10)]
            for event in prepared[: iterations // 10]:
                app.lambda_handler(event, context)
            for event in prepared[iterations // 10 :]:
                started = time.perf_counter()
                app.lambda_handler(event, context)
                timings[name].append((time.perf_counter() - started) * 1000)
            sink.seek(0)
            sink.truncate()
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15, help="cold runs per variant (default 15)")
    parser.add_argument("--iterations", type=int, default=5000, help="warm invocations per route (default 5000)")
    args = parser.parse_args(argv)

    samples = cold_start(args.runs)
    print(f"Cold path, {args.runs} fresh processes each (ms; import + first POST against the local emulator)")
    medians = {}
    for name, runs in samples.items():
        totals = [run["total_ms"] for run in runs]
        imports = [run["import_ms"] for run in runs]
        medians[name] = statistics.median(totals)
        rss = statistics.median(run["max_rss_mb"] for run in runs)
        print(f"  {name:9} total {_summary(totals)}   import {_summary(imports)}   max RSS {rss:5.1f} MB")
    ratio = medians["counter"] / medians["baseline"]
    bare_ratio = medians["counter"] / medians["bare"]
    cold_ok = ratio <= COLD_TARGET_RATIO
    bare_ok = bare_ratio <= BARE_TARGET_RATIO
    print(f"  ratio counter/baseline {ratio:.2f} (target ≤ {COLD_TARGET_RATIO}) {'OK' if cold_ok else 'MISSED'}")
    print(f"  ratio counter/bare     {bare_ratio:.2f} (target ≤ {BARE_TARGET_RATIO}) {'OK' if bare_ok else 'MISSED'}")

    timings = warm_overhead(args.iterations)
    print(f"Warm overhead per invocation, {args.iterations} calls each (ms; DynamoDB stubbed)")
    warm_ok = True
    for method, values in timings.items():
        p50 = statistics.median(values)
        p99 = statistics.quantiles(values, n=100)[98]
        warm_ok &= p50 <= WARM_TARGET_P50_MS
        print(f"  {method:12} p50 {p50:.3f}  p99 {p99:.3f}  (target p50 ≤ {WARM_TARGET_P50_MS})")
    return 0 if cold_ok and bare_ok and warm_ok else 1


if __name__ == "__main__":
    sys.exit(main())
