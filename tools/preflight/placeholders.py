"""The values cdk.json ships as stand-ins for the owner's own, defined once: each left is a failure naming its key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final
from urllib.parse import urlsplit

from tools.preflight.core import Check, Context, Result, Status

PLACEHOLDER_ACCOUNT: Final = "111111111111"
PLACEHOLDER_REPOSITORY: Final = "your-github-user/resume-backend"
PLACEHOLDER_DOMAIN: Final = "example.com"
"""RFC 2606's reserved domain: the shipped addresses (owner@, alerts@) and site origins are under it."""

_FIXES: Final = {
    "account": "set config.account in cdk.json to your account's id: aws sts get-caller-identity --query Account",
    "github_repository": 'set config.github_repository in cdk.json to "<owner>/<repository>" of your fork',
    "alert_recipients": "set config.alert_recipients in cdk.json to the address(es) that should get the alarms",
    "sender_email": "set config.sender_email in cdk.json to an address you read (SES emails it a verification link)",
    "site_origins": "set config.site_origins in cdk.json to your site's origin(s), or [] to allow the site alone",
    "site_domain": "set config.site_domain in cdk.json to your domain, or null for the hosting's own address",
}


def _is_placeholder_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host == PLACEHOLDER_DOMAIN or host.endswith("." + PLACEHOLDER_DOMAIN)


def _is_placeholder_address(address: str) -> bool:
    return _is_placeholder_host(address.rsplit("@", 1)[-1])


def placeholder_keys(context: Context) -> Iterator[str]:
    """The config keys (as cdk.json spells them) whose value is a shipped placeholder."""
    config = context.config
    if config.account == PLACEHOLDER_ACCOUNT:
        yield "account"
    if config.github_repository.lower() == PLACEHOLDER_REPOSITORY:
        yield "github_repository"
    for i, address in enumerate(config.alert_recipients):
        if _is_placeholder_address(address):
            yield f"alert_recipients[{i}]"
    if _is_placeholder_address(config.sender_email):
        yield "sender_email"
    for i, origin in enumerate(config.site_origins):
        if _is_placeholder_host(urlsplit(origin).hostname or ""):
            yield f"site_origins[{i}]"
    if config.site_domain is not None and _is_placeholder_host(config.site_domain):
        yield "site_domain"


def check_placeholders(context: Context) -> Result:
    keys = list(placeholder_keys(context))
    if not keys:
        return Result(Status.PASS, "no shipped placeholder left in the config")
    fixes = dict.fromkeys(_FIXES[key.split("[", 1)[0]] for key in keys)
    return Result(
        Status.FAIL,
        f"cdk.json still holds placeholder(s): {', '.join(keys)}",
        "\n".join(fixes),
        f"placeholders: account {PLACEHOLDER_ACCOUNT}, {PLACEHOLDER_REPOSITORY}, any address or origin under "
        f"{PLACEHOLDER_DOMAIN}",
    )


CHECKS: Final = (Check("placeholders", check_placeholders),)
