"""Writing the site's Content-Security-Policy into a CloudFront response headers policy.

CloudFormation creates the policy with every security header and a CSP that allows only the site itself
(fail closed); this puts in the CSP that also allows the API, once both exist. Only the CSP is touched.
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
