"""SES checks (SESv2, in config.region): the sender identity and, in the sandbox, the recipients. The stack owns the
sender's identity (infra/notifier.py); a verified domain identity covering it is another identity, no conflict."""

from __future__ import annotations

from typing import Any, Final

from tools.preflight.core import Check, Context, Result, Status, unless_missing

IDENTITY_RESOURCE_TYPE: Final = "AWS::SES::EmailIdentity"


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


def _stack_owns(context: Context, sender: str) -> bool:
    return any(
        resource["ResourceType"] == IDENTITY_RESOURCE_TYPE and resource.get("PhysicalResourceId") == sender
        for resource in context.stack_resources(context.config.stack_name)
    )


def check_sender(context: Context) -> Result:
    config = context.config
    sender, domain = config.sender_email, _domain(config.sender_email)
    identity = _identity(context, sender)
    domain_verified = _verified(context, domain)
    if identity is None:
        link = f"SES emails a verification link to {sender} at deploy"
        sends = f"the verified domain {domain} lets SES send" if domain_verified else link
        return Result(Status.PASS, f"{sender} has no identity yet: the stack creates it; {sends}")
    if not _stack_owns(context, sender):
        return Result(
            Status.FAIL,
            f"an identity {sender} exists that the stack {config.stack_name} does not own: the deploy fails with "
            "AlreadyExists",
            f"aws sesv2 delete-email-identity --region {config.region} --email-identity {sender}",
            f"the stack creates the identity again at deploy and SES emails a new verification link to {sender}",
        )
    if identity.get("VerifiedForSendingStatus") or domain_verified:
        return Result(Status.PASS, f"{sender} is the stack's identity and verified")
    return Result(
        Status.WARN,
        f"{sender} is the stack's identity but not verified yet: alarm emails cannot be sent",
        f"click the link SES sent to {sender} (look in spam too)",
    )


def _recipient_fix(context: Context, address: str) -> str:
    if _identity(context, address) is None:
        return f"aws sesv2 create-email-identity --region {context.config.region} --email-identity {address}"
    return f"# {address} has an identity already: click the link SES sent to {address}"


def check_recipients(context: Context) -> Result:
    config = context.config
    if context.client("sesv2").get_account().get("ProductionAccessEnabled"):
        return Result(Status.PASS, f"production access in {config.region}: recipients need no verification")
    production_step = (
        f"or request production access: SES console ({config.region}) > Account dashboard > Request production access"
    )
    unverified = [
        address
        for address in config.alert_recipients
        if not (_verified(context, address) or _verified(context, _domain(address)))
    ]
    # The sender's identity is the stack's: creating it by hand would make the deploy fail, so it waits for it.
    sender_pending = config.sender_email in unverified and _identity(context, config.sender_email) is None
    to_fix = [address for address in unverified if not (sender_pending and address == config.sender_email)]
    if to_fix:
        return Result(
            Status.FAIL,
            f"sandbox: SES refuses mail to the unverified recipient(s) {', '.join(to_fix)}",
            "\n".join(_recipient_fix(context, address) for address in to_fix),
            "then click the link SES sends to each address; " + production_step,
        )
    if sender_pending:
        return Result(
            Status.WARN,
            f"sandbox: the recipient {config.sender_email} is the sender, verified once its link is clicked at deploy",
            f"click the link SES sends to {config.sender_email} when the stack creates its identity",
            production_step,
        )
    return Result(Status.PASS, f"sandbox: every recipient is verified ({', '.join(config.alert_recipients)})")


CHECKS: Final = (
    Check(
        "SES sender",
        check_sender,
        ("ses:GetEmailIdentity", "cloudformation:DescribeStacks", "cloudformation:ListStackResources"),
    ),
    Check("SES recipients", check_recipients, ("ses:GetAccount", "ses:GetEmailIdentity")),
)
