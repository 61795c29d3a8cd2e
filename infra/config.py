"""The one typed deployment config, read from the `config` object in cdk.json's context.

Each key is declared once, as a field below (its docstring is its description in docs/configuration.md); a bad
value stops synth with an error naming the key. Override any key with `-c config.<key>=<value>` (a value is parsed
as JSON when it parses, else taken as a string), e.g. `cdk synth -c config.site_origins='["https://me.dev"]'`."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from infra.config_values import (
    CLOUDFRONT_CERTIFICATE_REGION,
    Account,
    CertificateArn,
    Domain,
    Email,
    GitHubRepository,
    GitRefName,
    Origin,
    Region,
    SchedulerCron,
    StackName,
    TableName,
    Threshold,
    alert_channel,
    one_of_each,
    retention,
    tuned,
    tuned_default,
    unique,
    whole,
)

CONTEXT_KEY: Final = "config"
CONFIG_ERROR_EXIT: Final = 2  # `python -m infra.app`'s status on a config error, having printed only the message
REPO_ROOT: Final = Path(__file__).resolve().parent.parent
OVERRIDE_PREFIX: Final = f"{CONTEXT_KEY}."

Hosting = Literal["amplify", "s3-cloudfront"]
Tracing = Literal["disabled", "pass_through", "active"]


class ConfigError(ValueError):
    """A config value is missing or wrong; the message names the key."""


class _Strict(BaseModel):
    # Each field's docstring is its description (docs/configuration.md); defaults are validated like any value.
    model_config = ConfigDict(
        frozen=True, extra="forbid", strict=True, validate_default=True, use_attribute_docstrings=True
    )


class AlarmThresholds(_Strict):
    """Alarm thresholds, each a typed field the monitors take; units are in the names. Defaults suit a personal site
    (tens of visits a day); a key left out of cdk.json takes its default."""

    api_requests_per_5_minutes: Annotated[Threshold, tuned(1, 10_000_000)] = tuned_default(1000)
    """API requests in 5 minutes above which the usage alarm fires."""
    api_5xx_per_5_minutes: Annotated[Threshold, tuned(1, 1_000_000)] = tuned_default(5)
    """API 5xx answers in 5 minutes."""
    api_p99_latency_ms: Annotated[Threshold, tuned(1, 30_000)] = tuned_default(1500)
    """API p99 latency (ms) over 5 minutes."""
    counter_throttles_per_5_minutes: Annotated[Threshold, tuned(1, 1_000_000)] = tuned_default(1)
    """Counter Lambda throttles in 5 minutes."""
    counter_store_failures_per_5_minutes: Annotated[Threshold, tuned(1, 1_000_000)] = tuned_default(1)
    """Visits answered 503 because the visit store failed (custom metric VisitStoreFailures), in 5 minutes."""


class AlertChannel(_Strict):
    """A channel alerts go to besides email (always on): its type and where its secret URL is kept."""

    type: str
    """catalog.SLACK_CHANNEL or catalog.WEBHOOK_CHANNEL."""
    parameter_name: str
    """The SSM SecureString parameter holding the URL; the URL itself is never in config, template or logs."""


class DeploymentConfig(_Strict):
    account: Account
    """AWS account to deploy to."""
    region: Region
    """AWS region to deploy to."""
    stack_name: StackName
    """Name of the application stack."""
    site_origins: Annotated[tuple[Origin, ...], AfterValidator(unique)]
    """Origins allowed by the API's CORS (e.g. a custom domain); the hosted site's own origin is added by infra."""
    api_throttle_rate_per_second: Annotated[int, whole(1, 10_000)]
    """API stage steady-state request rate limit (requests/s)."""
    api_throttle_burst_requests: Annotated[int, whole(1, 5_000)]
    """API stage burst limit (requests)."""
    guard_rate_per_second: Annotated[int, whole(1, 10_000)] = 2
    """API stage rate limit (requests/s) while `api-request-spike` is in ALARM, below `api_throttle_rate_per_second`
    (restored on OK; [alerting.md](alerting.md#throttle-guard))."""
    guard_burst_requests: Annotated[int, whole(1, 5_000)] = 10
    """API stage burst limit (requests) while the guard is engaged; below `api_throttle_burst_requests`, at least
    `guard_rate_per_second`."""
    monthly_budget_usd: Annotated[int, whole(1, 1_000_000)] = 5
    """Monthly cost budget of the account in USD: AWS Budgets emails by the alerting-health topic at 80% and 100% of
    actual cost and at 100% forecast ([alerting.md](alerting.md#cost-budget))."""
    counter_memory_mb: Annotated[int, whole(128, 10_240)]
    """Counter Lambda memory (MB); CPU share scales with it."""
    counter_timeout_seconds: Annotated[int, whole(1, 29)]
    """Counter Lambda timeout (s); must stay under the API's 30 s."""
    counter_reserved_concurrency: Annotated[int, whole(1, 1000)] | None
    """Reserved concurrency of the counter (a cost cap: at most this many run at once), or null for none (needed on
    new accounts whose concurrency quota is 10, where any reservation fails to deploy)."""
    max_views_per_visitor_per_day: Annotated[int, whole(1, 1000)]
    """Page views of one visitor (a day's hash of IP, User-Agent and site) counted per UTC day (reloads and scripts
    beyond it count as IgnoredVisits)."""
    max_views_per_network_per_day: Annotated[int, whole(1, 10_000)] = 30
    """Page views counted per network (a day's hash of the source IP alone) per UTC day, whatever the User-Agent;
    from `max_views_per_visitor_per_day` to 10,000 ([privacy.md](privacy.md), [performance.md](performance.md))."""
    log_retention_days: Annotated[int, AfterValidator(retention)]
    """Retention of every log group (days)."""
    alert_recipients: Annotated[tuple[Email, ...], AfterValidator(unique)] = Field(min_length=1)
    """Who receives alarm emails."""
    sender_email: Email
    """SES identity alarm emails are sent from (must be verified in SES)."""
    alert_channels: Annotated[
        tuple[Annotated[AlertChannel, BeforeValidator(alert_channel)], ...], AfterValidator(one_of_each)
    ] = ()
    """Channels alarms go to besides email: `{"type": "slack", "webhook_url_parameter": "/resume/slack-webhook"}`,
    `{"type": "webhook", "url_parameter": "/resume/alert-webhook"}` (at most one of each); each names the SSM
    SecureString parameter holding the URL. `[]`: email only ([alerting.md](alerting.md#channels))."""
    digest_schedule: SchedulerCron | None = "cron(0 8 ? * MON *)"
    """When the weekly digest goes to every alert channel: a Scheduler cron expression in UTC (the default: Mondays
    08:00, for the ISO week just ended), or null for no digest ([alerting.md](alerting.md#weekly-digest))."""
    reader_notes: bool = False
    """Send a note on every alert channel, at most one an hour, when an application link (`make link`) was first
    opened or the résumé downloaded, never who; an hourly run, well under a cent a month; `false`: nothing runs
    ([alerting.md](alerting.md#notes))."""
    hosting: Hosting
    """'amplify' or 's3-cloudfront' ([hosting.md](hosting.md))."""
    site_domain: Domain | None
    """Custom domain of the site (its https origin is allowed by CORS), or null."""
    site_certificate_arn: CertificateArn | None
    """ACM certificate in us-east-1 covering site_domain; required by s3-cloudfront hosting with a site_domain
    (Amplify manages its own)."""
    show_visit_badge: bool = True
    """Show the visit badge ("1,234 views · 567 visitors") on the resume; `false`: no badge, and each visit is still
    recorded, so the dashboard, digest and alarms keep their figures ([frontend.md](frontend.md#visit-badge))."""
    existing_visits_table_name: TableName | None
    """Name of an existing visits table to adopt (a retained one keeps its count), or null to create one."""
    github_repository: GitHubRepository
    """The fork on GitHub: alarm emails link its runbook; the deploy role trusts only its workflows."""
    deploy_branch: GitRefName
    """Branch whose pushes deploy."""
    deploy_environment: GitRefName
    """GitHub environment of deploys."""
    probe_interval_minutes: Annotated[int, whole(1, 60)] = 10
    """Minutes between two runs of the availability probe; `site-unavailable` fires after 2 failed probes in a row,
    so after about twice this ([alerting.md](alerting.md#availability-probe))."""
    alert_topic_kms: bool = False
    """Encrypt the two alert topics with a customer-managed KMS key ($1.00/month, and KMS requests); `false`:
    unencrypted at rest (CloudWatch cannot use SNS's own key), TLS only
    ([alerting.md](alerting.md#the-topics-encryption))."""
    counter_tracing: Tracing = "disabled"
    """X-Ray tracing of the counter: `disabled`, `pass_through` (only requests a caller sampled; HTTP APIs sample
    none) or `active` (about $5 per million traced requests past the free tier; [cost.md](cost.md))."""
    alarm_thresholds: AlarmThresholds = AlarmThresholds()
    """Alarm thresholds (below); a key left out takes its default."""


def load_config(context: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> DeploymentConfig:
    """Builds the config from the context object, with `config.<key>` overrides applied on top."""
    raw = context.get(CONTEXT_KEY)
    if not isinstance(raw, dict):
        raise ConfigError(f"cdk.json context has no '{CONTEXT_KEY}' object")
    merged: dict[str, Any] = json.loads(json.dumps(raw))
    for key, value in (overrides or {}).items():
        _apply_override(merged, key, value)
    try:
        config = DeploymentConfig.model_validate_json(json.dumps(merged))
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None
    _check_relations(config)
    return config


def _describe(error: ValidationError) -> str:
    """One line per problem, each naming its key as cdk.json spells it (`alarm_thresholds.x`, `site_origins[0]`)."""
    unknown, problems = [], []
    for problem in error.errors(include_url=False):
        key = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in problem["loc"]).lstrip(".")
        if problem["type"] == "extra_forbidden":
            unknown.append(key)
        elif problem["type"] == "missing":
            problems.append(f"config key '{key}' is missing")
        elif problem["type"] == "value_error":
            problems.append(f"config key '{key}': {problem['ctx']['error']}")
        else:  # quoting scalars only: an object or a list may hold a channel's secret URL
            value = problem["input"]
            shown = f"{value!r}: " if isinstance(value, int | float | str | None) else ""
            message = problem["msg"].replace("valid array", "list").replace("Tuple", "The list")  # cdk.json's words
            problems.append(f"config key '{key}': {shown}{message}")
    if unknown:
        problems.insert(0, f"unknown config key(s): {', '.join(unknown)}")
    return "\n".join(problems)


_RELATIONS: Final = (  # (key, relation, other key), in the order checked: the first one broken is reported
    ("api_throttle_burst_requests", ">=", "api_throttle_rate_per_second"),  # a burst holds a second's rate
    ("guard_rate_per_second", "<", "api_throttle_rate_per_second"),  # the guard only ever lowers the throttle
    ("guard_burst_requests", "<", "api_throttle_burst_requests"),
    ("guard_burst_requests", ">=", "guard_rate_per_second"),
    ("max_views_per_network_per_day", ">=", "max_views_per_visitor_per_day"),  # a network counts what a visitor may
)


def _check_relations(config: DeploymentConfig) -> None:
    """What one key must be against another (test_config.py covers each pair)."""
    for key, relation, other in _RELATIONS:
        value, limit = getattr(config, key), getattr(config, other)
        if relation == ">=" and value < limit:
            raise ConfigError(f"config key '{key}': must be at least {other}")
        if relation == "<" and value >= limit:
            raise ConfigError(f"config key '{key}': {value} must be below {other} ({limit})")
    # CloudFront serves a custom domain only with a certificate; Amplify brings its own.
    needed = config.hosting == "s3-cloudfront" and config.site_domain is not None
    if config.site_certificate_arn is not None and not needed:
        raise ConfigError(
            "config key 'site_certificate_arn': only s3-cloudfront hosting with a site_domain uses a certificate "
            "(Amplify manages its own); set it to null"
        )
    if needed and config.site_certificate_arn is None:
        raise ConfigError(
            "config key 'site_certificate_arn' is missing: s3-cloudfront hosting with site_domain "
            f"'{config.site_domain}' needs an ACM certificate in {CLOUDFRONT_CERTIFICATE_REGION} (docs/hosting.md)"
        )


def overrides_from_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """The `config.<key>` entries of a context, e.g. from `cdk synth -c config.region=eu-west-1`."""
    return {key[len(OVERRIDE_PREFIX) :]: value for key, value in context.items() if key.startswith(OVERRIDE_PREFIX)}


def _apply_override(merged: dict[str, Any], dotted_key: str, value: Any) -> None:
    """Sets `a.b` in `merged` to `value`, parsed as JSON when it is a string that parses."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    *parents, leaf = dotted_key.split(".")
    target = merged
    for part in parents:
        child = target.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"config override '{dotted_key}': '{part}' is not a group of keys")
        target = child
    target[leaf] = value


def app_context(extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The context `cdk synth` would pass: the CLI's (cdk.json plus -c flags) when run by the CLI,
    else cdk.json's own, so `python -m infra.app` and the tests synth the same app."""
    from_cli = os.environ.get("CDK_CONTEXT_JSON")
    if from_cli:
        context: dict[str, Any] = json.loads(from_cli)
    else:
        context = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return context | dict(extra or {})
