"""The one catalog of names shared by the Lambdas, the CDK app, the dashboards, the local runtime and the docs:
change a name here and every consumer follows; nothing else spells these strings.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

# NOTE: every distinct (namespace, metric, dimension set) is a billed custom metric, so the counter
# emits with one fixed dimension (`service`, added by Powertools) and never per-request values.
METRICS_NAMESPACE: Final = "ResumeBackend"

COUNTER_SERVICE: Final = "visit-counter"
COLD_START_LOG_MESSAGE: Final = "cold start"
"""The counter's one log line of a cold start, with IMPORT_MS_LOG_KEY: its imports' time in ms."""
IMPORT_MS_LOG_KEY: Final = "import_ms"
# Where readers come from, for the dashboard's Logs Insights widgets: plain properties of the counter's EMF
# document (not metrics, so never billed), never the referrer, path or query (docs/privacy.md).
SOURCE_LOG_KEY: Final = "source"
REF_LOG_KEY: Final = "ref"
DOWNLOADS_LOG_KEY: Final = "downloads"
DOWNLOAD_LOG_MESSAGE: Final = "download counted"
LOG_TIMESTAMP_FORMAT: Final = "%Y-%m-%d %H:%M:%S,%f%z"
"""A JSON log line's `timestamp` as Powertools' Logger writes it (strptime reads its milliseconds as %f)."""
NOTIFIER_SERVICE: Final = "alarm-notifier"
DIGEST_SERVICE: Final = "weekly-digest"

# Powertools Metrics adds this dimension with the service name as its value.
SERVICE_DIMENSION: Final = "service"

# Custom metrics (unit: Count), emitted as EMF by the counter (docs/dashboards.md).
VISITS_METRIC: Final = "Visits"
UNIQUE_VISITORS_METRIC: Final = "UniqueVisitors"
IGNORED_VISITS_METRIC: Final = "IgnoredVisits"
"""On {service} (the total) and on {service, reason} (IGNORE_REASONS)."""
STORE_FAILURES_METRIC: Final = "VisitStoreFailures"

IGNORE_REASON_DIMENSION: Final = "reason"
IGNORED_CRAWLER: Final = "crawler"
IGNORED_NO_USER_AGENT: Final = "no_user_agent"
IGNORED_NOT_A_BROWSER: Final = "not_a_browser"
IGNORED_FOREIGN_ORIGIN: Final = "foreign_origin"
IGNORED_OVER_DAILY_LIMIT: Final = "over_daily_limit"
IGNORED_OVER_NETWORK_LIMIT: Final = "over_network_limit"
IGNORE_REASONS: Final = (
    IGNORED_CRAWLER,
    IGNORED_NO_USER_AGENT,
    IGNORED_NOT_A_BROWSER,
    IGNORED_FOREIGN_ORIGIN,
    IGNORED_OVER_DAILY_LIMIT,
    IGNORED_OVER_NETWORK_LIMIT,
)
"""The only values of the `reason` dimension (each a billed custom metric), and the `reason` POST /visits answers
when it did not count."""
ALREADY_COUNTED_REASON: Final = "already_counted"
"""The `reason` of a retry of a counted visit: the same visit, so no IgnoredVisits either."""

# The visits table: its items and what each attribute holds are in docs/privacy.md ("What is stored"). The totals
# item is the one the first version of the counter wrote, so a deployed count carries on.
VISITS_PARTITION_KEY: Final = "pk"
VISITS_ITEM_KEY: Final = "visits"
VISITS_COUNT_ATTRIBUTE: Final = "visit_count"
UNIQUE_VISITORS_ATTRIBUTE: Final = "unique_visitors"
TODAY_ATTRIBUTE: Final = "today"
TODAY_VIEWS_ATTRIBUTE: Final = "today_views"
TODAY_UNIQUE_ATTRIBUTE: Final = "today_unique_visitors"
SALT_KEY_PREFIX: Final = "salt#"
SALT_ATTRIBUTE: Final = "salt"
NETWORK_KEY_PREFIX: Final = "network#"
NETWORK_VIEWS_ATTRIBUTE: Final = "views"
VISITOR_ATTRIBUTE_PREFIX: Final = "v_"
VISIT_IDS_ATTRIBUTE: Final = "visit_ids"
LAST_WRITE_ATTRIBUTE: Final = "last_write"
"""A random token of the last write that counted a view on the network's item, so only that write is undone."""
EXPIRES_AT_ATTRIBUTE: Final = "expires_at"
"""The table's TTL attribute (epoch seconds)."""
TODAY_DOWNLOADS_ATTRIBUTE: Final = "today_downloads"
SOURCE_ATTRIBUTE_PREFIX: Final = "src_"
"""Then a source's name (functions/counter/sources.json, or SOURCE_DIRECT / SOURCE_OTHER)."""
DOWNLOADED_ATTRIBUTE: Final = "downloaded"
DAY_KEY_PREFIX: Final = "day#"
DAY_VIEWS_ATTRIBUTE: Final = "views"
DAY_UNIQUE_ATTRIBUTE: Final = "unique_visitors"
DAY_DOWNLOADS_ATTRIBUTE: Final = "downloads"
DAY_FIGURES_FROM_TODAY: Final[Mapping[str, str]] = {
    DAY_VIEWS_ATTRIBUTE: TODAY_VIEWS_ATTRIBUTE,
    DAY_UNIQUE_ATTRIBUTE: TODAY_UNIQUE_ATTRIBUTE,
    DAY_DOWNLOADS_ATTRIBUTE: TODAY_DOWNLOADS_ATTRIBUTE,
}
"""A day item's attribute → the totals item's that holds it while the day is today (the counter copies them)."""
DAY_ITEM_RETENTION_DAYS: Final = 400
"""A year of history for `make stats` and the digest, and a little more."""
LINK_KEY_PREFIX: Final = "link#"
OTHER_LINK_CODE: Final = "(other)"
"""Where views with a code the owner did not make count: not a valid code, so never mistaken for one."""
LINK_CODE_PATTERN: Final = r"[a-z0-9][a-z0-9-]{0,39}"
"""An application link's code, matched whole: pasted anywhere without URL encoding, short (docs/privacy.md,
"Application links")."""
LINK_CREATED_ATTRIBUTE: Final = "created"
LINK_FIRST_OPENED_ATTRIBUTE: Final = "first_opened"
LINK_LAST_OPENED_ATTRIBUTE: Final = "last_opened"
LINK_DAYS_ATTRIBUTE: Final = "days"
LINK_VIEWS_ATTRIBUTE: Final = "views"
SOURCE_DIRECT: Final = "direct"
"""No referrer, or the site itself."""
SOURCE_OTHER: Final = "other"
"""A referrer whose host is in no source's list."""

