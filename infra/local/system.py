"""The whole system on one machine: emulated AWS, the local API and site, metrics, alarms and their emails.

Everything is read from the synthesized template, so what runs here is what CDK deploys: table keys,
function settings and environment, CORS, throttling, alarms, topics and subscriptions.
"""

from __future__ import annotations

import email
import email.policy
import html
import importlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO

import boto3

from infra.config import REPO_ROOT
from infra.local.alarms import AlarmEvaluator, StateChange, alarms_from_template
from infra.local.emulator import LOOPBACK, AwsEmulator
from infra.local.gateway import CorsRules, HttpReply, LocalHttpApi, TokenBucket
from infra.local.lambda_events import LOCAL_ACCOUNT_ID, LOCAL_REGION, LocalLambdaContext, sns_event
from infra.local.metrics import MetricStore
from infra.local.servers import serve, static_site
from infra.local.stdout_capture import captured_stdout
from infra.local.template import LocalTemplate, synthesize

COUNTER_HANDLER = "functions.counter.app.lambda_handler"
NOTIFIER_HANDLER = "functions.notifier.app.lambda_handler"
LAMBDA_DEFAULT_RETRIES = 2  # Lambda's default for asynchronous invocations (SNS → Lambda)


@dataclass(frozen=True)
class Ports:
    emulator: int = 4566
    api: int = 3001
    site: int = 8080
    console: int = 8081

    @classmethod
    def from_base(cls, base: int) -> Ports:
        return cls(base, base + 1, base + 2, base + 3)


