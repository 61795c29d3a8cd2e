"""The kinds of value a config key holds (infra/config.py), alert channels included: each with its check and the
words a bad value gets, so an owner reads "'12345' is not a 12-digit AWS account id", not a regular expression."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BeforeValidator, Field, PlainValidator, ValidationInfo

from functions.common import catalog

# Retentions CloudWatch Logs accepts, in days, with the name aws_cdk.aws_logs.RetentionDays gives each.
LOG_RETENTION_NAMES: Final[Mapping[int, str]] = {
    1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS", 30: "ONE_MONTH",
    60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS", 150: "FIVE_MONTHS", 180: "SIX_MONTHS",
    365: "ONE_YEAR", 400: "THIRTEEN_MONTHS", 545: "EIGHTEEN_MONTHS", 731: "TWO_YEARS", 1096: "THREE_YEARS",
    1827: "FIVE_YEARS", 3653: "TEN_YEARS",
}  # fmt: skip
CLOUDFRONT_CERTIFICATE_REGION: Final = "us-east-1"


def matching(pattern: str, what: str, flags: int = 0) -> AfterValidator:
    compiled = re.compile(pattern, flags)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return AfterValidator(check)


def _digits_as_text(value: Any) -> Any:
    # `-c config.account=123456789012` parses as a JSON number; an id of digits is still that string.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def unique(values: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(values)) != len(values):
        raise ValueError(f"has duplicates: {list(values)!r}")
    return values


def retention(days: int) -> int:
    if days not in LOG_RETENTION_NAMES:
        raise ValueError(f"{days!r} is not a CloudWatch Logs retention; use one of {list(LOG_RETENTION_NAMES)}")
    return days


Email = Annotated[str, matching(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", "an email address")]
# NOTE: API Gateway compares origins as exact strings: a trailing slash, a path, upper case or `*` silently never
# matches (or matches everyone), so they are refused here instead.
Origin = Annotated[
    str,
    matching(
        r"^https?://[a-z0-9.-]+(:\d{1,5})?$",
        "an origin like 'https://example.com' (scheme and lower-case host, optional port, no path or trailing "
        "slash, no '*')",
    ),
]
_REGION: Final = r"[a-z]{2}(-[a-z]+)+-\d"
Account = Annotated[str, BeforeValidator(_digits_as_text), matching(r"^\d{12}$", "a 12-digit AWS account id")]
Region = Annotated[str, matching(f"^{_REGION}$", "an AWS region like 'eu-west-1'")]
StackName = Annotated[str, matching(r"^[A-Za-z][A-Za-z0-9-]{0,127}$", "a CloudFormation stack name")]
Domain = Annotated[
    str, matching(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", "a lower-case domain name")
]
# NOTE: CloudFront, the only user of a certificate here, takes only ACM certificates from us-east-1.
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cnames-and-https-requirements.html
CertificateArn = Annotated[
    str,
    matching(
        rf"^arn:aws[a-z-]*:acm:{CLOUDFRONT_CERTIFICATE_REGION}:\d{{12}}:certificate/[0-9a-f-]{{36}}$",
        f"an ACM certificate ARN in {CLOUDFRONT_CERTIFICATE_REGION}, the only region CloudFront takes certificates "
        "from (docs/hosting.md)",
    ),
]
# NOTE: DynamoDB table names are 3-255 of [a-zA-Z0-9_.-].
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
TableName = Annotated[str, matching(r"^[A-Za-z0-9_.-]{3,255}$", "a DynamoDB table name")]
GitHubRepository = Annotated[
    str, matching(r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$", "a GitHub repository like 'owner/name'")
]
GitRefName = Annotated[str, matching(r"^[A-Za-z0-9._/-]{1,100}$", "a branch or environment name")]
# NOTE: Scheduler's cron has six fields (minutes hours day-of-month month day-of-week year), one of the two day
# fields being `?`. https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based
SchedulerCron = Annotated[
    str,
    matching(
        r"^cron\((?=[^()]*\?)[0-9A-Za-z*?,/#L-]+( [0-9A-Za-z*?,/#L-]+){5}\)$",
        "an EventBridge Scheduler cron expression like 'cron(0 8 ? * MON *)'",
    ),
]


@dataclass(frozen=True)
class Threshold:
    """An alarm threshold and where its number comes from, as docs/alerting.md's table says it."""

    value: float
    source: str


