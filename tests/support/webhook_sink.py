"""The local webhook sink (infra/local/webhook_sink.py), which `make dev` runs too: tests import it from here."""

from infra.local.webhook_sink import Received, Reply, WebhookSink

__all__ = ["Received", "Reply", "WebhookSink"]
