"""Everything a cost figure is computed from, gathered once: the template's facts, the measured requests and probe
run, the rendered log lines, and the guard's rate (the config's, once it has the key)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from functions.common import catalog
from stack_model.functions import Function
from tools.cost import assumptions
from tools.cost.log_lines import access_log_line, lambda_platform_lines
from tools.cost.measure import CHROME, COUNTED_VISIT, GET_VISITS, Measurement, measure_requests
from tools.cost.probe_run import ProbeRun, probe_run
from tools.cost.template_facts import StackFacts, stack_facts

GUARD_RATE_KEY: Final = "guard_rate_per_second"
NEVER_EXPIRES_DAYS: Final = 365
"""A log group without retention keeps growing; its storage is counted as a year's worth."""


@dataclass(frozen=True)
class CostInputs:
    region: str
    facts: StackFacts
    requests: Measurement
    probe: ProbeRun | None
    """None when the template has no probe function."""
    access_log_line: str
    """A counted POST's access-log line, rendered from the stage's format (empty without access logging)."""
    guard_rate_per_second: float
    guard_rate_source: str
    digest_recipients: int
    counter_billed_ms: float = assumptions.COUNTER_BILLED_MS
    """A warm counter invocation's billed duration: assumed, or the deployed function's measured average."""

    @property
    def counter(self) -> Function:
        return self.facts.function(catalog.COUNTER_HANDLER)

    @property
    def probe_function(self) -> Function | None:
        found = [f for f in self.facts.functions.values() if f.handler == catalog.PROBE_HANDLER]
        return found[0] if found else None

    @property
    def log_retention_days(self) -> int:
        return self.facts.log_retention_days or NEVER_EXPIRES_DAYS

    def platform_bytes(self, function: Function) -> int:
        """Lambda's start and report lines of one invocation, unless its system log level drops them."""
        if not function.platform_logs:
            return 0
        return len(lambda_platform_lines(memory_mb=function.memory_mb, tracing_active=function.tracing == "Active"))

    @property
    def visit_log_bytes(self) -> int:
        """What one counted visit writes to CloudWatch Logs: the counter's lines and EMF (measured), Lambda's
        platform lines and the stage's access-log line (rendered)."""
        return self.visit_function_log_bytes + len(self.access_log_line)

    @property
    def visit_function_log_bytes(self) -> int:
        """The counter's share of a visit's log bytes (its log group is Standard class: EMF needs it)."""
        counted = self.requests[COUNTED_VISIT]
        return counted.log_bytes + counted.emf_bytes + self.platform_bytes(self.counter)

    @property
    def access_log_ingestion_key(self) -> str:
        """The usage key the access log's bytes are billed under: its log group's class decides the price."""
        return "logs_ingested_ia_gb" if self.facts.access_log_class == "INFREQUENT_ACCESS" else "logs_ingested_gb"

    @property
    def get_log_bytes(self) -> int:
        get = self.requests[GET_VISITS]
        return get.log_bytes + get.emf_bytes + self.platform_bytes(self.counter)


def gather(template: Mapping[str, Any], region: str, guard_rate_per_second: float) -> CostInputs:
    """`guard_rate_per_second`: the config's (the throttle guard is not in the template: the notifier sets it)."""
    facts = stack_facts(template)
    requests = measure_requests(template)
    probe = next((f for f in facts.functions.values() if f.handler == catalog.PROBE_HANDLER), None)
    counted = requests[COUNTED_VISIT]
    line = ""
    if facts.access_log_format:
        line = access_log_line(facts.access_log_format, response_length=counted.response_body_bytes, user_agent=CHROME)
    return CostInputs(
        region=region,
        facts=facts,
        requests=requests,
        probe=probe_run(probe.memory_mb, 30) if probe else None,
        access_log_line=line,
        guard_rate_per_second=guard_rate_per_second,
        guard_rate_source=f"config {GUARD_RATE_KEY}",
        digest_recipients=_recipients(facts),
    )


def _recipients(facts: StackFacts) -> int:
    """Who the notifier emails (its ALERT_RECIPIENTS variable in the template)."""
    for function in facts.functions.values():
        if function.handler == catalog.NOTIFIER_HANDLER:
            value = function.environment.get(catalog.ALERT_RECIPIENTS_ENV, "")
            return len([address for address in value.split(",") if address.strip()])
    return 0
