"""The tools run whole; some against the real local system (tests/support/local_system.py)."""

from tests.support.local_system import local_system  # noqa: F401 - a fixture, found by name
