"""The notifier's fixtures (tests/unit/notifier/conftest.py), here for the tests that also need a loopback server:
the webhook sink standing in for Slack and webhooks, and the local stage control standing in for API Gateway."""

from tests.unit.notifier.conftest import (  # noqa: F401 - fixtures are found by name
    channels,
    invoke,
    invoke_digest,
    notifier_env,
    sent_emails,
    sink,
    visits_table,
)
