"""SES checks (SESv2, in config.region): the account's sending state, the sender identity, the recipients. The stack
owns the sender's identity (infra/notifier.py); a verified domain identity covering it is another identity, no conflict.
"""

from __future__ import annotations

from typing import Any, Final

from tools.preflight.core import Check, Context, Finding, Outcome, Status, unless_missing

IDENTITY_RESOURCE_TYPE: Final = "AWS::SES::EmailIdentity"
_PRODUCTION_ACCESS_STEP: Final = (
    "or request production access: SES console ({region}) > Account dashboard > Request production access"
)


def _identity(context: Context, name: str) -> dict[str, Any] | None:
    sesv2 = context.client("sesv2")
    found: dict[str, Any] | None = unless_missing(
        lambda: sesv2.get_email_identity(EmailIdentity=name), "NotFoundException"
    )
    return found


def _verified(context: Context, name: str) -> bool:
    identity = _identity(context, name)
    return bool(identity and identity.get("VerifiedForSendingStatus"))


def _domain(address: str) -> str:
    return address.rsplit("@", 1)[1]


def _account(context: Context) -> dict[str, Any]:
    account: dict[str, Any] = context.client("sesv2").get_account()
    return account


SES_PRODUCTION = Finding(Status.PASS, "production access in {region}: mail goes to any recipient")
SES_SANDBOX = Finding(
    Status.PASS, "sandbox in {region}: mail goes only to verified recipients (the recipients check below)"
)
SES_PAUSED = Finding(
    Status.WARN,
    "sending is paused for this account in {region}: no alarm email will be sent",
    "aws sesv2 put-account-sending-attributes --region {region} --sending-enabled",
    "when AWS paused it (reputation), the SES console's Account dashboard says why and how to appeal",
)


def check_ses_account(context: Context) -> Outcome:
    account = _account(context)
    region = context.config.region
    if not account.get("SendingEnabled", True):
        return SES_PAUSED(region=region)
    return (SES_PRODUCTION if account.get("ProductionAccessEnabled") else SES_SANDBOX)(region=region)


SENDER_NEW = Finding(
    Status.PASS,
    "{sender} has no identity yet: the stack creates it; SES emails a verification link to {sender} at deploy",
)
SENDER_NEW_DOMAIN = Finding(
    Status.PASS, "{sender} has no identity yet: the stack creates it; the verified domain {domain} lets SES send"
)
SENDER_VERIFIED = Finding(Status.PASS, "{sender} is the stack's identity and verified")
SENDER_UNVERIFIED = Finding(
    Status.WARN,
    "{sender} is the stack's identity but not verified yet: alarm emails cannot be sent",
    "click the link SES sent to {sender} (look in spam too)",
)
SENDER_CONFLICT = Finding(
    Status.FAIL,
    "an identity {sender} exists that the stack {stack} does not own: the deploy fails with AlreadyExists",
    "aws sesv2 delete-email-identity --region {region} --email-identity {sender}",
    "the stack creates the identity again at deploy and SES emails a new verification link to {sender}",
)


def _stack_owns(context: Context, sender: str) -> bool:
    return any(
        resource["ResourceType"] == IDENTITY_RESOURCE_TYPE and resource.get("PhysicalResourceId") == sender
        for resource in context.stack_resources(context.config.stack_name)
    )


def check_sender(context: Context) -> Outcome:
    config = context.config
    sender, domain = config.sender_email, _domain(config.sender_email)
    identity = _identity(context, sender)
    domain_verified = _verified(context, domain)
    values = {"sender": sender, "domain": domain, "stack": config.stack_name, "region": config.region}
    if identity is None:
        return (SENDER_NEW_DOMAIN if domain_verified else SENDER_NEW)(**values)
    if not _stack_owns(context, sender):
        return SENDER_CONFLICT(**values)
    if identity.get("VerifiedForSendingStatus") or domain_verified:
        return SENDER_VERIFIED(**values)
    return SENDER_UNVERIFIED(**values)


RECIPIENTS_ANY = Finding(Status.PASS, "production access: recipients need no verification")
RECIPIENTS_VERIFIED = Finding(Status.PASS, "sandbox: every recipient is verified ({recipients})")
RECIPIENTS_UNVERIFIED = Finding(
    Status.FAIL,
    "sandbox: SES refuses mail to the unverified recipient(s) {unverified}",
    "aws sesv2 create-email-identity --region {region} --email-identity {address}",
    "then click the link SES sends to each address; " + _PRODUCTION_ACCESS_STEP,
)
RECIPIENT_IS_NEW_SENDER = Finding(
    Status.WARN,
    "sandbox: the recipient {address} is the sender, verified once its link is clicked at deploy",
    "click the link SES sends to {address} when the stack creates its identity",
    _PRODUCTION_ACCESS_STEP,
)
_PENDING_RECIPIENT: Final = "# {address} has an identity already: click the link SES sent to {address}"


def _recipient_fix(context: Context, address: str) -> str:
    template = RECIPIENTS_UNVERIFIED.fix if _identity(context, address) is None else _PENDING_RECIPIENT
    return template.format(region=context.config.region, address=address)


def check_recipients(context: Context) -> Outcome:
    config = context.config
    if _account(context).get("ProductionAccessEnabled"):
        return RECIPIENTS_ANY()
    unverified = [
        address
        for address in config.alert_recipients
        if not (_verified(context, address) or _verified(context, _domain(address)))
    ]
    # The sender's identity is the stack's: creating it by hand would make the deploy fail, so it waits for it.
    sender_pending = config.sender_email in unverified and _identity(context, config.sender_email) is None
    to_fix = [address for address in unverified if not (sender_pending and address == config.sender_email)]
    if to_fix:
        fixes = "\n".join(_recipient_fix(context, address) for address in to_fix)
        return RECIPIENTS_UNVERIFIED(fix=fixes, unverified=", ".join(to_fix), region=config.region)
    if sender_pending:
        return RECIPIENT_IS_NEW_SENDER(address=config.sender_email, region=config.region)
    return RECIPIENTS_VERIFIED(recipients=", ".join(config.alert_recipients))


CHECKS: Final = (
    Check(
        "SES account",
        "SES sending is enabled in config.region; production access or sandbox",
        check_ses_account,
        (SES_PRODUCTION, SES_SANDBOX, SES_PAUSED),
        ("ses:GetAccount",),
        optional=True,  # it only ever warns; the recipients check fails on what the sandbox refuses
    ),
    Check(
        "SES sender",
        "the identity of config.sender_email: absent (the stack creates it), or the stack's own and verified",
        check_sender,
        (SENDER_NEW, SENDER_NEW_DOMAIN, SENDER_VERIFIED, SENDER_UNVERIFIED, SENDER_CONFLICT),
        ("ses:GetEmailIdentity", "cloudformation:DescribeStacks", "cloudformation:ListStackResources"),
    ),
    Check(
        "SES recipients",
        "in the sandbox, every config.alert_recipients address (or its domain) is a verified identity",
        check_recipients,
        (RECIPIENTS_ANY, RECIPIENTS_VERIFIED, RECIPIENTS_UNVERIFIED, RECIPIENT_IS_NEW_SENDER),
        ("ses:GetAccount", "ses:GetEmailIdentity"),
    ),
)
