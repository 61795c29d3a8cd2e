"""Shared fixtures. Every AWS call in tests goes to moto; these credentials can reach nothing real."""

from __future__ import annotations

import os

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        # Powertools: no X-Ray daemon here, and metrics stay on so tests can read the EMF they print.
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
)
for _var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
    os.environ.pop(_var, None)