def _whole_number(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{value!r} is not a whole number from {low} to {high}")
    return value


def whole(low: int, high: int) -> PlainValidator:
    """A count or a size: a whole number from `low` to `high` (JSON's 4.5 and true are refused)."""
    return PlainValidator(lambda value: _whole_number(value, low, high))


def tuned(low: int, high: int) -> PlainValidator:
    """A threshold the owner tunes (`config.alarm_thresholds.<key>`): a whole number, carried with its key."""

    def parse(value: Any, info: ValidationInfo) -> Threshold:
        if isinstance(value, Threshold):
            return value
        return Threshold(_whole_number(value, low, high), f"`alarm_thresholds.{info.field_name}`")

    return PlainValidator(parse)


def tuned_default(value: int) -> Any:
    """A threshold's default: validated like a value from cdk.json (validate_default), which makes it a Threshold
    carrying its key (typed Any: the field's type is Threshold, the default a number)."""
    return Field(value)


# NOTE: SSM parameter names: letters, digits and `_.-/`, a hierarchy starting with `/`, at most 1011 characters,
# not starting with `aws` or `ssm`. https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html
SSM_PARAMETER_NAME: Final = re.compile(r"^(?!/?(aws|ssm))((/[A-Za-z0-9_.-]+)+|[A-Za-z0-9_.-]+)$", re.IGNORECASE)

CHANNEL_PARAMETER_KEYS: Final[Mapping[str, str]] = {
    catalog.SLACK_CHANNEL: "webhook_url_parameter",
    catalog.WEBHOOK_CHANNEL: "url_parameter",
}
"""Each optional channel's key naming the SSM SecureString parameter that holds its URL."""


def alert_channel(value: Any) -> Any:
    """`{"type": "slack", "webhook_url_parameter": ...}` → the channel's type and parameter name."""
    # NOTE: no message here quotes a value: a URL put where a parameter name belongs is a secret.
    types = " or ".join(f"'{name}'" for name in CHANNEL_PARAMETER_KEYS)
    kind = value.get("type") if isinstance(value, dict) else None
    if kind == catalog.EMAIL_CHANNEL:
        raise ValueError(f"email is always on (alert_recipients); list only {types}")
    if not isinstance(value, dict) or not isinstance(kind, str) or kind not in CHANNEL_PARAMETER_KEYS:
        raise ValueError(f"expected an object whose 'type' is {types}")
    parameter_key = CHANNEL_PARAMETER_KEYS[kind]
    if set(value) != {"type", parameter_key}:
        raise ValueError(f"a '{kind}' channel has exactly the keys 'type' and '{parameter_key}'")
    name = value[parameter_key]
    if isinstance(name, str) and "://" in name:
        raise ValueError(
            f"'{parameter_key}' looks like a URL, which is a secret: store it as an SSM SecureString parameter and "
            "put the parameter's name here (docs/alerting.md#channels)"
        )
    if not isinstance(name, str) or len(name) > 1011 or not SSM_PARAMETER_NAME.match(name):
        raise ValueError(f"'{parameter_key}' is not an SSM parameter name like '/resume/{kind}-url'")
    return {"type": kind, "parameter_name": name}


def one_of_each(channels: tuple[Any, ...]) -> tuple[Any, ...]:
    """At most one alert channel of each type (channels carry their `type`)."""
    if len({channel.type for channel in channels}) != len(channels):
        raise ValueError("at most one channel of each type")
    return channels
