"""Hosting of the resume site, chosen by config.hosting: Amplify Hosting (default) or S3 + CloudFront.

Both build the site at synth time, write the API URL into its page at deploy time, send the headers of
functions/common/security_headers.py, and expose the site's `origin` (for the API's CORS) and `url`. The stack creates
the hosting first, then the API (whose CORS allows `origin`), then calls `publish(...)` with the API.
"""

from __future__ import annotations

from constructs import Construct

from infra.config import DeploymentConfig
from infra.hosting.amplify import AmplifySite
from infra.hosting.cloudfront import CloudFrontSite

SiteHosting = AmplifySite | CloudFrontSite
"""Either exposes `origin` and `url` (tokens), `domain_origins` (https://host of each host on config.site_domain
it serves), `domain_outputs()` (the stack outputs that point site_domain's DNS at it) and
`publish(api_url=..., api_origin=...)` (the deploy-time steps: the page naming the API, headers allowing it)."""


def site_hosting(scope: Construct, construct_id: str, *, config: DeploymentConfig) -> SiteHosting:
    if config.hosting == "amplify":
        return AmplifySite(scope, construct_id, config=config)
    return CloudFrontSite(scope, construct_id, config=config)


def cors_origins(site: SiteHosting, config: DeploymentConfig) -> list[str]:
    """What the API's CORS allows: the hosted site's own origin, its origins on the owner's domain and
    config.site_origins, each once."""
    return list(dict.fromkeys([site.origin, *site.domain_origins, *config.site_origins]))
