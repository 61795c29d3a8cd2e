"""The whole system on one machine (`make dev`), composed from parts that each stand in for one AWS service and are
built from the synthesized template (docs/local.md has the table)."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from functions.common import catalog
from infra.config import DeploymentConfig, app_context, load_config, overrides_from_context
from stack_model.stack import StackModel
from tools.local.apigateway.gateway import LocalHttpApi
from tools.local.apigateway.stage_control import ENDPOINT_VARIABLE, StageControl, stage_control_for
from tools.local.chat.channels import ChannelMessage, LocalChannels, with_local_channels
from tools.local.cloudwatch.alarms import AlarmEvaluator, AlarmWatch, local_alarms
from tools.local.cloudwatch.metrics import MetricStore
from tools.local.console import Console
from tools.local.deployment import stand_in_for_deployment
from tools.local.emulator import LOOPBACK, AwsEmulator
from tools.local.iam import function_credentials
from tools.local.lambda_runtime.runtime import LambdaRuntime
from tools.local.loops import BackgroundLoop
from tools.local.provision import provision
from tools.local.scheduler import fire_now, local_schedules, schedule_loop, schedule_of_kind
from tools.local.servers import DRAIN_TIMEOUT_SECONDS, LocalServer, built_site, serve
from tools.local.ses import Outbox, SentEmail
from tools.local.sns import SnsFanout
from tools.local.state import SNAPSHOT_INTERVAL_SECONDS, TableSnapshots
from tools.synth import synthesize

log = logging.getLogger("tools.local")

STOP_SECONDS: Final = 4.0
"""`stop()` returns within about this long (`make dev` promises 5 s after Ctrl-C; docs/local.md says how)."""
ONE_NETWORK: Final = {"max_views_per_network_per_day": "10000"}
"""Every local visitor is 127.0.0.1: the per-network cap is lifted unless the run sets its own (docs/local.md)."""
LOCAL_NOTES: Final = {"reader_notes": "true"}
"""The notes are on locally unless the run says otherwise (on AWS they are opt-in): docs/local.md, "Notes"."""


@dataclass(frozen=True)
class Ports:
    emulator: int = 4566
    api: int = 3001
    site: int = 8080
    console: int = 8081

    @classmethod
    def from_base(cls, base: int) -> Ports:
        return cls(base, base + 1, base + 2, base + 3)


class LocalSystem:
    def __init__(
        self,
        ports: Ports,
        state_dir: Path,
        *,
        reset: bool = False,
        period_scale: float = 1.0,
        config_overrides: Mapping[str, str] | None = None,
    ) -> None:
        """`config_overrides` are `config.<key>` context values, as `cdk synth -c` takes them."""
        self.ports = ports
        self.config_overrides = dict(config_overrides or {})
        self.state_dir = state_dir
        self.period_scale = period_scale
        if reset and state_dir.exists():
            shutil.rmtree(state_dir)
        state_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir = state_dir / "logs"
        self.site_origin = f"http://{LOOPBACK}:{ports.site}"
        self.api_url = f"http://{LOOPBACK}:{ports.api}"
        self.console_url = f"http://{LOOPBACK}:{ports.console}"
        self.emulator = AwsEmulator(ports.emulator)
        self._servers: list[LocalServer] = []
        self._loops: list[BackgroundLoop] = []
        self._snapshots: TableSnapshots | None = None
        self._runtime: LambdaRuntime | None = None
        self._channels: LocalChannels | None = None
        self.stage_control: StageControl | None = None

    def start(self) -> dict[str, str]:
        """Starts every part; raises PortInUseError or SynthError (a config error) after undoing what started."""
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> dict[str, str]:
        endpoint = self.emulator.start()
        self.emulator.reset()
        self.emulator.enforce_iam()
        aws = self.emulator.clients()
        model = self.model = StackModel.from_template(self._synthesized_template(), sqs_endpoint=endpoint)
        metrics = MetricStore()
        provision(model, aws)
        channels = self._channels = LocalChannels()
        channels.store_urls(aws.ssm)
        tables = list(model.tables)
        snapshots = TableSnapshots(aws.dynamodb, tables, self.state_dir / "tables.json", self.emulator.exclusive)
        self._snapshots = snapshots
        snapshots.restore()
        # Each Lambda's local stand-ins for AWS-only values, and keys allowed only its role's actions.
        local_environment = local_overrides(model, self.site_origin, self.api_url)
        for function_id, credentials in function_credentials(model, self.emulator.client("iam")).items():
            local_environment[function_id] = local_environment.get(function_id, {}) | credentials
        self._outbox = Outbox()
        self.stage_control, throttle = stage_control_for(model)
        runtime = self._runtime = LambdaRuntime(
            model,
            platform=self.emulator.lambda_environment() | {ENDPOINT_VARIABLE: self.stage_control.endpoint},
            metrics=metrics,
            logs_dir=self.logs_dir,
            local_environment=local_environment,
        )
        self.fanout = SnsFanout(model, sns=aws.sns, sqs=aws.sqs, runtime=runtime, outbox=self._outbox, metrics=metrics)
        self.evaluator = AlarmEvaluator(local_alarms(model), metrics, self.period_scale)
        self.alarm_watch = AlarmWatch(self.evaluator, self.fanout.alarm_changed)
        self.api = LocalHttpApi.from_template(
            model, runtime, metrics, allow_origins=[self.site_origin], throttle=throttle
        )
        console = Console(
            model,
            metrics,
            self.evaluator,
            self._outbox,
            self.site_origin,
            self.api_url,
            channel_messages=channels.received,
            send_digest=self.send_digest,
            send_notes=self.send_notes,
            function_log=lambda function_id: runtime.function(function_id).log_path,
        )
        self._servers.append(serve(self.ports.api, self.api.handle, "local API"))
        self._site_route = built_site(
            self.state_dir / "site", self.api_url, show_visit_badge=self._config().show_visit_badge
        )
        self.start_site()
        self._servers.append(serve(self.ports.console, console.route, "console"))
        self._start_loops(model, runtime)
        stand_in_for_deployment(self)  # `make verify ARGS=--local`
        return {
            "site": self.site_origin + "/",
            "api": self.api_url + catalog.VISITS_PATH,
            "outbox": self.console_url + "/outbox",
            "dashboard": self.console_url + "/dashboard",
            "alarms": self.console_url + "/",
            "aws emulator": endpoint,
            "lambda logs": str(self.logs_dir),
        }

    def _start_loops(self, model: StackModel, runtime: LambdaRuntime) -> None:
        evaluation_interval = max(0.2, min(5.0, 10 * self.period_scale))
        self._loops.append(BackgroundLoop("alarm evaluator", evaluation_interval, self.alarm_watch.evaluate).start())
        for schedule in local_schedules(model):
            loop = schedule_loop(schedule, runtime, model, self.emulator.client("logs"), self.period_scale)
            self._loops.append(loop.start())
        snapshots = self._snapshots
        assert snapshots is not None
        self._loops.append(
            BackgroundLoop(
                "table snapshots", SNAPSHOT_INTERVAL_SECONDS, lambda: snapshots.save_when_changed(runtime.invocations)
            ).start()
        )

    def start_site(self) -> None:
        """Serves the built site on its port (again, after the e2e tests' site-down scenario stopped `site_server`)."""
        self.site_server = serve(self.ports.site, self._site_route, "site")
        self._servers.append(self.site_server)

    def stop(self) -> None:
        """In this order, so that nothing answered 200 is lost: the servers drain, the loops end, the last snapshot is
        taken, then the rest stops; every wait is bounded, about STOP_SECONDS in all (docs/local.md)."""
        deadline = time.monotonic() + STOP_SECONDS
        for server in self._servers:
            server.refuse_new_requests()  # all at once: a visit refused by one is not taken by another meanwhile
        drained_by = time.monotonic() + DRAIN_TIMEOUT_SECONDS
        for server in self._servers:
            if not server.stop_accepting(max(0.0, drained_by - time.monotonic())):
                log.warning("%s: requests still running after the drain timeout were refused", server.name)
        self._servers.clear()
        for loop in self._loops:
            loop.stop(wait_seconds=max(0.0, deadline - time.monotonic()))
        self._loops.clear()
        if self._snapshots is not None:
            try:
                self._snapshots.save()
            except Exception:
                log.exception("the last snapshot of the tables failed; the one before it is kept")
            self._snapshots = None
        if self._runtime is not None:
            self._runtime.close()
        if self._channels is not None:
            self._channels.stop()
            self._channels = None
        if self.stage_control is not None:
            self.stage_control.stop()
        self.emulator.stop()

    def _synthesized_template(self) -> dict[str, Any]:
        return synthesize(self.state_dir / "cdk.out", self._context())

    def _context(self) -> dict[str, Any]:
        overrides = ONE_NETWORK | LOCAL_NOTES | dict(self.config_overrides)
        configured = self.synthesized_config = with_local_channels(overrides)
        return app_context({f"config.{key}": value for key, value in configured.items()})

    def _config(self) -> DeploymentConfig:
        """The config the template was synthesized with (the page is built from it, as the hosting does)."""
        context = self._context()
        return load_config(context, overrides_from_context(context))

    @property
    def runtime(self) -> LambdaRuntime:
        assert self._runtime is not None, "the system is not started"
        return self._runtime

    def send_digest(self) -> dict[str, Any]:
        """The weekly digest of the week so far, now, on every channel (`make digest`, the console's POST)."""
        return self._run_now(catalog.DIGEST_EVENT_KIND, "config digest_schedule is null", so_far=True)

    def send_notes(self) -> dict[str, Any]:
        """The notes' hourly run, now: a note in the outbox and on every channel when a link was opened for the
        first time or the résumé downloaded since the run before (`make notes`)."""
        return self._run_now(catalog.NOTES_EVENT_KIND, "config reader_notes is off")

    def _run_now(self, kind: str, why_none: str, **fields: Any) -> dict[str, Any]:
        """The schedule's event from the template, sent now; the function's answer, or its error."""
        invocation = fire_now(schedule_of_kind(self.model, kind, why_none), self.runtime, **fields)
        self._outbox.refresh()
        if invocation.error is not None:
            return {"ok": False, "error": f"{type(invocation.error).__name__}: {invocation.error}"}
        return {"ok": True, **invocation.response}

    def channel_messages(self, channel: str) -> list[ChannelMessage]:
        """What Slack or the webhook received, oldest first."""
        assert self._channels is not None, "the system is not started"
        return self._channels.received(channel)

    def outbox(self) -> list[SentEmail]:
        """Every email sent (SES's and SNS's own), in the order sent."""
        return self._outbox.emails()


def local_overrides(model: StackModel, site_origin: str, api_url: str) -> dict[str, dict[str, str]]:
    """Function logical id → local stand-ins for values that exist only on AWS: the probe checks the local site and
    API; the counter counts visits from the local site's origin."""
    probe = {
        catalog.PROBE_SITE_URL_ENV: site_origin + "/",
        catalog.PROBE_SITE_ORIGIN_ENV: site_origin,
        catalog.PROBE_API_URL_ENV: api_url,
    }
    counter = {catalog.ALLOWED_ORIGINS_ENV: site_origin}
    overrides = {function.logical_id: probe for function in model.functions_with(catalog.PROBE_HANDLER)}
    return overrides | {function.logical_id: counter for function in model.functions_with(catalog.COUNTER_HANDLER)}
