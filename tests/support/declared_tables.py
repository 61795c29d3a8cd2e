"""The two tables unit tests run against, as the default app declares them, without a synth in the unit layer.

`declared_tables.json` holds each table's properties from the synthesized template (keyed by the environment
variable that names it in a Lambda's environment); tests/integration/test_declared_tables.py synthesizes the app
and fails when the file is stale. Regenerate it with `python -m tests.support.declared_tables`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from functions.common import catalog
from stack_model.stack import StackModel
from tools.local.provision import create_table

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

SNAPSHOT: Final = Path(__file__).with_name("declared_tables.json")
TABLE_VARIABLES: Final = (catalog.TABLE_NAME_ENV, catalog.IDEMPOTENCY_TABLE_ENV)


def declared_tables(template: Mapping[str, Any]) -> dict[str, Any]:
    """Each table a Lambda's environment names (TABLE_VARIABLES), as the template declares it."""
    model = StackModel.from_template(template)
    return {variable: dict(template["Resources"][model.table_named_by(variable)]) for variable in TABLE_VARIABLES}


def _create(client: DynamoDBClient, variable: str, table_name: str) -> None:
    resource = json.loads(SNAPSHOT.read_text())[variable]
    create_table(client, StackModel.from_template({"Resources": {variable: resource}}).tables[variable], table_name)


def create_visits_table(client: DynamoDBClient, table_name: str) -> None:
    """The visits table (the one the counter's TABLE_NAME names) as the default app declares it."""
    _create(client, catalog.TABLE_NAME_ENV, table_name)


def create_idempotency_table(client: DynamoDBClient, table_name: str) -> None:
    """The notifier's idempotency table (the one its IDEMPOTENCY_TABLE_NAME names) as the default app declares it."""
    _create(client, catalog.IDEMPOTENCY_TABLE_ENV, table_name)


if __name__ == "__main__":
    from tools.synth import default_template

    SNAPSHOT.write_text(json.dumps(declared_tables(default_template()), indent=2, sort_keys=True) + "\n")
    print(f"wrote {SNAPSHOT.name}")
