"""The custom resources this handler serves and their properties: the names infra/hosting writes and app.py reads."""

from __future__ import annotations

from typing import Final

AMPLIFY_RELEASE: Final = "Custom::AmplifySiteRelease"
"""Sets the Amplify app's custom headers, then deploys the site staged under an S3 prefix to one branch."""
APP_ID: Final = "AppId"
BRANCH_NAME: Final = "BranchName"
SOURCE_URL: Final = "SourceUrl"
"""`s3://bucket/prefix/` of the staged site (index.html naming the API, styles.css, ...)."""
CUSTOM_HEADERS: Final = "CustomHeaders"
"""Amplify's custom header YAML."""

CONTENT_SECURITY_POLICY: Final = "Custom::SiteContentSecurityPolicy"
"""Writes the Content-Security-Policy (which names the API) into a CloudFront response headers policy."""
RESPONSE_HEADERS_POLICY_ID: Final = "ResponseHeadersPolicyId"
POLICY: Final = "ContentSecurityPolicy"

REDO_WHEN: Final = "RedoWhen"
"""Ignored by the handler: values that, when they change, must make CloudFormation send an Update again."""
