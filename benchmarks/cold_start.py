"""`make bench`: the counter's cold path against a naive baseline, and its warm per-invocation overhead.

Cold path = import the handler module + the first invocation (POST /visits) against DynamoDB on the local
emulator, each in a fresh process, ours and the baseline alternated so both see the same machine state.
Warm overhead = lambda_handler with DynamoDB stubbed by an in-memory fake, so only our code is timed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import redirect_stdout
from typing import Any, Final

COLD_TARGET_RATIO: Final = 0.7
WARM_TARGET_P50_MS: Final = 0.3

# Runs in the fresh process: time from before the import to the end of the first invocation.
_COLD_PROBE: Final = """
import json, sys, time
started = time.perf_counter()
import importlib
module = importlib.import_module(sys.argv[1])
imported = time.perf_counter()
from infra.local.lambda_events import LocalLambdaContext, http_api_event
response = module.lambda_handler(http_api_event("POST", "/visits"), LocalLambdaContext("bench"))
assert response["statusCode"] == 200, response
done = time.perf_counter()
# Peak RSS of this process image (VmHWM); ru_maxrss would carry over the parent's from before exec.
peak_kb = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print(json.dumps({"import_ms": (imported - started) * 1000, "total_ms": (done - started) * 1000,
                  "max_rss_mb": peak_kb / 1024}), file=sys.stderr)
"""


def _cold_run(module: str, env: dict[str, str]) -> dict[str, float]:
    result = subprocess.run(  # noqa: S603 - our own interpreter running our own probe
        [sys.executable, "-c", _COLD_PROBE, module],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    measured: dict[str, float] = json.loads(result.stderr.strip().splitlines()[-1])
    return measured


def _summary(values: list[float]) -> str:
    quartiles = statistics.quantiles(values, n=4)
    return f"median {statistics.median(values):7.1f}  IQR {quartiles[0]:6.1f}-{quartiles[2]:6.1f}"


def cold_start(runs: int) -> dict[str, Any]:
    import boto3

    from functions.common import catalog
    from infra.local.emulator import AwsEmulator
    from infra.local.provision import create_visits_table

    emulator = AwsEmulator()
    endpoint = emulator.start()
    # Credentials the emulator accepts and nothing real does.
    os.environ.update(
        {
            catalog.TABLE_NAME_ENV: "bench",
            "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
    )
    create_visits_table(boto3.client("dynamodb"), "bench")
    env = dict(os.environ)
    samples: dict[str, list[dict[str, float]]] = {"counter": [], "baseline": []}
    try:
        for _ in range(runs):
            samples["counter"].append(_cold_run("functions.counter.app", env))
            samples["baseline"].append(_cold_run("benchmarks.naive_counter", env))
    finally:
        emulator.stop()
    return samples


class _FakeDynamoDB:
    """Answers like DynamoDB, instantly, so the warm benchmark times only the handler."""

    def __init__(self) -> None:
        self.count = 0

    def update_item(self, **_: Any) -> dict[str, Any]:
        self.count += 1
        return {"Attributes": {"visit_count": {"N": str(self.count)}}}

    def get_item(self, **_: Any) -> dict[str, Any]:
        return {"Item": {"visit_count": {"N": str(self.count)}}}


def warm_overhead(iterations: int) -> dict[str, list[float]]:
    from functions.counter import app
    from functions.counter.visits import VisitCounter
    from infra.local.lambda_events import LocalLambdaContext, http_api_event

    counter = VisitCounter(client=_FakeDynamoDB(), table_name="bench")  # type: ignore[arg-type]
    app.visit_counter = lambda: counter  # type: ignore[assignment]
    context = LocalLambdaContext("bench")
    timings: dict[str, list[float]] = {"POST": [], "GET": []}
    # NOTE: the handler writes a log line and EMF per call, as on Lambda; into a buffer here, not a terminal.
    with redirect_stdout(io.StringIO()) as sink:
        app.logger.registered_handler.stream = sink  # type: ignore[attr-defined]
        for method in ("POST", "GET"):
            event = http_api_event(method, "/visits")
            for _ in range(iterations // 10):
                app.lambda_handler(event, context)
            for _ in range(iterations):
                started = time.perf_counter()
                app.lambda_handler(event, context)
                timings[method].append((time.perf_counter() - started) * 1000)
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
    cold_ok = ratio <= COLD_TARGET_RATIO
    print(f"  ratio counter/baseline {ratio:.2f} (target ≤ {COLD_TARGET_RATIO}) {'OK' if cold_ok else 'MISSED'}")

    timings = warm_overhead(args.iterations)
    print(f"Warm overhead per invocation, {args.iterations} calls each (ms; DynamoDB stubbed)")
    warm_ok = True
    for method, values in timings.items():
        p50 = statistics.median(values)
        p99 = statistics.quantiles(values, n=100)[98]
        warm_ok &= p50 <= WARM_TARGET_P50_MS
        print(f"  {method:4} p50 {p50:.3f}  p99 {p99:.3f}  (target p50 ≤ {WARM_TARGET_P50_MS})")
    return 0 if cold_ok and warm_ok else 1


if __name__ == "__main__":
    sys.exit(main())
