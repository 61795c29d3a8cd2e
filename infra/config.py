"""The one typed deployment config, read from the `config` object in cdk.json's context.

Any key can be overridden on the command line: `cdk synth -c config.site_origins='["https://me.dev"]'`
(values are parsed as JSON when they parse, else taken as strings). A bad value stops synth with an error
that names the key. docs/configuration.md lists every key; it is generated from CONFIG_FIELDS below.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from functions.common import catalog

CONTEXT_KEY: Final = "config"
REPO_ROOT: Final = Path(__file__).resolve().parent.parent
OVERRIDE_PREFIX: Final = f"{CONTEXT_KEY}."

# Retentions CloudWatch Logs accepts, in days, with the name aws_cdk.aws_logs.RetentionDays gives each.
LOG_RETENTION_NAMES: Final[Mapping[int, str]] = {
    1: "ONE_DAY",
    3: "THREE_DAYS",
    5: "FIVE_DAYS",
    7: "ONE_WEEK",
    14: "TWO_WEEKS",
    30: "ONE_MONTH",
    60: "TWO_MONTHS",
    90: "THREE_MONTHS",
    120: "FOUR_MONTHS",
    150: "FIVE_MONTHS",
    180: "SIX_MONTHS",
    365: "ONE_YEAR",
    400: "THIRTEEN_MONTHS",
    545: "EIGHTEEN_MONTHS",
    731: "TWO_YEARS",
    1096: "THREE_YEARS",
    1827: "FIVE_YEARS",
    3653: "TEN_YEARS",
}
_ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$")
_GIT_REF_NAME = re.compile(r"^[A-Za-z0-9._/-]{1,100}$")
_ACM_CERTIFICATE_ARN = re.compile(
    r"^arn:aws[a-z-]*:acm:(?P<region>[a-z]{2}(-[a-z]+)+-\d):\d{12}:certificate/[0-9a-f-]{36}$"
)
# NOTE: DynamoDB table names are 3-255 of [a-zA-Z0-9_.-].
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
CLOUDFRONT_CERTIFICATE_REGION: Final = "us-east-1"
"""NOTE: CloudFront uses only ACM certificates from us-east-1.
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html"""

Hosting = Literal["amplify", "s3-cloudfront"]

# NOTE: SSM parameter names: letters, digits and `_.-/`, a hierarchy starting with `/`, at most 1011 characters,
# not starting with `aws` or `ssm`. https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html
_SSM_PARAMETER_NAME = re.compile(r"^(?!/?(aws|ssm))((/[A-Za-z0-9_.-]+)+|[A-Za-z0-9_.-]+)$", re.IGNORECASE)
DEFAULT_DIGEST_SCHEDULE: Final = "cron(0 8 ? * MON *)"
"""Mondays 08:00 UTC: the digest then reports the ISO week (UTC) that ended eight hours earlier."""
# NOTE: Scheduler's cron has six fields (minutes hours day-of-month month day-of-week year), one of the two day
# fields being `?`. https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based
_SCHEDULER_CRON = re.compile(r"^cron\((?=[^()]*\?)[0-9A-Za-z*?,/#L-]+( [0-9A-Za-z*?,/#L-]+){5}\)$")
CHANNEL_PARAMETER_KEYS: Final[Mapping[str, str]] = {
    catalog.SLACK_CHANNEL: "webhook_url_parameter",
    catalog.WEBHOOK_CHANNEL: "url_parameter",
}
"""Each optional channel's key naming the SSM SecureString parameter that holds its URL."""


DEFAULT_PROBE_INTERVAL_MINUTES: Final = 10
DEFAULT_ALERT_TOPIC_KMS: Final = False
Tracing = Literal["disabled", "pass_through", "active"]
TRACING_MODES: Final[tuple[Tracing, ...]] = ("disabled", "pass_through", "active")
DEFAULT_COUNTER_TRACING: Final[Tracing] = "disabled"
DEFAULT_MONTHLY_BUDGET_USD: Final = 5
DEFAULT_GUARD_RATE_PER_SECOND: Final = 2
DEFAULT_GUARD_BURST_REQUESTS: Final = 10


class ConfigError(ValueError):
    """A config value is missing or wrong; the message names the key."""


