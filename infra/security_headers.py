"""The site's security headers, defined once in functions/common/security_headers.py (the probe Lambda checks them
and cannot import infra/); re-exported here for the hosts and the smoke test."""

from __future__ import annotations

from functions.common.security_headers import (
    CONTENT_SECURITY_POLICY,
    CONTENT_TYPE_OPTIONS,
    FRAME_OPTIONS,
    HSTS_MAX_AGE_SECONDS,
    REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY,
    content_security_policy,
    security_headers,
)

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "CONTENT_TYPE_OPTIONS",
    "FRAME_OPTIONS",
    "HSTS_MAX_AGE_SECONDS",
    "REFERRER_POLICY",
    "STRICT_TRANSPORT_SECURITY",
    "content_security_policy",
    "security_headers",
]
