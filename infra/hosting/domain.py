"""What both hostings tell the owner about their custom domain: the stack outputs' ids, fixed so docs and
scripts can read them by name."""

from __future__ import annotations

from typing import Final

DOMAIN_URL_OUTPUT: Final = "SiteDomainUrl"
DOMAIN_DNS_RECORDS_OUTPUT: Final = "SiteDomainDnsRecords"
DOMAIN_URL_DESCRIPTION: Final = "The site on your own domain (once DNS is set)"
