"""What `make cost` assumes rather than reads or measures, each with its reason (docs/cost.md says more). Everything
else comes from the synthesized template, the config, the price file or a run of the real handler."""

from __future__ import annotations

from typing import Final

COUNTER_BILLED_MS: Final = 30
"""Billed duration of one warm counter invocation (ms). ASSUMED, not measured on Lambda (docs/cost.md says how it is
estimated); replace it with the deployed Duration metric's average (`--counter-ms`)."""
PROBE_BILLED_MS: Final = 1000
"""Billed duration of one availability-probe run (ms). ASSUMED: three HTTPS requests to the site and the API from
inside AWS, each a TLS handshake and a small answer."""
DIGEST_BILLED_MS: Final = 3000
"""Billed duration of one weekly-digest run of the notifier (ms). ASSUMED: a few reads of the visits table by key, one
DescribeAlarmHistory per alarm, one email per recipient and the idempotency table, most of it a cold start."""
DIGEST_LOG_BYTES: Final = 3000
"""Log bytes of one digest run (Powertools lines and platform lines). ASSUMED; at four runs a month it is ~0."""
PLATFORM_LOG_BYTES: Final = 377
"""Lambda's platform.start and platform.report JSON records of one invocation of an untraced function, unless its
system log level is WARN. Their documented shape with representative values, not measured:
https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html"""
LINK_VIEW_SHARE: Final = 0.10
"""Share of counted views that come through an application link the owner made (`?ref=`), each a third write.
ASSUMED, generously (docs/cost.md says why); `make cost ARGS='--link-share S'` prices another."""
DOWNLOADS_PER_VISIT: Final = 0.042
"""Résumé downloads per counted view, each a request of its own. ASSUMED: about a third of link views and 1 % of the
other views (docs/cost.md says why); `make cost ARGS='--downloads-per-visit D'` prices another."""
