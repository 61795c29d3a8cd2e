"""The one entry: `StackModel.from_template(template)` reads every resource type the tools need, once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stack_model.alarms import Alarm, read_alarms
from stack_model.api import HttpApi, Stage, read_api, read_stages
from stack_model.functions import Function, read_functions
from stack_model.iam import Role, read_roles
from stack_model.messaging import Dashboard, Subscription, read_dashboards, read_email_identities, read_subscriptions
from stack_model.schedules import Schedule, read_schedules
from stack_model.storage import LogGroup, Table, read_log_groups, read_tables
from stack_model.template import LocalTemplate


@dataclass(frozen=True)
class StackModel:
    functions: Mapping[str, Function]
    roles: Mapping[str, Role]
    """Every IAM role, with the statements the template attaches to it."""
    alarms: tuple[Alarm, ...]
    schedules: tuple[Schedule, ...]
    api: HttpApi | None
    stages: tuple[Stage, ...]
    tables: Mapping[str, Table]
    topics: tuple[str, ...]
    """Logical ids (the local topics' names)."""
    subscriptions: tuple[Subscription, ...]
    queues: tuple[str, ...]
    """Logical ids (the local queues' names)."""
    email_identities: tuple[str, ...]
    dashboards: tuple[Dashboard, ...]
    log_groups: Mapping[str, LogGroup]
    kms_keys: Mapping[str, bool]
    """Customer-managed key → automatic rotation on."""
    resource_types: Mapping[str, int]
    """How many resources of each type the template holds."""
    source: LocalTemplate = field(compare=False, repr=False)
    """The template itself, for what no tool reads typed (tests, ARNs of alarms)."""

    @classmethod
    def from_template(cls, template: Mapping[str, Any], sqs_endpoint: str = "") -> StackModel:
        """`sqs_endpoint`: the local SQS server a queue's URL (its Ref) names."""
        source = LocalTemplate(template, sqs_endpoint=sqs_endpoint)
        return cls(
            functions=read_functions(source),
            roles=read_roles(source),
            alarms=read_alarms(source),
            schedules=read_schedules(source),
            api=read_api(source),
            stages=read_stages(source),
            tables=read_tables(source),
            topics=tuple(source.of_type("AWS::SNS::Topic")),
            subscriptions=read_subscriptions(source),
            queues=tuple(source.of_type("AWS::SQS::Queue")),
            email_identities=read_email_identities(source),
            dashboards=read_dashboards(source),
            log_groups=read_log_groups(source),
            kms_keys={lid: bool(props.get("EnableKeyRotation")) for lid, props in source.each("AWS::KMS::Key")},
            resource_types=Counter(str(resource["Type"]) for resource in source.resources.values()),
            source=source,
        )

    @property
    def stage(self) -> Stage | None:
        """The HTTP API's stage (the stack has one)."""
        return self.stages[0] if self.stages else None

    def functions_with(self, handler: str) -> list[Function]:
        return [function for function in self.functions.values() if function.handler == handler]

    def function(self, handler: str) -> Function:
        """The one function whose handler is `handler` (e.g. catalog.COUNTER_HANDLER)."""
        (found,) = self.functions_with(handler)
        return found

    def role_of(self, function_id: str) -> Role | None:
        """The execution role of a function: what it may do."""
        role = self.functions[function_id].role
        return None if role is None else self.roles.get(role)

    def schedules_of(self, function_id: str) -> tuple[Schedule, ...]:
        return tuple(schedule for schedule in self.schedules if schedule.target == function_id)

    def table_named_by(self, variable: str) -> str:
        """The table whose name a function's environment variable carries (e.g. TABLE_NAME → the visits table)."""
        for function in self.functions.values():
            if function.environment.get(variable) in self.tables:
                return function.environment[variable]
        raise LookupError(f"no function of the template names a table in {variable}")
