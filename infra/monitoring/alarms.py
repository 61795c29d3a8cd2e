"""The one place that creates alarms and sets their actions (cdk-monitoring-constructs' "action strategy")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from functions.common import catalog
from infra.monitoring.alarm_spec import AlarmSpec, AlertRoute


class AlarmSet(Construct):
    """Every alarm of the stack, named `<stack>-<alarm id>`; each notifies its route's topic on ALARM and on OK.
    Exposes `alarms` (alarm id → Alarm, in declaration order) and `specs` (alarm id → AlarmSpec)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stack_name: str,
        runbook_url: str,
        specs: Sequence[AlarmSpec],
        topics: Mapping[AlertRoute, sns.ITopic],
    ) -> None:
        super().__init__(scope, construct_id)
        self.specs = {spec.alarm_id: spec for spec in specs}
        self.alarms: dict[str, cloudwatch.Alarm] = {
            spec.alarm_id: self._alarm(spec, stack_name, runbook_url, topics[spec.route]) for spec in specs
        }

    def _alarm(self, spec: AlarmSpec, stack_name: str, runbook_url: str, topic: sns.ITopic) -> cloudwatch.Alarm:
        runbook = catalog.runbook_section_url(runbook_url, spec.alarm_id)
        alarm = cloudwatch.Alarm(
            self,
            _construct_id(spec.alarm_id),
            alarm_name=catalog.alarm_name(stack_name, spec.alarm_id),
            alarm_description=catalog.alarm_description(spec.title, spec.unit, f"{spec.what_to_do} Runbook: {runbook}"),
            metric=spec.metric,
            threshold=spec.threshold.value,
            comparison_operator=spec.comparison,
            evaluation_periods=spec.evaluation_periods,
            datapoints_to_alarm=spec.datapoints_to_alarm,
            treat_missing_data=spec.missing_data,
        )
        action = cloudwatch_actions.SnsAction(topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        return alarm

    def annotations(self, *alarm_ids: str) -> list[cloudwatch.HorizontalAnnotation]:
        """Each alarm's threshold as a line on the graph that shows its metric (the alarm is the one source)."""
        return [self.alarms[alarm_id].to_annotation() for alarm_id in alarm_ids]


def _construct_id(alarm_id: str) -> str:
    return "".join(part.capitalize() for part in alarm_id.split("-")) + "Alarm"