# Environment variables the Lambdas read; infra sets them under these names.
TABLE_NAME_ENV: Final = "TABLE_NAME"
MAX_VIEWS_ENV: Final = "MAX_VIEWS_PER_VISITOR_PER_DAY"
MAX_VIEWS_PER_NETWORK_ENV: Final = "MAX_VIEWS_PER_NETWORK_PER_DAY"
ALLOWED_ORIGINS_ENV: Final = "ALLOWED_ORIGINS"
"""Comma-separated origins of the site (the list the API's CORS allows)."""

# Lambda handlers (`module.function`): infra deploys them; the local runtime reads them back from the template.
COUNTER_HANDLER: Final = "functions.counter.app.lambda_handler"
NOTIFIER_HANDLER: Final = "functions.notifier.app.lambda_handler"
DIGEST_HANDLER: Final = "functions.digest.app.lambda_handler"

# The counter API's routes: exact paths (the counter routes on the request's path as it is) → methods.
VISITS_PATH: Final = "/visits"
COUNTER_ROUTES: Final[Mapping[str, tuple[str, ...]]] = {VISITS_PATH: ("GET", "POST")}

# Stack output ids (fixed logical ids): the deploy workflow, `make verify` and the tests read them by name.
API_URL_OUTPUT: Final = "ApiUrl"
SITE_URL_OUTPUT: Final = "SiteUrl"
TABLE_NAME_OUTPUT: Final = "VisitsTableName"
ALARM_TOPIC_OUTPUT: Final = "AlarmTopicArn"
ALERTING_HEALTH_TOPIC_OUTPUT: Final = "AlertingHealthTopicArn"
NOTIFIER_FUNCTION_OUTPUT: Final = "NotifierFunctionName"
NOTIFIER_DLQ_OUTPUT: Final = "NotifierDeadLetterQueueUrl"


def dashboard_name(stack_name: str) -> str:
    """The CloudWatch dashboard of a stack; alarm emails link to it by this name."""
    return f"{stack_name}-operations"


