"""The HTTP security headers the resume site is served with: one definition for every host, and for the probe
(functions/probe) that checks them.

Amplify Hosting (custom headers), CloudFront (response headers policy) and the local site server all send
exactly `security_headers(api_origin)`. This module imports nothing from aws_cdk, so the local server can
use it without the CDK installed; infra passes a CDK token string as `api_origin` and CloudFormation
fills it in at deploy time.

The page has no inline scripts, styles or event-handler attributes (docs/frontend.md), so the policy can
allow only its own origin plus the visit counter's API.
"""

from __future__ import annotations

from typing import Final

# Two years: what https://hstspreload.org asks for. No `includeSubDomains`: served from an apex custom domain
# (config.site_domain = "example.com"), it would force every subdomain of the owner's domain to HTTPS for two
# years, including ones this stack knows nothing about (RFC 6797 §6.1.2). No `preload` (which requires
# includeSubDomains): submitting a domain to the browsers' preload list is the owner's decision for their own
# domain, and *.amplifyapp.com / *.cloudfront.net are not ours to submit. An owner who wants either adds it to
# the value below; infra/hosting/headers.py maps both onto CloudFront's policy.
HSTS_MAX_AGE_SECONDS: Final = 63_072_000

CONTENT_SECURITY_POLICY: Final = "Content-Security-Policy"
STRICT_TRANSPORT_SECURITY: Final = "Strict-Transport-Security"
CONTENT_TYPE_OPTIONS: Final = "X-Content-Type-Options"
FRAME_OPTIONS: Final = "X-Frame-Options"
REFERRER_POLICY: Final = "Referrer-Policy"


def content_security_policy(api_origin: str | None) -> str:
    """The page may load only its own files and call only itself and the API (`https://host`, no path).

    With `api_origin=None` the page may call only itself: the fail-closed policy infra starts from.
    """
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
