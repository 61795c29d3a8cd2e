"""The one catalog of names shared by the Lambdas, the CDK app, the dashboards, the local runtime and the docs.

Change a name here and every consumer follows; nothing else spells these strings.
"""

from __future__ import annotations

from typing import Final

# NOTE: every distinct (namespace, metric, dimension set) is a billed custom metric, so the counter
# emits with one fixed dimension (`service`, added by Powertools) and never per-request values.
METRICS_NAMESPACE: Final = "ResumeBackend"

COUNTER_SERVICE: Final = "visit-counter"
NOTIFIER_SERVICE: Final = "alarm-notifier"

# Powertools Metrics adds this dimension with the service name as its value.
SERVICE_DIMENSION: Final = "service"

# Custom metrics (unit: Count), emitted as EMF by the counter.
VISITS_METRIC: Final = "Visits"
"""One per visit stored (POST /visits answered 200)."""
STORE_FAILURES_METRIC: Final = "VisitStoreFailures"
"""One per request answered 503 because DynamoDB throttled or could not be reached."""

# The visits table: one item holds the site's count, updated atomically with ADD.
VISITS_PARTITION_KEY: Final = "pk"
VISITS_ITEM_KEY: Final = "visits"
VISITS_COUNT_ATTRIBUTE: Final = "visit_count"

# Environment variables the Lambdas read; infra sets them under these names.
TABLE_NAME_ENV: Final = "TABLE_NAME"


def dashboard_name(stack_name: str) -> str:
    """The CloudWatch dashboard of a stack; alarm emails link to it by this name."""
    return f"{stack_name}-operations"
