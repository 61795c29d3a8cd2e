"""Writing the site's Content-Security-Policy, which names the API, into the CloudFront response headers policy
that CloudFormation created fail closed (docs/hosting.md). Only the CSP is touched.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


def apply_content_security_policy(client: Any, policy_id: str, policy: str) -> bool:
    """Sets the policy's CSP (override on); returns False when it already had that value."""
    current = client.get_response_headers_policy(Id=policy_id)
    config: dict[str, Any] = current["ResponseHeadersPolicy"]["ResponseHeadersPolicyConfig"]
    security = config.setdefault("SecurityHeadersConfig", {})
    wanted = {"Override": True, "ContentSecurityPolicy": policy}
    if security.get("ContentSecurityPolicy") == wanted:
        return False
    security["ContentSecurityPolicy"] = wanted
    # IfMatch: the update fails instead of overwriting a change made since the read.
    client.update_response_headers_policy(Id=policy_id, IfMatch=current["ETag"], ResponseHeadersPolicyConfig=config)
    logger.info("content security policy updated", extra={"policy_id": policy_id})
    return True
