"""Hosting of the resume site, chosen by config.hosting: Amplify Hosting (default) or S3 + CloudFront
(docs/hosting.md). The stack creates the hosting, then the API (whose CORS allows its origins), then `publish`es."""

from __future__ import annotations

from constructs import Construct

from infra.config import DeploymentConfig
from infra.hosting.amplify import AmplifySite
from infra.hosting.cloudfront import CloudFrontSite

SiteHosting = AmplifySite | CloudFrontSite
"""Either exposes `origin` and `url`, `domain_origins` (https://host of each host of site_domain it serves),
`domain_outputs()` (the stack outputs for site_domain's DNS) and `publish(api_url=..., api_origin=...)`."""


def site_hosting(scope: Construct, construct_id: str, *, config: DeploymentConfig) -> SiteHosting:
    if config.hosting == "amplify":
        return AmplifySite(scope, construct_id, config=config)
    return CloudFrontSite(scope, construct_id, config=config)


def cors_origins(site: SiteHosting, config: DeploymentConfig) -> list[str]:
    """What the API's CORS allows: the hosted site's own origin, its origins on the owner's domain and
    config.site_origins, each once."""
    return list(dict.fromkeys([site.origin, *site.domain_origins, *config.site_origins]))
