"""The one catalog of names shared by the Lambdas, the CDK app, the dashboards, the local runtime and the docs.

Change a name here and every consumer follows; nothing else spells these strings.
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
"""The counter's one log line of a cold start (the dashboard's cold-start widget counts them)."""
IMPORT_MS_LOG_KEY: Final = "import_ms"
"""...with how long the handler module's imports took, in ms."""
# Where readers come from, for the dashboard's Logs Insights widgets: plain properties of the counter's EMF
# document (not metrics, so never billed as custom metrics), never the referrer, path or query.
SOURCE_LOG_KEY: Final = "source"
"""A source's name (SOURCE_ATTRIBUTE_PREFIX's), on a visitor's first counted view of the UTC day."""
REF_LOG_KEY: Final = "ref"
"""The application link's code a counted view was recorded under: the owner's, or OTHER_LINK_CODE."""
DOWNLOADS_LOG_KEY: Final = "downloads"
"""1 on a counted download of the résumé (once per visitor per UTC day), on its one log line."""
DOWNLOAD_LOG_MESSAGE: Final = "download counted"
LOG_TIMESTAMP_FORMAT: Final = "%Y-%m-%d %H:%M:%S,%f%z"
"""The `timestamp` of a JSON log line as Powertools' Logger writes it (strptime reads its milliseconds as %f); the
download's lean line is written in it, and the local system reads every line's time with it."""
NOTIFIER_SERVICE: Final = "alarm-notifier"
DIGEST_SERVICE: Final = "weekly-digest"

# Powertools Metrics adds this dimension with the service name as its value.
SERVICE_DIMENSION: Final = "service"

# Custom metrics (unit: Count), emitted as EMF by the counter.
VISITS_METRIC: Final = "Visits"
"""One per visit stored (POST /visits answered 200)."""
UNIQUE_VISITORS_METRIC: Final = "UniqueVisitors"
"""One per visitor's first counted view of a UTC day."""
IGNORED_VISITS_METRIC: Final = "IgnoredVisits"
"""One per POST answered 200 but not counted (IGNORE_REASONS; a retry of a counted visit is not one).
Emitted twice: on the fixed {service} dimension (the total) and on {service, reason} (IGNORE_REASONS)."""
STORE_FAILURES_METRIC: Final = "VisitStoreFailures"
"""One per request answered 503 because DynamoDB throttled or could not be reached."""

IGNORE_REASON_DIMENSION: Final = "reason"
IGNORED_CRAWLER: Final = "crawler"
IGNORED_NO_USER_AGENT: Final = "no_user_agent"
IGNORED_NOT_A_BROWSER: Final = "not_a_browser"
"""A User-Agent the maintained parser does not name as a browser (curl, Postman, Java, Node, PowerShell...)."""
IGNORED_FOREIGN_ORIGIN: Final = "foreign_origin"
"""An `Origin` header that is not one of the site's origins (CORS hides the answer, not the request)."""
IGNORED_OVER_DAILY_LIMIT: Final = "over_daily_limit"
IGNORED_OVER_NETWORK_LIMIT: Final = "over_network_limit"
"""Over the views counted per network (source IP) and UTC day, whatever the User-Agent."""
IGNORE_REASONS: Final = (
    IGNORED_CRAWLER,
    IGNORED_NO_USER_AGENT,
    IGNORED_NOT_A_BROWSER,
    IGNORED_FOREIGN_ORIGIN,
    IGNORED_OVER_DAILY_LIMIT,
    IGNORED_OVER_NETWORK_LIMIT,
)
"""The only values of the `reason` dimension, and the `reason` POST /visits answers when it did not count: each is
one custom metric, billed only for the hours it is published in, and no alarm reads them (the dashboard does)."""
ALREADY_COUNTED_REASON: Final = "already_counted"
"""The `reason` of a retry of a visit that was counted: it is the same visit, so no IgnoredVisits either."""

