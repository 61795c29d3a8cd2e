"""Every email the local system sent: the notifier's, through the emulator's SES, and SNS's own email subscriptions'.

NOTE: sent mail is read from moto's SES store in this process, as moto's docs check it (no SES call lists sent mail);
moto keeps no send time, so each message is stamped when first seen.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from stack_model.template import LOCAL_ACCOUNT_ID, LOCAL_REGION


@dataclass
class SentEmail:
    channel: str  # 'ses' (the notifier's) or 'sns-email' (the alerting-health topic's plain subscription)
    subject: str
    recipients: list[str]
    text: str
    html: str
    at: float = field(default_factory=time.time)
    sequence: int = 0  # arrival order in the outbox (1, 2, ...), without relying on the clock


class Outbox:
    def __init__(self) -> None:
        self._sent: list[SentEmail] = []
        self._seen_ids: set[str] = set()
        self._sequence = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, sent: SentEmail) -> None:
        """An email sent outside SES (SNS's plain email protocol)."""
        with self._lock:
            sent.sequence = next(self._sequence)
            self._sent.append(sent)

    def refresh(self) -> None:
        """Picks up the mail SES accepted since the last look, in the order it was accepted."""
        with self._lock:
            for message in _ses_store():
                if message.id not in self._seen_ids:
                    self._seen_ids.add(message.id)
                    sent = _raw_email(message.raw_data)
                    sent.sequence = next(self._sequence)
                    self._sent.append(sent)

    def emails(self) -> list[SentEmail]:
        self.refresh()
        with self._lock:
            return list(self._sent)


def _ses_store() -> list[Any]:
    from moto.ses.models import ses_backends  # see the NOTE at the top

    return list(ses_backends[LOCAL_ACCOUNT_ID][LOCAL_REGION].sent_messages)


def mark_verified(addresses: Iterable[str]) -> None:
    """What the owner's click on SES's verification link does. NOTE: moto has no call that verifies an identity, so its
    flag is set here, in this process."""
    from moto.ses.models import ses_backends

    backend = ses_backends[LOCAL_ACCOUNT_ID][LOCAL_REGION]
    for address in addresses:
        backend.verify_email_identity(address)  # a recipient has no identity until verified (SES sandbox)
        backend.email_identities[address].verified_for_sending_status = True


def _raw_email(raw: str) -> SentEmail:
    """SendEmail with raw MIME content, the only kind our code sends."""
    parsed = email.message_from_string(raw, policy=email.policy.default)
    text_part = parsed.get_body(preferencelist=("plain",))
    html_part = parsed.get_body(preferencelist=("html",))
    return SentEmail(
        "ses",
        str(parsed["subject"] or ""),
        [address.strip() for address in str(parsed["to"] or "").split(",") if address.strip()],
        text_part.get_content() if text_part is not None else "",
        html_part.get_content() if html_part is not None else "",
    )
