"""The tools run whole; some against the real local system (tests/support/local_system.py)."""

from tests.support.local_system import local_system, one_synth_per_context  # noqa: F401 - fixtures, found by name
