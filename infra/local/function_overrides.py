"""What a function's environment says differently locally: its deployed values name things that exist only on AWS
(the probe's URLs) or are sized for AWS's time (the visit-metrics publisher's bucket, scaled with the alarm periods).
The runtime lays these over each function's template environment (runtime.py, `local_environment`)."""

from __future__ import annotations

from assembly.template import LocalTemplate
from functions.common import catalog


def local_overrides(
    template: LocalTemplate, site_origin: str, api_url: str, period_scale: float
) -> dict[str, dict[str, str]]:
    """Function logical id → the variables it gets locally instead of the template's."""
    overrides: dict[str, dict[str, str]] = {}
    probe = {
        catalog.PROBE_SITE_URL_ENV: site_origin + "/",
        catalog.PROBE_SITE_ORIGIN_ENV: site_origin,
        catalog.PROBE_API_URL_ENV: api_url,
    }
    for logical_id, function in template.of_type("AWS::Lambda::Function").items():
        handler = function["Properties"]["Handler"]
        if handler == catalog.PROBE_HANDLER:
            overrides[logical_id] = probe
        elif handler == catalog.VISIT_METRICS_HANDLER:
            # The 5-minute bucket becomes the scaled period (3 s at 0.01), so a scaled local dashboard, whose
            # periods are scaled too, shows each visit in the period it happened in.
            deployed = int(template.environment(logical_id)[catalog.VISIT_METRICS_BUCKET_ENV])
            overrides[logical_id] = {catalog.VISIT_METRICS_BUCKET_ENV: str(max(1, round(deployed * period_scale)))}
    return overrides
