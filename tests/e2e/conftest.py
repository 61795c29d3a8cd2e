"""The scenarios run the real local system (tests/support/local_system.py)."""

from tests.support.local_system import local_system, one_synth_per_context  # noqa: F401 - fixtures, found by name
from tests.support.ports import free_port_base  # noqa: F401 - imported from here by the scenarios
