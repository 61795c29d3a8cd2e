"""What each kind of request costs in DynamoDB: round trips, and read and write request units, counted on the real
handler against the local emulator. The measurement is `make cost`'s (tools/cost/measure.py); this prints it."""

from __future__ import annotations

from tools.cost.measure import WRU_ITEM_BYTES, measure_requests
from tools.synth import default_template


def print_visit_costs() -> None:
    measured = measure_requests(default_template())
    largest = measured.largest_item_bytes
    print(f"DynamoDB per request (round trips; request units, items ≤ {largest} B < {WRU_ITEM_BYTES} B)")
    for request in measured.requests:
        detail = ", ".join(f"{op} {n}" for op, n in sorted(request.calls.items()))
        print(
            f"  {request.description:66} {request.round_trips} round trips ({detail or 'none'}); "
            f"{request.write_units} WRU, {request.read_units} RRU"
        )
    assert largest < WRU_ITEM_BYTES
