"""What a function's environment says differently locally: its deployed values name things that exist only on AWS
(the probe's URLs, the hosted site's origin the counter counts visits from). The runtime lays these over each
function's template environment (runtime.py, `local_environment`)."""

from __future__ import annotations

from functions.common import catalog
from stack_model.stack import StackModel


def local_overrides(model: StackModel, site_origin: str, api_url: str) -> dict[str, dict[str, str]]:
    """Function logical id → the variables it gets locally instead of the template's: the probe checks the local
    site and API, not the deployed URLs its template environment names; the counter counts visits from the local
    site's origin, the one the local API's CORS allows, not the hosted site's."""
    probe = {
        catalog.PROBE_SITE_URL_ENV: site_origin + "/",
        catalog.PROBE_SITE_ORIGIN_ENV: site_origin,
        catalog.PROBE_API_URL_ENV: api_url,
    }
    counter = {catalog.ALLOWED_ORIGINS_ENV: site_origin}
    overrides = {function.logical_id: probe for function in model.functions_with(catalog.PROBE_HANDLER)}
    return overrides | {function.logical_id: counter for function in model.functions_with(catalog.COUNTER_HANDLER)}