# --- Alerting: CloudWatch alarms → SNS → notifier Lambda → email and chat (infra/notifier.py, functions/notifier/) ---

# Environment variables the notifier reads; infra sets them under these names (docs/alerting.md, "The notifier").
SENDER_EMAIL_ENV: Final = "SENDER_EMAIL"
ALERT_RECIPIENTS_ENV: Final = "ALERT_RECIPIENTS"
IDEMPOTENCY_TABLE_ENV: Final = "IDEMPOTENCY_TABLE_NAME"
STACK_NAME_ENV: Final = "STACK_NAME"
RUNBOOK_URL_ENV: Final = "RUNBOOK_URL"
ALARM_IDS_ENV: Final = "ALARM_IDS"
ALERT_CHANNELS_ENV: Final = "ALERT_CHANNELS"
"""Comma-separated `<channel>=<SSM parameter name>` pairs; unset when email is the only channel."""

# Delivery channels of the notifier (functions/notifier/channel.py): they name idempotency records, log fields and
# the keys of `alert_channels`.
EMAIL_CHANNEL: Final = "email"
SLACK_CHANNEL: Final = "slack"
WEBHOOK_CHANNEL: Final = "webhook"

# The weekly digest and the reader notes: EventBridge Scheduler invokes the digest's function with {"kind": <one of
# these>, "scheduled_time": <the run's>} (infra/digest.py; the local system finds each event by its schedule id).
DIGEST_EVENT_KIND: Final = "weekly-digest"
DIGEST_SCHEDULE_ID: Final = "WeeklyDigest"
LINK_REGISTRY_KEY: Final = "links"
"""The item listing every code `make link` made, so the links are read by key; not a `link#` key."""
LINK_CODES_ATTRIBUTE: Final = "codes"
NOTES_EVENT_KIND: Final = "reader-notes"
NOTES_SCHEDULE_ID: Final = "ReaderNotes"
NOTES_STATE_KEY: Final = "notes#state"
NOTES_LAST_RUN_ATTRIBUTE: Final = "last_run"
NOTES_TOLD_LINKS_ATTRIBUTE: Final = "told_links"
NOTES_DOWNLOADS_DAY_ATTRIBUTE: Final = "downloads_day"
NOTES_DOWNLOADS_SEEN_ATTRIBUTE: Final = "downloads_seen"
NOTES_LAST_NOTE_ATTRIBUTE: Final = "last_note"

# The idempotency table: Powertools' attribute names, passed to it explicitly so infra, the local table and the
# Lambda agree (the expiry attribute is the table's TTL attribute).
IDEMPOTENCY_KEY_ATTRIBUTE: Final = "id"
IDEMPOTENCY_EXPIRY_ATTRIBUTE: Final = "expiration"

# Alarm ids are declared beside the metric they watch (infra/monitoring/); each is the suffix of a deployed
# alarm's name (alarm_name) and the GitHub anchor of its section in docs/runbook.md.
UNREADABLE_ALERT_SECTION: Final = "unreadable-alert"


def alarm_name(stack_name: str, alarm_id: str) -> str:
    """The deployed name of an alarm: stable across deploys, so links, history and the runbook keep working."""
    return f"{stack_name}-{alarm_id}"


def alarm_id_of(stack_name: str, name: str, alarm_ids: frozenset[str]) -> str | None:
    """The id of one of this stack's alarms (`alarm_ids`) from its name, or None for any other alarm."""
    prefix = f"{stack_name}-"
    alarm_id = name[len(prefix) :] if name.startswith(prefix) else None
    return alarm_id if alarm_id in alarm_ids else None


def alarm_description(title: str, unit: str, what_to_do: str) -> str:
    """An alarm's AlarmDescription, `<title> (<unit>). <what to do>` (`Traffic spike (requests). ...`): the
    notifier reads the title and unit back from the alarm's message for every channel's subject line."""
    if _TITLE_AND_UNIT.match(f"{title} ({unit}). ") is None:
        raise ValueError(f"alarm title {title!r} or unit {unit!r} has a bracket, a line break or is too long")
    return f"{title} ({unit}). {what_to_do}"


_TITLE_AND_UNIT: Final = re.compile(r"(?P<title>[^()\n]{1,40}) \((?P<unit>[^()\n]{1,20})\)\. ")