@dataclass(frozen=True)
class AlarmThresholds:
    """Alarm thresholds; units are in the names. Defaults suit a personal site (tens of visits a day)."""

    api_requests_per_5_minutes: int
    api_5xx_per_5_minutes: int
    api_p99_latency_ms: int
    counter_throttles_per_5_minutes: int
    counter_store_failures_per_5_minutes: int


@dataclass(frozen=True)
class AlertChannel:
    """A channel alerts go to besides email (always on): its type and where its secret URL is kept."""

    type: str
    """catalog.SLACK_CHANNEL or catalog.WEBHOOK_CHANNEL."""
    parameter_name: str
    """The SSM SecureString parameter holding the URL; the URL itself is never in config, template or logs."""


@dataclass(frozen=True)
class DeploymentConfig:
    account: str
    region: str
    stack_name: str
    site_origins: tuple[str, ...]
    """Origins allowed to call the API (CORS) besides the hosted site's own origin, which infra adds itself."""
    api_throttle_rate_per_second: int
    api_throttle_burst_requests: int
    guard_rate_per_second: int
    """The stage's rate limit while api-request-spike is in ALARM (the notifier's throttle guard); below
    api_throttle_rate_per_second."""
    guard_burst_requests: int
    """The stage's burst limit while the guard is engaged; below api_throttle_burst_requests."""
    monthly_budget_usd: int
    """The account's monthly cost budget (AWS Budgets); its alerts reach the owner by the alerting-health path."""
    counter_memory_mb: int
    counter_timeout_seconds: int
    counter_reserved_concurrency: int | None
    """A cost cap: at most this many counters run at once. null removes the cap (needed on new accounts whose
    concurrency quota is 10, where any reservation fails to deploy)."""
    max_views_per_visitor_per_day: int
    """Views of one visitor (a day's hash of IP, User-Agent and site) counted per UTC day; more are ignored."""
    log_retention_days: int
    alert_recipients: tuple[str, ...]
    sender_email: str
    alert_channels: tuple[AlertChannel, ...]
    """Slack and/or a JSON webhook, at most one of each, besides email; empty: email only."""
    digest_schedule: str | None
    """EventBridge Scheduler cron expression (UTC) of the weekly digest, or None for no digest."""
    hosting: Hosting
    site_domain: str | None
    """A custom domain the site is also served on (its https origin is allowed by CORS), or null."""
    site_certificate_arn: str | None
    """ACM certificate (us-east-1) for site_domain; needed only by S3 + CloudFront hosting (Amplify manages its own)."""
    existing_visits_table_name: str | None
    """A visits table to adopt (e.g. retained from a deleted stack) instead of creating one (docs/deploy.md)."""
    github_repository: str
    """`owner/name` of the fork: links in alarm emails point at its docs, and the deploy role trusts only it."""
    deploy_branch: str
    deploy_environment: str
    probe_interval_minutes: int
    """How often the availability probe checks the site from outside; its alarm fires after 2 failed probes."""
    alert_topic_kms: bool
    """Encrypt the alert topics with a customer-managed KMS key ($1/month); off, they are TLS-only."""
    counter_tracing: Tracing
    """X-Ray tracing of the counter: off, pass-through (traced only when the caller sampled it) or active."""
    alarm_thresholds: AlarmThresholds


def _string(pattern: re.Pattern[str], what: str) -> Callable[[str, Any], str]:
    def parse(key: str, value: Any) -> str:
        # `-c config.account=123456789012` parses as a JSON number; an id of digits is still that string.
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not pattern.match(value):
            raise ConfigError(f"config key '{key}': {value!r} is not {what}")
        return value

    return parse


def _int(low: int, high: int) -> Callable[[str, Any], int]:
    def parse(key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"config key '{key}': {value!r} is not a whole number from {low} to {high}")
        return value

    return parse


