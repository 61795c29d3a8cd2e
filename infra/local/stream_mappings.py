"""A DynamoDB stream's event source mappings as the template declares them (`AWS::Lambda::EventSourceMapping` with
a table's StreamArn as its EventSourceArn), refused with UnsupportedMappingError, naming the mapping, where they ask
for what the local runtime does not do (streams.py does the rest)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from assembly.template import TABLE_TYPES, LocalTemplate, referenced
from infra.local.event_filters import UnsupportedPatternError, filter_pattern, matches

LAMBDA_DEFAULT_STREAM_BATCH_SIZE: Final = 100  # Lambda's default BatchSize for a DynamoDB stream
_MAPPING_TYPE: Final = "AWS::Lambda::EventSourceMapping"
_IMPLEMENTED_PROPERTIES: Final = frozenset(
    {
        "BatchSize",
        "BisectBatchOnFunctionError",
        "DestinationConfig",
        "Enabled",
        "EventSourceArn",
        "FilterCriteria",
        "FunctionName",
        "MaximumBatchingWindowInSeconds",  # locally streams.POLL_INTERVAL_SECONDS (the NOTE in streams.py says why)
        "MaximumRecordAgeInSeconds",  # locally retries follow at once: no record grows old waiting
        "MaximumRetryAttempts",
        "ParallelizationFactor",  # locally one batch at a time per shard: the order a factor of 1 keeps
        "StartingPosition",
    }
)


class UnsupportedMappingError(ValueError):
    """The template declares an event source mapping (or a filter pattern) the local runtime does not implement;
    the message names the mapping and the feature."""


@dataclass(frozen=True)
class StreamMapping:
    """One event source mapping from a table's stream to a function, as the template declares it."""

    logical_id: str
    function_id: str
    table_id: str
    batch_size: int
    retry_attempts: int
    bisect_on_error: bool
    on_failure_queue: str | None
    filters: tuple[Mapping[str, Any], ...] = ()
    """Parsed filter patterns; none means every record passes."""

    @classmethod
    def from_template(cls, template: LocalTemplate, logical_id: str) -> StreamMapping:
        """Raises UnsupportedMappingError for what this module does not implement."""
        props = template.properties(logical_id)
        unknown = sorted(set(props) - _IMPLEMENTED_PROPERTIES)
        if unknown:
            raise UnsupportedMappingError(f"{logical_id}: {', '.join(unknown)} not implemented locally")
        if props.get("StartingPosition") != "LATEST":
            # NOTE: locally a table's stream begins with the snapshot's restore, which is not news to the function.
            raise UnsupportedMappingError(
                f"{logical_id}: StartingPosition {props.get('StartingPosition')!r}; only LATEST is implemented locally"
            )
        retries = int(props.get("MaximumRetryAttempts", -1))
        if retries < 0:
            raise UnsupportedMappingError(
                f"{logical_id}: MaximumRetryAttempts unset or -1 (retry until the record expires) is not implemented "
                "locally; set a number of retries"
            )
        destination = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        queue = referenced(destination)
        if destination is not None and template.resources.get(queue or "", {}).get("Type") != "AWS::SQS::Queue":
            raise UnsupportedMappingError(f"{logical_id}: on-failure destination {destination!r} is not a queue")
        function_id = referenced(props["FunctionName"])
        if template.resources.get(function_id or "", {}).get("Type") != "AWS::Lambda::Function":
            raise UnsupportedMappingError(f"{logical_id}: FunctionName {props['FunctionName']!r} is not a function")
        assert function_id is not None
        table_id = referenced(props["EventSourceArn"])
        assert table_id is not None  # stream_mappings_from_template chose it for its table's StreamArn
        patterns = [entry["Pattern"] for entry in props.get("FilterCriteria", {}).get("Filters", [])]
        try:
            filters = tuple(filter_pattern(pattern) for pattern in patterns)
        except UnsupportedPatternError as error:
            raise UnsupportedMappingError(
                f"{logical_id}: {error}; it would deliver records Lambda filters out"
            ) from error
        return cls(
            logical_id=logical_id,
            function_id=function_id,
            table_id=table_id,
            batch_size=int(props.get("BatchSize", LAMBDA_DEFAULT_STREAM_BATCH_SIZE)),
            retry_attempts=retries,
            bisect_on_error=bool(props.get("BisectBatchOnFunctionError", False)),
            on_failure_queue=queue,
            filters=filters,
        )

    def passes(self, record: Mapping[str, Any]) -> bool:
        """Whether Lambda's event filtering lets the record through (any filter matching it)."""
        return not self.filters or any(matches(pattern, record) for pattern in self.filters)


def stream_mappings_from_template(template: LocalTemplate) -> list[StreamMapping]:
    """Every enabled event source mapping whose EventSourceArn is a table's StreamArn (others are not read here)."""
    found = []
    for logical_id, resource in template.of_type(_MAPPING_TYPE).items():
        props = resource.get("Properties", {})
        source = props.get("EventSourceArn")
        table_id = referenced(source)
        is_stream = isinstance(source, dict) and source.get("Fn::GetAtt", [None, None])[1] == "StreamArn"
        if not is_stream or template.resources.get(table_id or "", {}).get("Type") not in TABLE_TYPES:
            continue
        if props.get("Enabled", True) in (False, "false"):
            continue
        found.append(StreamMapping.from_template(template, logical_id))
    return found
