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
LINK_VIEW_SHARE: Final = 0.10
"""Share of counted views that come through an application link the owner made (`?ref=`), each a third write (its
link's item). ASSUMED, generously: an active job seeker sends ~100 applications a month; each link is opened by two
or three readers (a recruiter, a hiring manager) on a day or two: ~300-600 link views in the ~10,000 views a month of
a typical resume site, 3-6 %. Applications do not grow with traffic, so at a million views a month the share is far
smaller; 10 % leaves room for a month of many applications. `make cost ARGS='--link-share S'` prices another."""
DOWNLOADS_PER_VISIT: Final = 0.042
"""Résumé downloads per counted view, each a request of its own (an API request, an invocation, two writes, its log
lines). ASSUMED: the reader who downloads takes the résumé into another workflow (an applicant tracking system, a
forward to a hiring manager), mostly a link's reader: about a third of link views (0.10 x 1/3 = 0.033) and 1 % of the
other views (0.90 x 0.01 = 0.009). `make cost ARGS='--downloads-per-visit D'` prices another."""
