"""What a function's environment says differently locally: the probe checks the local site and API, and the
counter counts visits from the local site's origin."""

from __future__ import annotations

from functions.common import catalog
from stack_model.stack import StackModel
from tools.local.system import local_overrides
from tools.synth import default_template

SITE, API = "http://127.0.0.1:8080", "http://127.0.0.1:8081"


def test_the_probe_checks_the_local_site_and_api_and_the_counter_counts_the_local_sites_visits() -> None:
    # Given the default template, whose probe names the deployed site and API and whose counter the hosted origin
    template = default_template()

    def function_of(handler: str) -> str:
        (found,) = [
            lid
            for lid, f in template["Resources"].items()
            if f["Type"] == "AWS::Lambda::Function" and f["Properties"]["Handler"] == handler
        ]
        return str(found)

    # When the local system lays its overrides over the functions' environments
    overrides = local_overrides(StackModel.from_template(template), SITE, API)
    # Then the probe gets the local URLs, the counter the local site's origin, and no other function anything
    assert overrides == {
        function_of(catalog.PROBE_HANDLER): {
            catalog.PROBE_SITE_URL_ENV: SITE + "/",
            catalog.PROBE_SITE_ORIGIN_ENV: SITE,
            catalog.PROBE_API_URL_ENV: API,
        },
        function_of(catalog.COUNTER_HANDLER): {catalog.ALLOWED_ORIGINS_ENV: SITE},
    }
