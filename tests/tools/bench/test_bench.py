"""`make bench` in one process: the warm overhead (DynamoDB stubbed), then the DynamoDB cost of each request."""

from __future__ import annotations

from tools.bench.cold_start import warm_overhead
from tools.cost.measure import COUNTED_VISIT, measure_requests
from tools.synth import default_template


def test_the_visit_costs_after_the_warm_benchmark_measure_the_real_counter() -> None:
    # Given the warm benchmark has run in this process (it answers DynamoDB with a stub, as `make bench` does first)
    warm_overhead(20)
    # When the visit costs are measured next, as `make bench` ends
    measured = measure_requests(default_template())
    # Then they are the real counter's on the emulator: a counted visit writes, and the table holds its items
    assert measured[COUNTED_VISIT].write_units > 0
    assert measured.largest_item_bytes > 0
