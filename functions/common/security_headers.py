"""The HTTP security headers the resume site is served with: one definition that Amplify Hosting, CloudFront, the
local site server and the probe share (docs/hosting.md). It imports nothing from aws_cdk; infra passes a CDK token
as `api_origin`. The page has no inline scripts or styles, so the policy allows only its origin and the API.
"""

from __future__ import annotations

from typing import Final

# Two years, what https://hstspreload.org asks for; why no `includeSubDomains` or `preload`: docs/hosting.md.
HSTS_MAX_AGE_SECONDS: Final = 63_072_000

CONTENT_SECURITY_POLICY: Final = "Content-Security-Policy"
STRICT_TRANSPORT_SECURITY: Final = "Strict-Transport-Security"
CONTENT_TYPE_OPTIONS: Final = "X-Content-Type-Options"
FRAME_OPTIONS: Final = "X-Frame-Options"
REFERRER_POLICY: Final = "Referrer-Policy"


def content_security_policy(api_origin: str | None) -> str:
    """The page may load only its own files and call only itself and the API (`https://host`, no path); with
    `api_origin=None` only itself: the fail-closed policy infra starts from."""
    connect_sources = "'self'" if api_origin is None else f"'self' {api_origin}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src {connect_sources}",
            # Nobody may frame the page (clickjacking); X-Frame-Options below says the same to old browsers.
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "form-action 'none'",
        ]
    )


def security_headers(api_origin: str | None) -> dict[str, str]:
    """Header name → value for every response of the site (see content_security_policy for `api_origin`)."""
    return {
        CONTENT_SECURITY_POLICY: content_security_policy(api_origin),
        STRICT_TRANSPORT_SECURITY: f"max-age={HSTS_MAX_AGE_SECONDS}",
        CONTENT_TYPE_OPTIONS: "nosniff",
        FRAME_OPTIONS: "DENY",
        # The counter needs no Referer (the browser sends Origin for CORS anyway), and links to profiles
        # should not tell other sites where the visitor came from.
        REFERRER_POLICY: "no-referrer",
    }