def _optional(parse: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
    return lambda key, value: None if value is None else parse(key, value)


def _list_of(parse: Callable[[str, Any], str], *, min_items: int) -> Callable[[str, Any], tuple[str, ...]]:
    def parse_list(key: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or len(value) < min_items:
            raise ConfigError(f"config key '{key}': expected a list of at least {min_items} item(s), got {value!r}")
        items = tuple(parse(f"{key}[{i}]", item) for i, item in enumerate(value))
        if len(set(items)) != len(items):
            raise ConfigError(f"config key '{key}': has duplicates: {value!r}")
        return items

    return parse_list


def _origin(key: str, value: Any) -> str:
    # NOTE: API Gateway compares origins as exact strings: a trailing slash, a path, upper case or `*`
    # silently never matches (or matches everyone), so they are refused here instead.
    if not isinstance(value, str) or not _ORIGIN.match(value):
        raise ConfigError(
            f"config key '{key}': {value!r} is not an origin like 'https://example.com' "
            "(scheme and lower-case host, optional port, no path or trailing slash, no '*')"
        )
    return value


def _retention(key: str, value: Any) -> int:
    if isinstance(value, bool) or value not in LOG_RETENTION_NAMES:
        raise ConfigError(
            f"config key '{key}': {value!r} is not a CloudWatch Logs retention; use one of {list(LOG_RETENTION_NAMES)}"
        )
    return int(value)


def _bool(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"config key '{key}': {value!r} is not true or false")
    return value


def _tracing(key: str, value: Any) -> Tracing:
    if value not in TRACING_MODES:
        raise ConfigError(f"config key '{key}': {value!r} is not one of {', '.join(map(repr, TRACING_MODES))}")
    return value  # type: ignore[no-any-return]


def _hosting(key: str, value: Any) -> Hosting:
    if value not in ("amplify", "s3-cloudfront"):
        raise ConfigError(f"config key '{key}': {value!r} is not 'amplify' or 's3-cloudfront'")
    return value  # type: ignore[no-any-return]


_email = _string(_EMAIL, "an email address")


def _alert_channel(key: str, value: Any) -> AlertChannel:
    # NOTE: no message here quotes a value: a URL put where a parameter name belongs is a secret.
    types = " or ".join(f"'{name}'" for name in CHANNEL_PARAMETER_KEYS)
    kind = value.get("type") if isinstance(value, dict) else None
    if kind == catalog.EMAIL_CHANNEL:
        raise ConfigError(f"config key '{key}': email is always on (alert_recipients); list only {types}")
    if not isinstance(kind, str) or kind not in CHANNEL_PARAMETER_KEYS:
        raise ConfigError(f"config key '{key}': expected an object whose 'type' is {types}")
    parameter_key = CHANNEL_PARAMETER_KEYS[kind]
    if set(value) != {"type", parameter_key}:
        raise ConfigError(f"config key '{key}': a '{kind}' channel has exactly the keys 'type' and '{parameter_key}'")
    name = value[parameter_key]
    if isinstance(name, str) and "://" in name:
        raise ConfigError(
            f"config key '{key}.{parameter_key}': this looks like a URL, which is a secret: store it as an SSM "
            "SecureString parameter and put the parameter's name here (docs/alerting.md#channels)"
        )
    if not isinstance(name, str) or len(name) > 1011 or not _SSM_PARAMETER_NAME.match(name):
        raise ConfigError(f"config key '{key}.{parameter_key}': not an SSM parameter name like '/resume/{kind}-url'")
    return AlertChannel(type=kind, parameter_name=name)


def _alert_channels(key: str, value: Any) -> tuple[AlertChannel, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"config key '{key}': expected a list of channels (empty: email only)")
    channels = tuple(_alert_channel(f"{key}[{i}]", item) for i, item in enumerate(value))
    kinds = [channel.type for channel in channels]
    if len(set(kinds)) != len(kinds):
        raise ConfigError(f"config key '{key}': at most one channel of each type")
    return channels


CONFIG_FIELDS: Final[Mapping[str, tuple[Callable[[str, Any], Any], str]]] = {
    "account": (_string(_ACCOUNT, "a 12-digit AWS account id"), "AWS account to deploy to."),
    "region": (_string(_REGION, "an AWS region like 'eu-west-1'"), "AWS region to deploy to."),
    "stack_name": (_string(_STACK_NAME, "a CloudFormation stack name"), "Name of the application stack."),
    "site_origins": (
        _list_of(_origin, min_items=0),
        "Origins allowed by the API's CORS (e.g. a custom domain); the hosted site's own origin is added by infra.",
    ),
    "api_throttle_rate_per_second": (_int(1, 10_000), "API stage steady-state request rate limit (requests/s)."),
    "api_throttle_burst_requests": (_int(1, 5_000), "API stage burst limit (requests)."),
    "guard_rate_per_second": (
        _int(1, 10_000),
        f"API stage rate limit (requests/s) while `api-request-spike` is in ALARM (default "
        f"{DEFAULT_GUARD_RATE_PER_SECOND}): the notifier lowers the throttle to it and restores "
        "`api_throttle_rate_per_second` on OK; below that one ([alerting.md](alerting.md#throttle-guard)).",
    ),
    "guard_burst_requests": (
        _int(1, 5_000),
        f"API stage burst limit (requests) while the guard is engaged (default {DEFAULT_GUARD_BURST_REQUESTS}); "
        "below `api_throttle_burst_requests`, at least `guard_rate_per_second`.",
    ),
    "monthly_budget_usd": (
        _int(1, 1_000_000),
        f"Monthly cost budget of the account in USD (default {DEFAULT_MONTHLY_BUDGET_USD}): AWS Budgets emails "
        "by the alerting-health topic at 80% and 100% of actual cost and at 100% forecast "
        "([alerting.md](alerting.md#cost-budget)).",
    ),
    "counter_memory_mb": (_int(128, 10_240), "Counter Lambda memory (MB); CPU share scales with it."),
    "counter_timeout_seconds": (_int(1, 29), "Counter Lambda timeout (s); must stay under the API's 30 s."),
    "counter_reserved_concurrency": (
        _optional(_int(1, 1000)),
        "Reserved concurrency of the counter (cost cap), or null for none.",
    ),
    "max_views_per_visitor_per_day": (
        _int(1, 1000),
        "Page views of one visitor counted per UTC day (reloads and scripts beyond it count as IgnoredVisits).",
    ),
    "log_retention_days": (_retention, "Retention of every log group (days)."),
    "alert_recipients": (_list_of(_email, min_items=1), "Who receives alarm emails."),
    "sender_email": (_email, "SES identity alarm emails are sent from (must be verified in SES)."),
    "alert_channels": (
        _alert_channels,
        'Channels alarms go to besides email: `{"type": "slack", "webhook_url_parameter": "/resume/slack-webhook"}`, '
        '`{"type": "webhook", "url_parameter": "/resume/alert-webhook"}` (at most one of each); each names the '
        "SSM SecureString parameter holding the URL. Default `[]`: email only ([alerting.md](alerting.md#channels)).",
    ),
    "digest_schedule": (
        _optional(_string(_SCHEDULER_CRON, "an EventBridge Scheduler cron expression like 'cron(0 8 ? * MON *)'")),
        f"When the weekly digest goes to every alert channel: a Scheduler cron expression in UTC (default "
        f"`{DEFAULT_DIGEST_SCHEDULE}`, Mondays 08:00), or null for no digest "
        "([alerting.md](alerting.md#weekly-digest)).",
    ),
    "hosting": (_hosting, "'amplify' (default) or 's3-cloudfront'."),
    "site_domain": (_optional(_string(_DOMAIN, "a lower-case domain name")), "Custom domain of the site, or null."),
    "site_certificate_arn": (
        _optional(_string(_ACM_CERTIFICATE_ARN, "an ACM certificate ARN")),
        "ACM certificate in us-east-1 covering site_domain; required by s3-cloudfront hosting with a site_domain.",
    ),
    "existing_visits_table_name": (
        _optional(_string(_TABLE_NAME, "a DynamoDB table name")),
        "Name of an existing visits table to adopt (a retained one keeps its count), or null to create one.",
    ),
    "github_repository": (
        _string(_GITHUB_REPOSITORY, "a GitHub repository like 'owner/name'"),
        "The fork on GitHub: alarm emails link its runbook; the deploy role trusts only its workflows.",
    ),
    "deploy_branch": (_string(_GIT_REF_NAME, "a branch name"), "Branch whose pushes deploy."),
    "deploy_environment": (
        _string(_GIT_REF_NAME, "a GitHub environment name"),
        "GitHub environment of deploys.",
    ),
    "probe_interval_minutes": (
        _int(1, 60),
        "Minutes between two runs of the availability probe (default 10); `site-unavailable` fires after 2 failed "
        "probes in a row, so after about twice this ([alerting.md](alerting.md#availability-probe)).",
    ),
    "alert_topic_kms": (
        _bool,
        "Encrypt the two alert topics with a customer-managed KMS key (`true`: $1.00/month, and KMS requests); "
        "default `false`: SNS's own encryption cannot be used by CloudWatch, so the topics are unencrypted at rest "
        "but accept TLS only ([alerting.md](alerting.md#the-topics-encryption)).",
    ),
    "counter_tracing": (
        _tracing,
        "X-Ray tracing of the counter: `disabled` (default), `pass_through` (only requests a caller sampled; HTTP "
        "APIs sample none) or `active` (about $5 per million traced requests past the free tier; "
        "[cost.md](cost.md)).",
    ),
}
# Each threshold: (parser, meaning, default). A key left out of cdk.json's `alarm_thresholds` takes its default, so
# a new alarm's threshold is declared here only (docs/alerting.md, "Adding an alarm").
THRESHOLD_FIELDS: Final[Mapping[str, tuple[Callable[[str, Any], Any], str, int]]] = {
    "api_requests_per_5_minutes": (
        _int(1, 10_000_000),
        "API requests in 5 minutes above which the usage alarm fires.",
        1000,
    ),
    "api_5xx_per_5_minutes": (_int(1, 1_000_000), "API 5xx answers in 5 minutes.", 5),
    "api_p99_latency_ms": (_int(1, 30_000), "API p99 latency (ms) over 5 minutes.", 1500),
    "counter_throttles_per_5_minutes": (_int(1, 1_000_000), "Counter Lambda throttles in 5 minutes.", 1),
    "counter_store_failures_per_5_minutes": (
        _int(1, 1_000_000),
        "Visits answered 503 because the visit store failed (custom metric VisitStoreFailures), in 5 minutes.",
        1,
    ),
}
# Thresholds of alarms merged into others to fit the free tier's 10 alarm metrics (docs/alerting.md, "What covers
# what"): an old cdk.json that still sets one is told which alarm took over, rather than "unknown key".
REMOVED_THRESHOLDS: Final[Mapping[str, str]] = {
    "counter_invocations_per_5_minutes": "api-request-spike (every counter run is an API request)",
    "counter_errors_per_5_minutes": "api-5xx-errors (a counter error is a 500)",
    "counter_p99_duration_percent_of_timeout": "api-p99-latency (the API's latency includes the counter's run)",
    "visits_table_errors_per_5_minutes": "visit-store-failures (a failed DynamoDB request is a visit answered 503)",
}


OPTIONAL_DEFAULTS: Final[Mapping[str, Any]] = {
    "alarm_thresholds": {},
    "alert_channels": [],
    "probe_interval_minutes": DEFAULT_PROBE_INTERVAL_MINUTES,
    "digest_schedule": DEFAULT_DIGEST_SCHEDULE,
    "alert_topic_kms": DEFAULT_ALERT_TOPIC_KMS,
    "counter_tracing": DEFAULT_COUNTER_TRACING,
    "monthly_budget_usd": DEFAULT_MONTHLY_BUDGET_USD,
    "guard_rate_per_second": DEFAULT_GUARD_RATE_PER_SECOND,
    "guard_burst_requests": DEFAULT_GUARD_BURST_REQUESTS,
}
"""The keys cdk.json may leave out, and what they are then (docs/configuration.md shows both)."""


def load_config(context: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> DeploymentConfig:
    """Builds the config from the context object, with `config.<key>` overrides applied on top."""
    raw = context.get(CONTEXT_KEY)
    if not isinstance(raw, dict):
        raise ConfigError(f"cdk.json context has no '{CONTEXT_KEY}' object")
    merged: dict[str, Any] = json.loads(json.dumps(raw))
    for key, default in OPTIONAL_DEFAULTS.items():
        merged.setdefault(key, json.loads(json.dumps(default)))  # a copy: the defaults are shared
    for key, value in (overrides or {}).items():
        _apply_override(merged, key, _parse_override(value))

    known = set(CONFIG_FIELDS) | {"alarm_thresholds"}
    _reject_unknown(merged, known, prefix="")
    _reject_removed_thresholds(merged["alarm_thresholds"])
    _reject_unknown(merged["alarm_thresholds"], set(THRESHOLD_FIELDS), prefix="alarm_thresholds.")

    values = {key: parse(key, _required(merged, key, key)) for key, (parse, _) in CONFIG_FIELDS.items()}
    thresholds = {
        key: parse(f"alarm_thresholds.{key}", merged["alarm_thresholds"].get(key, default))
        for key, (parse, _, default) in THRESHOLD_FIELDS.items()
    }
    config = DeploymentConfig(**values, alarm_thresholds=AlarmThresholds(**thresholds))
    if config.api_throttle_burst_requests < config.api_throttle_rate_per_second:
        raise ConfigError("config key 'api_throttle_burst_requests': must be at least api_throttle_rate_per_second")
    _check_guard(config)
    _check_site_certificate(config)
    return config


def _check_guard(config: DeploymentConfig) -> None:
    """The guard only ever lowers the throttle: its limits are below the stage's configured ones."""
    if config.guard_rate_per_second >= config.api_throttle_rate_per_second:
        raise ConfigError(
            f"config key 'guard_rate_per_second': {config.guard_rate_per_second} must be below "
            f"api_throttle_rate_per_second ({config.api_throttle_rate_per_second})"
        )
    if config.guard_burst_requests >= config.api_throttle_burst_requests:
        raise ConfigError(
            f"config key 'guard_burst_requests': {config.guard_burst_requests} must be below "
            f"api_throttle_burst_requests ({config.api_throttle_burst_requests})"
        )
    if config.guard_burst_requests < config.guard_rate_per_second:
        raise ConfigError("config key 'guard_burst_requests': must be at least guard_rate_per_second")


def _check_site_certificate(config: DeploymentConfig) -> None:
    """CloudFront serves a custom domain only with a us-east-1 certificate; Amplify brings its own."""
    if config.site_certificate_arn is not None and (config.hosting != "s3-cloudfront" or config.site_domain is None):
        raise ConfigError(
            "config key 'site_certificate_arn': only s3-cloudfront hosting with a site_domain uses a certificate "
            "(Amplify manages its own); set it to null"
        )
    if config.hosting != "s3-cloudfront" or config.site_domain is None:
        return
    arn = config.site_certificate_arn
    if arn is None:
        raise ConfigError(
            "config key 'site_certificate_arn' is missing: s3-cloudfront hosting with site_domain "
            f"'{config.site_domain}' needs an ACM certificate in {CLOUDFRONT_CERTIFICATE_REGION} (docs/hosting.md)"
        )
    match = _ACM_CERTIFICATE_ARN.match(arn)
    region = match["region"] if match else None
    if region != CLOUDFRONT_CERTIFICATE_REGION:
        raise ConfigError(
            f"config key 'site_certificate_arn': {arn!r} is in {region}, but CloudFront uses only certificates "
            f"in {CLOUDFRONT_CERTIFICATE_REGION}; request one there (docs/hosting.md)"
        )


def overrides_from_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """The `config.<key>` entries of a context, e.g. from `cdk synth -c config.region=eu-west-1`."""
    return {key[len(OVERRIDE_PREFIX) :]: value for key, value in context.items() if key.startswith(OVERRIDE_PREFIX)}


def _parse_override(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _apply_override(merged: dict[str, Any], dotted_key: str, value: Any) -> None:
    *parents, leaf = dotted_key.split(".")
    target = merged
    for part in parents:
        child = target.get(part)
        if not isinstance(child, dict):
            raise ConfigError(f"config override '{dotted_key}': '{part}' is not a group of keys")
        target = child
    target[leaf] = value


def _reject_removed_thresholds(thresholds: Mapping[str, Any]) -> None:
    for key in sorted(set(thresholds) & set(REMOVED_THRESHOLDS)):
        raise ConfigError(
            f"config key 'alarm_thresholds.{key}' was removed: its alarm is covered by {REMOVED_THRESHOLDS[key]}; "
            "delete the key (docs/alerting.md)"
        )


def _reject_unknown(values: Mapping[str, Any], known: set[str], *, prefix: str) -> None:
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"unknown config key(s): {', '.join(prefix + key for key in unknown)}")


def _required(values: Mapping[str, Any], key: str, name: str) -> Any:
    if key not in values:
        raise ConfigError(f"config key '{name}' is missing")
    return values[key]


def app_context(extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The context `cdk synth` would pass: the CLI's (cdk.json plus -c flags) when run by the CLI,
    else cdk.json's own, so `python -m infra.app` and the tests synth the same app."""
    from_cli = os.environ.get("CDK_CONTEXT_JSON")
    if from_cli:
        context: dict[str, Any] = json.loads(from_cli)
    else:
        context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return context | dict(extra or {})