# The visits table (docs/privacy.md). One item holds the site's totals; it is the item the first version of the
# counter wrote, so a deployed count carries on (VISITS_COUNT_ATTRIBUTE stays the total page views).
VISITS_PARTITION_KEY: Final = "pk"
VISITS_ITEM_KEY: Final = "visits"
VISITS_COUNT_ATTRIBUTE: Final = "visit_count"
"""Total page views counted, since the counter was first deployed."""
UNIQUE_VISITORS_ATTRIBUTE: Final = "unique_visitors"
"""Sum of each UTC day's unique visitors."""
TODAY_ATTRIBUTE: Final = "today"
"""The UTC day (YYYY-MM-DD) that TODAY_VIEWS_ATTRIBUTE and TODAY_UNIQUE_ATTRIBUTE count."""
TODAY_VIEWS_ATTRIBUTE: Final = "today_views"
TODAY_UNIQUE_ATTRIBUTE: Final = "today_unique_visitors"
# One item per UTC day holds that day's random salt; one item per (day, network) holds what was counted from the
# network that day: its views, each of its visitors' views, the counted visit ids.
SALT_KEY_PREFIX: Final = "salt#"
SALT_ATTRIBUTE: Final = "salt"
NETWORK_KEY_PREFIX: Final = "network#"
"""One item per (day, network): a day's keyed hash of the source IP alone."""
NETWORK_VIEWS_ATTRIBUTE: Final = "views"
"""Counted views of the item's network that day (at most max_views_per_network_per_day)."""
VISITOR_ATTRIBUTE_PREFIX: Final = "v_"
"""Then a visitor's short keyed hash: one attribute per visitor of the network, their counted views that day (at
most max_views_per_visitor_per_day)."""
VISIT_IDS_ATTRIBUTE: Final = "visit_ids"
"""Short digests of the visit ids counted from the network that day."""
LAST_WRITE_ATTRIBUTE: Final = "last_write"
"""A random token of the last write that counted a view on the network's item: lets that write, and only that
write, be undone when the rest of its visit failed."""
EXPIRES_AT_ATTRIBUTE: Final = "expires_at"
"""The table's TTL attribute (epoch seconds): salts and network items expire after their day, day items after
DAY_ITEM_RETENTION_DAYS."""
# Where readers come from (docs/privacy.md): today's figures live in the totals item beside today's views, each
# past day's in a day item; application links (codes the owner makes with `make link`) each in their own item.
TODAY_DOWNLOADS_ATTRIBUTE: Final = "today_downloads"
"""Visitors who downloaded the résumé today (each counted once per UTC day)."""
SOURCE_ATTRIBUTE_PREFIX: Final = "src_"
"""Then a source's name (functions/counter/sources.json, or direct / other): today's unique visitors from it,
counted on each visitor's first counted view of the day; on a day item, that day's."""
DOWNLOADED_ATTRIBUTE: Final = "downloaded"
"""On a network's item: the short keyed hashes of its visitors who downloaded that day."""
DAY_KEY_PREFIX: Final = "day#"
"""Then a past UTC day: its views, unique visitors, downloads and sources, copied from the totals item by the
first write of the next day that finds it."""
DAY_VIEWS_ATTRIBUTE: Final = "views"
DAY_UNIQUE_ATTRIBUTE: Final = "unique_visitors"
DAY_DOWNLOADS_ATTRIBUTE: Final = "downloads"
DAY_FIGURES_FROM_TODAY: Final[Mapping[str, str]] = {
    DAY_VIEWS_ATTRIBUTE: TODAY_VIEWS_ATTRIBUTE,
    DAY_UNIQUE_ATTRIBUTE: TODAY_UNIQUE_ATTRIBUTE,
    DAY_DOWNLOADS_ATTRIBUTE: TODAY_DOWNLOADS_ATTRIBUTE,
}
"""A day item's views, unique visitors and downloads → the totals item's attribute that holds each while it is the
day counted (the counter copies them across; the digest and `make stats` read either)."""
DAY_ITEM_RETENTION_DAYS: Final = 400
"""How long a day item is kept (TTL): a year of history for `make stats` and the digest, and a little more."""
LINK_KEY_PREFIX: Final = "link#"
"""Then an application link's code (`make link`): only codes with an item count; views with any other code count
under OTHER_LINK_CODE."""
OTHER_LINK_CODE: Final = "(other)"
"""Not a valid code (LINK_CODE_PATTERN), so no code the owner makes can be mistaken for it."""
LINK_CODE_PATTERN: Final = r"[a-z0-9][a-z0-9-]{0,39}"
"""An application link's code, matched whole: lower case so a code reads the same wherever it is pasted, letters,
digits and hyphens only so `?ref=<code>` needs no URL encoding, at most 40 characters so a code stays a short
label (`acme-2026-12`) and its item's key small."""
LINK_CREATED_ATTRIBUTE: Final = "created"
LINK_FIRST_OPENED_ATTRIBUTE: Final = "first_opened"
LINK_LAST_OPENED_ATTRIBUTE: Final = "last_opened"
LINK_DAYS_ATTRIBUTE: Final = "days"
"""On how many UTC days the link was opened."""
LINK_VIEWS_ATTRIBUTE: Final = "views"
SOURCE_DIRECT: Final = "direct"
"""No referrer, or the site itself."""
SOURCE_OTHER: Final = "other"
"""A referrer whose host is in no source's list."""