@dataclass
class SentEmail:
    channel: str
    """'ses' (the notifier's email) or 'sns-email' (the alerting-health topic's plain subscription)."""
    subject: str
    recipients: list[str]
    text: str
    html: str
    at: float = field(default_factory=time.time)


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
        self.emulator = AwsEmulator(ports.emulator)
        self._servers: list[ThreadingHTTPServer] = []
        self._stop = threading.Event()
        self.direct_emails: list[SentEmail] = []
        self.evaluator: AlarmEvaluator | None = None
        self.skipped_alarms: list[str] = []
        self.notifications: list[StateChange] = []
        self._ses_sent_at: list[float] = []
        self.logs_dir = state_dir / "logs"
        self.logs_dir.mkdir(exist_ok=True)
        self._log_files: dict[str, TextIO] = {}

    # -- start-up ---------------------------------------------------------------------------------------------
    def start(self) -> dict[str, str]:
        endpoint = self.emulator.start()
        self.emulator.reset()
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_DEFAULT_REGION": LOCAL_REGION,
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "POWERTOOLS_TRACE_DISABLED": "true",
            }
        )
        self.template = LocalTemplate(self._synthesized_template(), sqs_endpoint=endpoint)
        self.metrics = MetricStore(boto3.client("cloudwatch"))
        self._provision()
        self._restore_tables()
        self.site_origin = f"http://{LOOPBACK}:{self.ports.site}"
        self.api_url = f"http://{LOOPBACK}:{self.ports.api}"
        self.console_url = f"http://{LOOPBACK}:{self.ports.console}"
        self.api = self._local_api()
        self._servers.append(serve(self.ports.api, self.api.handle, "local API"))
        self._servers.append(serve(self.ports.site, static_site(self._build_site(), self._site_headers()), "site"))
        self._servers.append(serve(self.ports.console, self._console, "console"))
        alarms, self.skipped_alarms = alarms_from_template(self.template.template, self.template.resolve)
        self.evaluator = AlarmEvaluator(alarms, self.metrics, self.period_scale)
        threading.Thread(target=self._evaluate_forever, name="alarms", daemon=True).start()
        return {
            "site": self.site_origin + "/",
            "api": self.api_url + "/visits",
            "outbox": self.console_url + "/outbox",
            "dashboard": self.console_url + "/dashboard",
            "alarms": self.console_url + "/",
            "aws emulator": endpoint,
            "lambda logs": str(self.logs_dir),
        }

    def stop(self) -> None:
        self._save_tables()
        self._stop.set()
        self.metrics.close()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self.emulator.stop()
        for stream in self._log_files.values():
            stream.close()

    def _synthesized_template(self) -> dict[str, Any]:
        from infra.config import app_context

        overrides = {f"config.{key}": value for key, value in self.config_overrides.items()}
        return synthesize(self.state_dir / "cdk.out", app_context(overrides))

    def _provision(self) -> None:
        """Creates on the emulator every table, topic, queue and sender identity the template declares."""
        dynamodb, sns, sqs, ses = (
            boto3.client("dynamodb"),
            boto3.client("sns"),
            boto3.client("sqs"),
            boto3.client("ses"),
        )
        for kind in ("AWS::DynamoDB::GlobalTable", "AWS::DynamoDB::Table"):
            for logical_id, resource in self.template.of_type(kind).items():
                props = resource["Properties"]
                dynamodb.create_table(
                    TableName=logical_id,
                    KeySchema=props["KeySchema"],
                    AttributeDefinitions=props["AttributeDefinitions"],
                    BillingMode="PAY_PER_REQUEST",
                )
        for logical_id in self.template.of_type("AWS::SNS::Topic"):
            sns.create_topic(Name=logical_id)
        for logical_id in self.template.of_type("AWS::SQS::Queue"):
            sqs.create_queue(QueueName=logical_id)
        for resource in self.template.of_type("AWS::SES::EmailIdentity").values():
            ses.verify_email_identity(EmailAddress=self.template.resolve(resource["Properties"]["EmailIdentity"]))
        # The Lambdas run in this process: give them the environment the template gives them.
        for resource in self.template.of_type("AWS::Lambda::Function").values():
            variables = resource["Properties"].get("Environment", {}).get("Variables", {})
            os.environ.update({name: self.template.resolve(value) for name, value in variables.items()})

    @property
    def _saved_state(self) -> Path:
        return self.state_dir / "tables.json"

    def _table_names(self) -> list[str]:
        return [
            logical_id
            for kind in ("AWS::DynamoDB::GlobalTable", "AWS::DynamoDB::Table")
            for logical_id in self.template.of_type(kind)
        ]

    def _save_tables(self) -> None:
        """Keeps every table's items (the visit count above all) for the next run; --reset discards them."""
        dynamodb = boto3.client("dynamodb")
        saved = {
            name: [item for page in dynamodb.get_paginator("scan").paginate(TableName=name) for item in page["Items"]]
            for name in self._table_names()
        }
        self._saved_state.write_text(json.dumps(saved, indent=1, sort_keys=True))

    def _restore_tables(self) -> None:
        if not self._saved_state.exists():
            return
        dynamodb = boto3.client("dynamodb")
        saved = json.loads(self._saved_state.read_text())
        for name in self._table_names():
            for item in saved.get(name, []):
                dynamodb.put_item(TableName=name, Item=item)

    def _local_api(self) -> LocalHttpApi:
        found = self.template.function_by_handler(COUNTER_HANDLER)
        if found is None:
            raise RuntimeError("the template has no counter function")
        function_id, function = found
        (api_id, api), *_ = self.template.of_type("AWS::ApiGatewayV2::Api").items()
        cors = api["Properties"]["CorsConfiguration"]
        (_, stage), *_ = self.template.of_type("AWS::ApiGatewayV2::Stage").items()
        throttle = stage["Properties"]["DefaultRouteSettings"]
        return LocalHttpApi(
            api_id=api_id,
            function_name=function_id,
            handler=self._entry_point(COUNTER_HANDLER),
            # NOTE: locally the site is served from loopback, so that is the one origin allowed.
            cors=CorsRules([self.site_origin], cors["AllowMethods"], cors["AllowHeaders"], int(cors["MaxAge"])),
            throttle=TokenBucket(float(throttle["ThrottlingRateLimit"]), int(throttle["ThrottlingBurstLimit"])),
            metrics=self.metrics,
            memory_mb=int(function["MemorySize"]),
            timeout_seconds=float(function["Timeout"]),
        )

    def _build_site(self) -> Path:
        from frontend.build import build_site

        dist = self.state_dir / "site"
        build_site(REPO_ROOT / "frontend" / "resume.json", dist, api_base_url=self.api_url)
        return dist

    def _site_headers(self) -> Mapping[str, str]:
        try:
            from infra.security_headers import security_headers  # type: ignore[import-not-found, unused-ignore]
        except ImportError:
            return {}
        headers: Mapping[str, str] = security_headers(self.api_url)
        return headers

    def _entry_point(self, handler: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
        """A Lambda's handler, imported in-process; its JSON log lines go to a file under the state folder, as
        Lambda sends them to CloudWatch Logs, so the console stays readable."""
        module_name, _, name = handler.rpartition(".")
        module = importlib.import_module(module_name)
        if module_name not in self._log_files:
            # A new system is a new container: drop clients a previous one in this process cached, which point
            # at its emulator (the handlers create them once per container behind functools.cache).
            for value in vars(module).values():
                if getattr(value, "__module__", None) == module_name and hasattr(value, "cache_clear"):
                    value.cache_clear()
        logger = getattr(module, "logger", None)
        if logger is not None and module_name not in self._log_files:
            log_path = self.logs_dir / f"{module_name.removesuffix('.app').rsplit('.', 1)[-1]}.log"
            stream = log_path.open("a", encoding="utf-8", buffering=1)
            logger.registered_handler.stream = stream
            self._log_files[module_name] = stream
        entry: Callable[[dict[str, Any], Any], dict[str, Any]] = getattr(module, name)
        return entry

    # -- alarms -----------------------------------------------------------------------------------------------
    def _evaluate_forever(self) -> None:
        interval = max(0.2, min(5.0, 10 * self.period_scale))
        while not self._stop.wait(interval):
            self.evaluate_alarms()

    def evaluate_alarms(self) -> list[StateChange]:
        assert self.evaluator is not None
        changes = self.evaluator.evaluate()
        for change in changes:
            self.notifications.append(change)
            actions = change.alarm.alarm_actions if change.new_state == "ALARM" else change.alarm.ok_actions
            if change.new_state == "INSUFFICIENT_DATA":
                actions = []
            for topic_arn in actions:
                self._publish(topic_arn, change)
        return changes

    def _publish(self, topic_arn: str, change: StateChange) -> None:
        message = json.dumps(change.cloudwatch_message())
        subject = f'{change.new_state}: "{change.alarm.name}" in {LOCAL_REGION}'[:100]
        published = boto3.client("sns").publish(TopicArn=topic_arn, Message=message, Subject=subject)
        for subscription in self.template.of_type("AWS::SNS::Subscription").values():
            props = subscription["Properties"]
            if self.template.resolve(props["TopicArn"]) != topic_arn:
                continue
            if props["Protocol"] == "email":
                self.direct_emails.append(
                    SentEmail("sns-email", subject, [self.template.resolve(props["Endpoint"])], message, "")
                )
            elif props["Protocol"] == "lambda":
                self._deliver_to_lambda(props, topic_arn, message, subject, published["MessageId"])

    def _deliver_to_lambda(
        self, props: Mapping[str, Any], topic_arn: str, message: str, subject: str, message_id: str
    ) -> None:
        function_id = props["Endpoint"]["Fn::GetAtt"][0]
        handler = self._entry_point(self.template.resources[function_id]["Properties"]["Handler"])
        event = sns_event(topic_arn, message, subject=subject, message_id=message_id)
        retries, on_failure = self._async_invoke_config(function_id)
        for _attempt in range(1 + retries):
            started = time.perf_counter()
            with captured_stdout() as printed:
                try:
                    handler(event, LocalLambdaContext(function_name=function_id))
                    failed = False
                except Exception:  # an async Lambda error: retried, then sent to the on-failure destination
                    failed = True
            self.metrics.ingest_emf(printed.getvalue())
            dimensions = {"FunctionName": function_id}
            duration_ms = (time.perf_counter() - started) * 1000
            self.metrics.record("AWS/Lambda", "Invocations", dimensions, 1)
            self.metrics.record("AWS/Lambda", "Errors", dimensions, 1 if failed else 0)
            self.metrics.record("AWS/Lambda", "Duration", dimensions, duration_ms, "Milliseconds")
            self._note_ses_sends()
            if not failed:
                return
        if on_failure is not None:
            self._dead_letter(on_failure, event)

    def _note_ses_sends(self) -> None:
        """When each email reached the emulator's SES, which keeps no time of its own."""
        from moto.ses.models import ses_backends

        sent = len(ses_backends[LOCAL_ACCOUNT_ID][LOCAL_REGION].sent_messages)
        self._ses_sent_at.extend([time.time()] * (sent - len(self._ses_sent_at)))

    def _async_invoke_config(self, function_id: str) -> tuple[int, str | None]:
        """Retry attempts and the on-failure queue of a function, from its EventInvokeConfig or DeadLetterConfig."""
        for config in self.template.of_type("AWS::Lambda::EventInvokeConfig").values():
            props = config["Properties"]
            if props["FunctionName"] == {"Ref": function_id}:
                destination = props.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
                queue = destination["Fn::GetAtt"][0] if isinstance(destination, dict) else None
                return int(props.get("MaximumRetryAttempts", LAMBDA_DEFAULT_RETRIES)), queue
        target = self.template.resources[function_id]["Properties"].get("DeadLetterConfig", {}).get("TargetArn")
        return LAMBDA_DEFAULT_RETRIES, target["Fn::GetAtt"][0] if isinstance(target, dict) else None

    def _dead_letter(self, queue_id: str, event: Mapping[str, Any]) -> None:
        sqs = boto3.client("sqs")
        queue_url = sqs.get_queue_url(QueueName=queue_id)["QueueUrl"]
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(event))
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])
        depth = int(attributes["Attributes"]["ApproximateNumberOfMessages"])
        self.metrics.record("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": queue_id}, depth)

    # -- outbox and console -----------------------------------------------------------------------------------
    def outbox(self) -> list[SentEmail]:
        """Every email sent: the notifier's through SES (read from the emulator) and plain SNS email ones."""
        from moto.ses.models import ses_backends

        self._note_ses_sends()
        sent = [
            _ses_email(message, at)
            for message, at in zip(
                ses_backends[LOCAL_ACCOUNT_ID][LOCAL_REGION].sent_messages, self._ses_sent_at, strict=False
            )
        ]
        return sorted(sent + self.direct_emails, key=lambda email: email.at)

    def _console(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> HttpReply:
        if path == "/api/outbox":
            return _json([email.__dict__ for email in self.outbox()])
        if path == "/api/alarms":
            assert self.evaluator is not None
            return _json(
                [
                    {
                        "name": a.name,
                        "state": a.state,
                        "metric": f"{a.namespace}/{a.metric_name}",
                        "threshold": a.threshold,
                    }
                    for a in self.evaluator.alarms
                ]
            )
        if path == "/outbox":
            return _html("Outbox", _outbox_html(self.outbox()))
        if path == "/dashboard.svg":
            return HttpReply(200, {"content-type": "image/svg+xml"}, self.dashboard_svg().encode())
        if path == "/dashboard":
            return _html(
                "Dashboard",
                "<p>Rendered from the synthesized dashboard body with live local data.</p>"
                "<img src='/dashboard.svg' alt='Operations dashboard' style='max-width:100%'>",
            )
        if path == "/":
            return _html("Local resume backend", self._overview_html())
        return HttpReply(404, {"content-type": "text/plain"}, b"not found")

    def dashboard_svg(self) -> str:
        """The synthesized dashboard body drawn with this system's live metrics and alarm states."""
        from dashboards.body import dashboard_bodies
        from dashboards.render import render_svg
        from infra.local.dashboard_data import LiveData

        assert self.evaluator is not None
        bodies = dashboard_bodies(self.template.template)
        if not bodies:
            return "<svg xmlns='http://www.w3.org/2000/svg'><text y='20'>no dashboard in the template</text></svg>"
        name, body = next(iter(bodies.items()))
        data = LiveData(self.metrics, self.evaluator.alarms, self.period_scale)
        return render_svg(body, data, f"{name} (local, live)")

    def _overview_html(self) -> str:
        assert self.evaluator is not None
        rows = "".join(
            f"<tr><td>{html.escape(a.name)}</td><td class='{a.state}'>{a.state}</td>"
            f"<td>{html.escape(a.namespace)}/{html.escape(a.metric_name)} {a.statistic}</td>"
            f"<td>{a.threshold:g}</td></tr>"
            for a in self.evaluator.alarms
        )
        scale = (
            "" if self.period_scale == 1 else f"<p><strong>Alarm periods scaled by {self.period_scale:g}.</strong></p>"
        )
        return (
            f"<p><a href='{self.site_origin}/'>Site</a> · <a href='/outbox'>Outbox</a> · "
            "<a href='/dashboard'>Dashboard</a> · "
            f"<a href='{self.api_url}/visits'>API</a></p>{scale}"
            f"<table><tr><th>Alarm</th><th>State</th><th>Metric</th><th>Threshold</th></tr>{rows}</table>"
        )


def _ses_email(message: Any, at: float) -> SentEmail:
    """An email from the emulator's SES store: SESv2 SendEmail with a raw or simple body."""
    raw = getattr(message, "raw_data", None)
    if raw:
        parsed = email.message_from_string(raw, policy=email.policy.default)
        text_part = parsed.get_body(preferencelist=("plain",))
        html_part = parsed.get_body(preferencelist=("html",))
        return SentEmail(
            "ses",
            str(parsed["subject"] or ""),
            [address.strip() for address in str(parsed["to"] or "").split(",") if address.strip()],
            text_part.get_content() if text_part is not None else "",
            html_part.get_content() if html_part is not None else "",
            at,
        )
    destinations = getattr(message, "destinations", {}) or {}
    recipients = list(dict.fromkeys(destinations.get("ToAddresses", []))) if isinstance(destinations, dict) else []
    body = getattr(message, "body", "")
    text, html_part_text = (body.get("Text", ""), body.get("Html", "")) if isinstance(body, dict) else (str(body), "")
    return SentEmail("ses", getattr(message, "subject", "") or "", recipients, text, html_part_text, at)


def _json(value: Any) -> HttpReply:
    return HttpReply(200, {"content-type": "application/json"}, json.dumps(value, default=str).encode())


def _html(title: str, content: str) -> HttpReply:
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>"
        f"{html.escape(title)}</title><meta http-equiv='refresh' content='5'>"
        "<style>body{font:15px system-ui;margin:2rem;max-width:70rem}td,th{padding:.3rem .6rem;text-align:left}"
        ".ALARM{color:#b00020;font-weight:bold}.OK{color:#1b5e20}article{border:1px solid #ccc;margin:1rem 0;"
        "padding:1rem}pre{white-space:pre-wrap}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{content}</body></html>"
    )
    return HttpReply(200, {"content-type": "text/html; charset=utf-8"}, page.encode())


def _outbox_html(emails: list[SentEmail]) -> str:
    if not emails:
        return "<p>No email sent yet. Fire an alarm with the drill (see docs/local.md).</p>"
    return "".join(_email_html(email) for email in reversed(emails))


def _email_html(email: SentEmail) -> str:
    html_part = (
        "<details><summary>HTML</summary>"
        f"<iframe sandbox srcdoc='{html.escape(email.html)}' width='100%' height='400'></iframe></details>"
        if email.html
        else ""
    )
    return (
        f"<article><h2>{html.escape(email.subject)}</h2>"
        f"<p>to {html.escape(', '.join(email.recipients))} via {email.channel}</p>"
        f"<details open><summary>Text</summary><pre>{html.escape(email.text)}</pre></details>{html_part}</article>"
    )
