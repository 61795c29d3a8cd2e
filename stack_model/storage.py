"""DynamoDB tables and log groups as the template declares them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stack_model.template import LocalTemplate


@dataclass(frozen=True)
class Table:
    logical_id: str
    key_schema: tuple[Mapping[str, str], ...]
    attribute_definitions: tuple[Mapping[str, str], ...]
    global_secondary_indexes: tuple[Mapping[str, Any], ...]
    """Each index's IndexName, KeySchema and Projection."""
    ttl_attribute: str | None
    """The attribute DynamoDB expires items by, when TTL is on."""


@dataclass(frozen=True)
class LogGroup:
    logical_id: str
    retention_days: int | None
    """None: it keeps its logs forever."""
    log_class: str
    """STANDARD or INFREQUENT_ACCESS (half the ingestion price)."""


def read_tables(template: LocalTemplate) -> dict[str, Table]:
    tables = {}
    for logical_id, props in template.each("AWS::DynamoDB::GlobalTable", "AWS::DynamoDB::Table"):
        ttl = props.get("TimeToLiveSpecification") or {}
        tables[logical_id] = Table(
            logical_id=logical_id,
            key_schema=tuple(props.get("KeySchema", [])),
            attribute_definitions=tuple(props.get("AttributeDefinitions", [])),
            global_secondary_indexes=tuple(
                {key: index[key] for key in ("IndexName", "KeySchema", "Projection")}
                for index in props.get("GlobalSecondaryIndexes", [])
            ),
            ttl_attribute=ttl["AttributeName"] if ttl.get("Enabled") else None,
        )
    return tables


def read_log_groups(template: LocalTemplate) -> dict[str, LogGroup]:
    return {
        logical_id: LogGroup(
            logical_id,
            None if props.get("RetentionInDays") is None else int(str(props["RetentionInDays"])),
            str(props.get("LogGroupClass", "STANDARD")),
        )
        for logical_id, props in template.each("AWS::Logs::LogGroup")
    }