def alarm_title_and_unit(description: str | None) -> tuple[str, str] | None:
    """(title, unit) from the start of an alarm's description (alarm_description); None for any other alarm."""
    match = _TITLE_AND_UNIT.match(description or "")
    return (match["title"], match["unit"]) if match else None


def alarm_what_to_do(description: str) -> str:
    """An alarm's description without the title and unit it starts with (the subject line already says them)."""
    match = _TITLE_AND_UNIT.match(description)
    return description[match.end() :] if match else description


def runbook_url(github_repository: str, branch: str) -> str:
    """docs/runbook.md of the fork (`owner/name`) on GitHub, as on the branch that deploys."""
    return f"https://github.com/{github_repository}/blob/{branch}/docs/runbook.md"


def runbook_section_url(runbook: str, section: str) -> str:
    """One section of the runbook: an alarm id, or UNREADABLE_ALERT_SECTION (GitHub's heading anchor)."""
    return f"{runbook}#{section}"


# --- Availability probe: the site checked from outside, as a visitor's browser would (functions/probe/) ---

PROBE_SERVICE: Final = "availability-probe"
PROBE_HANDLER: Final = "functions.probe.app.lambda_handler"

# Environment variables the probe reads; infra sets them under these names.
PROBE_SITE_URL_ENV: Final = "SITE_URL"
PROBE_SITE_ORIGIN_ENV: Final = "SITE_ORIGIN"
PROBE_API_URL_ENV: Final = "API_URL"

# Custom metrics (unit: Count), emitted as EMF by the probe.
PROBE_FAILURES_METRIC: Final = "ProbeFailures"
"""Emitted only by a run that failed: on {service} (the total site-unavailable reads) and on {service, check}."""
PROBE_CHECK_DIMENSION: Final = "check"
# What each check checks: docs/alerting.md, "Availability probe".
PROBE_CHECK_SITE_PAGE: Final = "site_page"
PROBE_CHECK_SECURITY_HEADERS: Final = "security_headers"
PROBE_CHECK_COUNTER_SCRIPT: Final = "counter_script"
PROBE_CHECK_CORS_PREFLIGHT: Final = "cors_preflight"
PROBE_CHECK_VISITS_READ: Final = "visits_read"
PROBE_CHECKS: Final = (
    PROBE_CHECK_SITE_PAGE,
    PROBE_CHECK_SECURITY_HEADERS,
    PROBE_CHECK_COUNTER_SCRIPT,
    PROBE_CHECK_CORS_PREFLIGHT,
    PROBE_CHECK_VISITS_READ,
)
"""The only values of the `check` dimension: each is one billed custom metric (only while it fails), so fixed."""
PROBE_CHECK_LOG_KEY: Final = "probe_check"
"""The key of the probe's log line for a failed check (the check's name), by which its failures are found."""
PROBE_RESPONSE_LOG_KEY: Final = "response_seen"
"""...and what the check saw."""
PROBE_THROTTLED_LOG_KEY: Final = "probe_throttled"
"""The key of the probe's INFO line for an API check the throttle refused: not a failure, so not PROBE_CHECK_LOG_KEY."""
PROBE_LOG_GROUP_ENV: Final = "PROBE_LOG_GROUP"
SITE_UNAVAILABLE_ALARM: Final = "site-unavailable"
"""Declared by infra/monitoring/probe.py; named here because the notifier enriches its emails."""


# --- Throttle guard: the notifier lowers the API stage's throttle while api-request-spike is in ALARM ---

API_REQUEST_SPIKE_ALARM: Final = "api-request-spike"
"""Declared by infra/monitoring/http_api.py; named here because the notifier's guard acts on it."""
GUARD_API_ID_ENV: Final = "GUARD_API_ID"
"""The HTTP API whose stage the guard throttles; unset: no guard (the notifier only delivers)."""
GUARD_STAGE_NAME_ENV: Final = "GUARD_STAGE_NAME"
GUARD_RATE_ENV: Final = "GUARD_RATE_PER_SECOND"
GUARD_BURST_ENV: Final = "GUARD_BURST_REQUESTS"
NORMAL_RATE_ENV: Final = "API_THROTTLE_RATE_PER_SECOND"
NORMAL_BURST_ENV: Final = "API_THROTTLE_BURST_REQUESTS"
GUARD_CHANNEL: Final = "guard"
"""Names the guard's own idempotency record (beside the channels'): one stage update per SNS message."""
