"""The unit layer's tables (tests/support/declared_tables.json) are the ones the app synthesizes today."""

from __future__ import annotations

import json

from tests.support.declared_tables import SNAPSHOT, declared_tables
from tools.synth import default_template


def test_the_unit_layers_tables_are_the_synthesized_ones() -> None:
    # Given the default app synthesized (cdk.json's context)
    template = default_template()
    # When its tables are read as the unit layer stores them
    fresh = declared_tables(template)
    # Then the stored copy is the same, so unit tests run against the keys, TTL and billing CDK deploys
    assert json.loads(SNAPSHOT.read_text()) == fresh, "stale: run python -m tests.support.declared_tables"
