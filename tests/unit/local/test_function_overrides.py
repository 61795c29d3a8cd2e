"""What a function's environment says differently locally: the probe checks the local site, and the visit-metrics
publisher's bucket follows the scaled alarm periods."""

from __future__ import annotations

import json

import pytest

from assembly.synth import default_template
from assembly.template import LocalTemplate
from functions.common import catalog
from infra.local.function_overrides import local_overrides
from infra.local.runtime import LambdaRuntime
from infra.local.stream_events import lambda_record

SITE, API = "http://127.0.0.1:8080", "http://127.0.0.1:8081"


@pytest.fixture(scope="module")
def template() -> LocalTemplate:
    return LocalTemplate(default_template())


def _function(template: LocalTemplate, handler: str) -> str:
    (found,) = [
        lid for lid, f in template.of_type("AWS::Lambda::Function").items() if f["Properties"]["Handler"] == handler
    ]
    return found


@pytest.mark.parametrize(("scale", "bucket"), [(1.0, "300"), (0.01, "3"), (0.001, "1")])
def test_the_publishers_bucket_is_the_scaled_alarm_period(template: LocalTemplate, scale: float, bucket: str) -> None:
    # Given the deployed bucket of the template (5 minutes, like every alarm period)
    publisher = _function(template, catalog.VISIT_METRICS_HANDLER)
    assert template.environment(publisher)[catalog.VISIT_METRICS_BUCKET_ENV] == str(
        catalog.VISIT_METRICS_BUCKET_SECONDS
    )
    # When the local system runs with its periods scaled / Then the bucket is scaled with them, never below 1 s
    assert local_overrides(template, SITE, API, scale)[publisher] == {catalog.VISIT_METRICS_BUCKET_ENV: bucket}


def test_the_probe_checks_the_local_site_and_api(template: LocalTemplate) -> None:
    probe = _function(template, catalog.PROBE_HANDLER)
    assert local_overrides(template, SITE, API, 1.0)[probe] == {
        catalog.PROBE_SITE_URL_ENV: SITE + "/",
        catalog.PROBE_SITE_ORIGIN_ENV: SITE,
        catalog.PROBE_API_URL_ENV: API,
    }


def test_a_scaled_publisher_stamps_a_visit_with_its_scaled_period(
    template: LocalTemplate, tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the real publisher in the local runtime at a period scale of 0.01 (3-second buckets)
    publisher = _function(template, catalog.VISIT_METRICS_HANDLER)
    printed = _Printed()
    runtime = LambdaRuntime(
        template,
        platform={"AWS_DEFAULT_REGION": "us-east-1"},
        metrics=printed,  # type: ignore[arg-type]
        logs_dir=tmp_path,  # type: ignore[arg-type]
        local_environment=local_overrides(template, SITE, API, 0.01),
    )
    record = {
        "eventID": "e1",
        "eventName": "MODIFY",
        "dynamodb": {
            "ApproximateCreationDateTime": 1796151952.5,
            "Keys": dict(catalog.VISITS_TOTALS_KEY),
            "OldImage": {catalog.VISITS_COUNT_ATTRIBUTE: {"N": "1"}},
            "NewImage": {catalog.VISITS_COUNT_ATTRIBUTE: {"N": "2"}},
        },
    }
    try:
        # When it is given a view counted at 1796151952.5
        invocation = runtime.function(publisher).invoke({"Records": [lambda_record(record, "arn:stream")]})
    finally:
        runtime.close()
    # Then the view is published at the start of its 3-second bucket, not of a 5-minute one
    assert invocation.error is None
    [document] = [json.loads(line) for line in printed.output.splitlines() if '"_aws"' in line]
    assert document["_aws"]["Timestamp"] == 1796151951 * 1000
    assert document[catalog.VISITS_METRIC] == [1.0]


class _Printed:
    """Stands in for the metric store: keeps what the function printed."""

    def __init__(self) -> None:
        self.output = ""

    def ingest_emf(self, output: str) -> int:
        self.output += output
        return 0

    def record(self, *args: object, **kwargs: object) -> None:
        """AWS/Lambda's own metrics: not looked at here."""
