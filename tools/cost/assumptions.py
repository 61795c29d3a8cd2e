"""What `make cost` assumes rather than reads or measures, each with its reason. Everything else comes from the
synthesized template, the config, the price file or a run of the real handler."""

from __future__ import annotations

from typing import Final

COUNTER_BILLED_MS: Final = 30
"""Billed duration of one warm counter invocation (ms). ASSUMED, not measured on Lambda: the handler's own code takes
~0.1 ms (docs/performance.md), but a counted visit is two DynamoDB requests, and botocore's CPU for them (building,
signing, sending, parsing) measured 2.8 ms of one core here (the thread's CPU time for a warm counted POST against the
local emulator, 2026-12-01). Lambda gives 256 MB 256/1769 of a vCPU, so ~19 ms of CPU, plus two in-region round
trips of a few ms each. https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html Cold starts (INIT,
billed since 2025-08-01) are left out: at a million visits a month the containers are warm nearly always. Replace it
with the Duration metric's average once deployed."""
PROBE_BILLED_MS: Final = 1000
"""Billed duration of one availability-probe run (ms). ASSUMED: three HTTPS requests to the site and the API from
inside AWS, each a TLS handshake and a small answer."""
DIGEST_BILLED_MS: Final = 3000
"""Billed duration of one weekly-digest run of the notifier (ms). ASSUMED: one GetMetricData call, one
DescribeAlarmHistory per alarm, one email per recipient and the idempotency table, most of it a cold start."""
DIGEST_LOG_BYTES: Final = 3000
"""Log bytes of one digest run (Powertools lines and platform lines). ASSUMED; at four runs a month it is ~0."""
DIGEST_METRICS_REQUESTED: Final = 2
"""GetMetricData metrics per digest run: Visits and UniqueVisitors, in one call (functions/digest/figures.py,
week_figures)."""
XRAY_FIXED_RATE: Final = 0.05
"""NOTE: Lambda's active tracing samples with X-Ray's default rule: the first request each second (a reservoir of
one), then 5 % of the rest. https://docs.aws.amazon.com/xray/latest/devguide/xray-console-sampling.html"""