# Environment variables the Lambdas read; infra sets them under these names.
TABLE_NAME_ENV: Final = "TABLE_NAME"
MAX_VIEWS_ENV: Final = "MAX_VIEWS_PER_VISITOR_PER_DAY"
"""config max_views_per_visitor_per_day: views of one visitor counted per UTC day."""
MAX_VIEWS_PER_NETWORK_ENV: Final = "MAX_VIEWS_PER_NETWORK_PER_DAY"
"""config max_views_per_network_per_day: views counted per network (source IP) per UTC day."""
ALLOWED_ORIGINS_ENV: Final = "ALLOWED_ORIGINS"
"""Comma-separated origins of the site (the list the API's CORS allows): a POST from another Origin is not counted."""

# Lambda handlers (`module.function`): infra deploys them under these names; the local runtime reads them back
# from the synthesized template and imports them.
COUNTER_HANDLER: Final = "functions.counter.app.lambda_handler"
NOTIFIER_HANDLER: Final = "functions.notifier.app.lambda_handler"
DIGEST_HANDLER: Final = "functions.digest.app.lambda_handler"

# The counter API's routes: path → methods. The counter routes on the request's path as it is, so these are
# exact paths; infra/api.py refuses at synth an API Gateway path template (`{id}`, `{proxy+}`) it cannot serve.
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

# Environment variables the notifier reads; infra sets them under these names.
SENDER_EMAIL_ENV: Final = "SENDER_EMAIL"
"""The verified SES identity alarm emails are sent from."""
ALERT_RECIPIENTS_ENV: Final = "ALERT_RECIPIENTS"
"""Comma-separated addresses that receive alarm emails."""
IDEMPOTENCY_TABLE_ENV: Final = "IDEMPOTENCY_TABLE_NAME"
"""The table that remembers which SNS messages were already emailed."""
STACK_NAME_ENV: Final = "STACK_NAME"
"""Alarm names and the dashboard name are derived from it (alarm_name, dashboard_name)."""
RUNBOOK_URL_ENV: Final = "RUNBOOK_URL"
ALARM_IDS_ENV: Final = "ALARM_IDS"
"""Comma-separated ids of the stack's alarms (infra/monitoring/): each has its section in the runbook."""
"""docs/runbook.md as published on GitHub; an alarm's section is `#<alarm id>`."""

ALERT_CHANNELS_ENV: Final = "ALERT_CHANNELS"
"""The chat and webhook channels besides email, comma-separated `<channel>=<SSM parameter name>` pairs
(e.g. `slack=/resume/slack-webhook`); unset when email is the only channel. Names only: the URLs are secrets
kept in those SecureString parameters."""

# Delivery channels of the notifier (functions/notifier/channel.py). Email is always on; the others are
# configured by `alert_channels` in cdk.json, at most one of each. Fixed values: they name idempotency records,
# log fields and the keys of the config.
EMAIL_CHANNEL: Final = "email"
SLACK_CHANNEL: Final = "slack"
WEBHOOK_CHANNEL: Final = "webhook"

