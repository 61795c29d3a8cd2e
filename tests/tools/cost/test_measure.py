"""make cost's measurement runs the real counter, as the synthesized template declares it, on the local emulator."""

from __future__ import annotations

import pytest

from functions.common import catalog
from tools.cost.measure import (
    COUNTED_VISIT,
    DOWNLOAD,
    GET_VISITS,
    LINK_VIEW,
    SOURCE_VIEW,
    Measurement,
    measure_requests,
    probe_run,
)
from tools.synth import default_template


@pytest.fixture(scope="module")
def measured() -> Measurement:
    return measure_requests(default_template())


def test_a_counted_visit_writes_and_logs_what_the_counter_does(measured: Measurement) -> None:
    counted = measured[COUNTED_VISIT]
    # Its units are its DynamoDB calls: writes only on a warm container (the day's salt is cached)
    assert counted.write_units == counted.calls.get("UpdateItem", 0) + counted.calls.get("PutItem", 0) > 0
    assert counted.read_units == 0
    # Its log bytes are the counter's JSON log lines of the request (none for a plain 200 on a warm container), and
    # its EMF the visit's metrics
    assert counted.log_bytes == len(counted.log_text.encode()) == 0
    assert catalog.VISITS_METRIC in counted.emf_text
    assert catalog.UNIQUE_VISITORS_METRIC in counted.emf_text
    assert counted.emf_bytes == len(counted.emf_text.encode()) > 0


def test_a_get_reads_the_totals_and_publishes_nothing(measured: Measurement) -> None:
    get = measured[GET_VISITS]
    assert (get.write_units, get.read_units, get.emf_bytes) == (0, 1, 0)


def test_what_readers_insight_adds_is_measured_on_the_real_counter(measured: Measurement) -> None:
    # The writes of each new kind of request, as the counter's own test counts them
    # (tests/unit/counter/test_where_readers_come_from.py::test_the_writes_per_request_kind): a view from a
    # referrer is a plain view's two writes (its source rides the totals write), an owner-made link's view one
    # more (the link's item), a download two
    writes = {key: measured[key].write_units for key in (SOURCE_VIEW, LINK_VIEW, DOWNLOAD)}
    assert writes == {SOURCE_VIEW: 2, LINK_VIEW: 3, DOWNLOAD: 2}
    assert measured[SOURCE_VIEW].write_units == measured[COUNTED_VISIT].write_units
    # And none of them reads (the container knows the day's salt and the totals' day)
    assert all(measured[key].read_units == 0 for key in writes)
    # And a view publishes the visit's metrics; a download is not a view
    assert catalog.VISITS_METRIC in measured[LINK_VIEW].emf_text
    assert catalog.VISITS_METRIC not in measured[DOWNLOAD].emf_text
    # And of the referrer only its source's name may go further: neither its path nor its query is in a log byte
    for key in writes:
        logged = measured[key].log_text + measured[key].emf_text
        assert "feed" not in logged
        assert "trk" not in logged


def test_a_healthy_probe_run_reads_the_api_and_publishes_no_metric() -> None:
    run = probe_run(memory_mb=128)
    assert run.api_gets >= 1
    assert run.api_requests > run.api_gets  # the CORS preflight too
    assert run.emf_bytes == 0
    assert run.log_bytes > 0
