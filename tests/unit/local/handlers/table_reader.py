"""The same handler as table_writer.py in a container of its own (a second function of the template)."""

from tests.unit.local.handlers.table_writer import lambda_handler

__all__ = ["lambda_handler"]