# The weekly digest: EventBridge Scheduler invokes its function with {"kind": DIGEST_EVENT_KIND, "scheduled_time":
# <the run's scheduled time>, "so_far": false} (infra/digest.py); `make digest` sends the week so far the same way.
DIGEST_EVENT_KIND: Final = "weekly-digest"
DIGEST_SCHEDULE_ID: Final = "WeeklyDigest"
"""The schedule's construct id (infra/digest.py); the local system finds the digest's event in the template by it."""
# The digest also reads the visits table (read-only): the week's day items, the totals item, the link registry and
# the links it names (functions/digest/readers.py).
LINK_REGISTRY_KEY: Final = "links"
"""The item listing every code `make link` made (LINK_CODES_ATTRIBUTE), so the digest and the notes read the links
by key instead of scanning the table. Not a `link#` key, so the counter never writes it and `make stats` never
counts it as a link."""
LINK_CODES_ATTRIBUTE: Final = "codes"
"""On the registry item: a string set of codes (LINK_CODE_PATTERN)."""

# Notes (config reader_notes): an hourly run of the digest's function, {"kind": NOTES_EVENT_KIND, "scheduled_time":
# <the run's scheduled time>}, tells the owner of first opens of application links and of downloads since the run
# before, in one message (functions/digest/notes.py). What it already told lives in one item.
NOTES_EVENT_KIND: Final = "reader-notes"
NOTES_SCHEDULE_ID: Final = "ReaderNotes"
NOTES_STATE_KEY: Final = "notes#state"
NOTES_LAST_RUN_ATTRIBUTE: Final = "last_run"
"""The scheduled time (ISO 8601 UTC) of the last run that wrote the item: the start of the next note's period."""
NOTES_TOLD_LINKS_ATTRIBUTE: Final = "told_links"
"""Codes whose first open was told (or was before the notes began): never told again, never read again."""
NOTES_DOWNLOADS_DAY_ATTRIBUTE: Final = "downloads_day"
NOTES_DOWNLOADS_SEEN_ATTRIBUTE: Final = "downloads_seen"
"""The downloads of NOTES_DOWNLOADS_DAY_ATTRIBUTE already told (or counted before the notes began)."""
NOTES_LAST_NOTE_ATTRIBUTE: Final = "last_note"
"""What the last run told, as JSON: a retry of that run delivers the same note (each channel at most once)."""

# Custom metrics (unit: Count), emitted as EMF by the notifier.
ALERT_EMAILS_SENT_METRIC: Final = "AlertEmailsSent"
"""One per alarm email SES accepted (a redelivered SNS message sends none)."""
UNREADABLE_ALERTS_METRIC: Final = "UnreadableAlertsForwarded"
"""One per SNS message that was not a CloudWatch alarm notification and was forwarded raw."""

# The idempotency table: Powertools' DynamoDBPersistenceLayer attribute names, passed to it explicitly so the
# table infra creates, the local one and the Lambda agree. The expiry attribute is the table's TTL attribute.
IDEMPOTENCY_KEY_ATTRIBUTE: Final = "id"
IDEMPOTENCY_EXPIRY_ATTRIBUTE: Final = "expiration"

# Alarm ids are declared beside the metric they watch (infra/monitoring/); each is the suffix of a deployed
# alarm's name (alarm_name) and, being lower-case words joined by hyphens, the GitHub anchor of its section in
# docs/runbook.md, whose heading is the id itself.
UNREADABLE_ALERT_SECTION: Final = "unreadable-alert"
"""The runbook section an email about a message the notifier could not read links to."""


def alarm_name(stack_name: str, alarm_id: str) -> str:
    """The deployed name of an alarm: stable across deploys, so links, history and the runbook keep working."""
    return f"{stack_name}-{alarm_id}"


def alarm_id_of(stack_name: str, name: str, alarm_ids: frozenset[str]) -> str | None:
    """The id of one of this stack's alarms (`alarm_ids`) from its name, or None for any other alarm."""
    prefix = f"{stack_name}-"
    alarm_id = name[len(prefix) :] if name.startswith(prefix) else None
    return alarm_id if alarm_id in alarm_ids else None


def alarm_description(title: str, unit: str, what_to_do: str) -> str:
    """An alarm's AlarmDescription, `<title> (<unit>). <what to do>`: its short title and the unit of its figure
    (`Traffic spike (requests). ...`), defined once beside the alarm (infra/monitoring/alarm_spec.py) and read
    back by the notifier from the alarm's message (alarm_title_and_unit) for every channel's subject line."""
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
"""The origin the page is served from: the Origin header of the probe's API requests."""
PROBE_API_URL_ENV: Final = "API_URL"

