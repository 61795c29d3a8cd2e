"""Hosting of the resume site, chosen by config.hosting: Amplify Hosting (default) or S3 + CloudFront.

Both build the site at synth time, deliver config.json with the API URL at deploy time, send the headers of
infra/security_headers.py, and expose the site's `origin` (for the API's CORS) and `url`. The stack creates
the hosting first, then the API (whose CORS allows `origin`), then calls `publish(...)` with the API.
"""

from __future__ import annotations

from typing import Protocol

from constructs import Construct

from infra.config import DeploymentConfig
from infra.hosting.amplify import AmplifySite
from infra.hosting.cloudfront import CloudFrontSite

__all__ = ["AmplifySite", "CloudFrontSite", "SiteHosting", "cors_origins", "site_hosting"]


class SiteHosting(Protocol):
    @property
    def origin(self) -> str:
        """`https://host` the site is served from (a CloudFormation token)."""
        ...

    @property
    def url(self) -> str: ...

    def publish(self, *, api_url: str, api_origin: str) -> None:
        """Adds the deploy-time steps: upload with config.json, security headers naming `api_origin`."""
        ...


def site_hosting(scope: Construct, construct_id: str, *, config: DeploymentConfig) -> SiteHosting:
    if config.hosting == "amplify":
        return AmplifySite(scope, construct_id, config=config)
    return CloudFrontSite(scope, construct_id, config=config)


def cors_origins(site_origin: str, config: DeploymentConfig) -> list[str]:
    """What the API's CORS allows: the hosted site's own origin, config.site_origins and the custom domain."""
    origins = [site_origin, *config.site_origins]
    if config.site_domain is not None and f"https://{config.site_domain}" not in origins:
        origins.append(f"https://{config.site_domain}")
    return origins
