"""Two stand-in Lambda handlers for tests/unit/local/test_runtime.py: each reports the environment it saw."""