# Custom metrics (unit: Count), emitted as EMF by the probe.
PROBE_FAILURES_METRIC: Final = "ProbeFailures"
"""Failed checks of one probe run: emitted only by a run that failed, on the fixed {service} dimension (the
total the site-unavailable alarm reads; a healthy run emits nothing, which the alarm reads as healthy), and 1 on
{service, check} for each failed check (PROBE_CHECKS)."""
PROBE_CHECK_DIMENSION: Final = "check"
PROBE_CHECK_SITE_PAGE: Final = "site_page"
"""The page answers 200 over HTTPS."""
PROBE_CHECK_SECURITY_HEADERS: Final = "security_headers"
"""The page carries the security headers (functions/common/security_headers.py), its CSP allowing the API."""
PROBE_CHECK_COUNTER_SCRIPT: Final = "counter_script"
"""The page loads the counter script."""
PROBE_CHECK_CORS_PREFLIGHT: Final = "cors_preflight"
"""A preflight for POST /visits from the site's origin is allowed for that origin (nothing is POSTed)."""
PROBE_CHECK_VISITS_READ: Final = "visits_read"
"""GET /visits from the site's origin answers 200 with Access-Control-Allow-Origin the site's origin."""
PROBE_CHECKS: Final = (
    PROBE_CHECK_SITE_PAGE,
    PROBE_CHECK_SECURITY_HEADERS,
    PROBE_CHECK_COUNTER_SCRIPT,
    PROBE_CHECK_CORS_PREFLIGHT,
    PROBE_CHECK_VISITS_READ,
)
"""The only values of the `check` dimension: each is one billed custom metric (only while it fails), so fixed."""
PROBE_CHECK_LOG_KEY: Final = "probe_check"
"""The key of the probe's log line for a failed check (its value is the check's name); the notifier finds the
latest failure in the probe's log group by it."""
PROBE_RESPONSE_LOG_KEY: Final = "response_seen"
"""The key of the same log line holding what the check saw (status, the header or problem)."""
PROBE_THROTTLED_LOG_KEY: Final = "probe_throttled"
"""The key of the probe's INFO line for an API check API Gateway's throttle refused (its value is the check's
name): not a failure, so never under PROBE_CHECK_LOG_KEY, which the notifier and the dashboard read as one."""
PROBE_LOG_GROUP_ENV: Final = "PROBE_LOG_GROUP"
"""The notifier reads the probe's latest failure from this log group for site-unavailable emails."""
SITE_UNAVAILABLE_ALARM: Final = "site-unavailable"
"""Declared by infra/monitoring/probe.py; named here because the notifier enriches its emails."""


# --- Throttle guard: while api-request-spike is in ALARM the notifier lowers the API stage's default-route throttle
# (functions/notifier/guard.py), and puts the configured one back when it is OK again (infra/guard.py) ---

API_REQUEST_SPIKE_ALARM: Final = "api-request-spike"
"""Declared by infra/monitoring/http_api.py; named here because the notifier's guard acts on it."""
GUARD_API_ID_ENV: Final = "GUARD_API_ID"
"""The HTTP API whose stage the guard throttles; unset: no guard (the notifier only delivers)."""
GUARD_STAGE_NAME_ENV: Final = "GUARD_STAGE_NAME"
GUARD_RATE_ENV: Final = "GUARD_RATE_PER_SECOND"
"""config guard_rate_per_second: the stage's steady-state rate limit while the guard is engaged."""
GUARD_BURST_ENV: Final = "GUARD_BURST_REQUESTS"
"""config guard_burst_requests: the stage's burst limit while the guard is engaged."""
NORMAL_RATE_ENV: Final = "API_THROTTLE_RATE_PER_SECOND"
"""config api_throttle_rate_per_second: what the guard restores on release."""
NORMAL_BURST_ENV: Final = "API_THROTTLE_BURST_REQUESTS"
"""config api_throttle_burst_requests: what the guard restores on release."""
GUARD_CHANNEL: Final = "guard"
"""Names the guard's own idempotency record (beside the channels'): one stage update per SNS message."""
