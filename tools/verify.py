"""`make verify`: after a deploy, checks that the deployed stack works as a whole and prints the fix for each failure
(docs/deploy.md, "Did it work?"); `--local` checks the running `make dev` instead. It never records a visit.
Exit status: 0 when every check passed, 1 when one failed, 2 when the config is invalid or the stack unreadable."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

import boto3
import requests
from botocore.exceptions import BotoCoreError, ClientError

from frontend.build import API_META_NAME
from functions.common import catalog

# The header checks are shared with the availability probe, which runs on Lambda and cannot import infra/.
from functions.probe.checks import ProbeTarget
from functions.probe.expectations import origin_of, security_header_problems
from infra.config import ConfigError, DeploymentConfig, app_context, load_config, overrides_from_context
from infra.guard import GUARD_STAGE_ACTIONS
from tools.preflight.core import Clients as AwsClients
from tools.preflight.core import Result, Status, could_not_run, exit_status, report
from tools.synth import add_context_option

EXIT_USAGE: Final = 2
STAGE_NAME: Final = "$default"
_ALARM_TYPE: Final = "AWS::CloudWatch::Alarm"
_API_TYPE: Final = "AWS::ApiGatewayV2::Api"
_AMPLIFY_APP_TYPE: Final = "AWS::Amplify::App"
# RFC 2606 reserves .invalid: no real site can ever have this origin, so no CORS rule may allow it.
FOREIGN_ORIGIN: Final = "https://verify.invalid"
# Not JSON, so the counter answers 400 before counting; text/plain keeps the POST a CORS "simple request",
# the kind a foreign page can send without a preflight.
NOT_A_VISIT_BODY: Final = "make verify: not a visit"
HTTP_TIMEOUT_SECONDS: Final = (5.0, 10.0)  # connect, read
HTTP_FIX: Final = "docs/runbook.md; the lines above say what the site or API answered"
RETRY_INTERVAL_SECONDS: Final = 5.0


def _verdict(name: str, problems: Sequence[str] = (), fix: str = "") -> Result:
    """One line of `make verify`: a pass without problems, else a failure listing them, with their fix."""
    if not problems:
        return Result(Status.PASS, title=name)
    return Result(Status.FAIL, fix=fix, details=tuple(problems), title=name)


@dataclass(frozen=True)
class Deployment:
    """What the checks look at: the config, the stack's outputs and the physical ids of its resources."""

    config: DeploymentConfig
    outputs: Mapping[str, str]
    resources: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Resource type → physical ids (CloudFormation's ListStackResources)."""
    read_only: bool = False
    """CI reads through the CDK bootstrap lookup role (ReadOnlyAccess): the guard's no-op update is skipped."""
    notifier_user: str | None = None
    """The local system (`--local`): the IAM user whose policy holds the notifier's rights, in place of its role."""

    def ids(self, resource_type: str) -> tuple[str, ...]:
        return self.resources.get(resource_type, ())


Clients = Callable[[str], Any]
"""service → boto3 client in the deploy region (boto3's credential chain; AWS_ENDPOINT_URL applies)."""


def read_deployment(config: DeploymentConfig, clients: Clients, *, read_only: bool = False) -> Deployment:
    """The stack's outputs (DescribeStacks) and resources (ListStackResources)."""
    cloudformation = clients("cloudformation")
    stack = cloudformation.describe_stacks(StackName=config.stack_name)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    resources: dict[str, list[str]] = {}
    for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=config.stack_name):
        for summary in page["StackResourceSummaries"]:
            if summary.get("PhysicalResourceId"):
                resources.setdefault(summary["ResourceType"], []).append(summary["PhysicalResourceId"])
    return Deployment(config, outputs, {kind: tuple(ids) for kind, ids in resources.items()}, read_only)


def read_local_deployment(state_dir: Path, extra: Mapping[str, str]) -> tuple[Deployment, Clients]:
    """What a running `make dev` wrote of itself (tools/local/deployment.py), and clients of its emulator."""
    from tools.local.deployment import FILE_NAME

    try:
        written = json.loads((state_dir / FILE_NAME).read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f"no running local system in {state_dir} (start `make dev` first): {error}") from error
    cdk_context = app_context({**written["context"], **extra})
    config = load_config(cdk_context, overrides_from_context(cdk_context))
    key, endpoints = written["access_key"], written["endpoints"]
    session = boto3.Session(aws_access_key_id=key, aws_secret_access_key=key, region_name=written["region"])

    def clients(service: str) -> Any:
        return session.client(service, endpoint_url=endpoints.get(service, endpoints["aws"]))  # type: ignore[call-overload]

    resources = {kind: tuple(ids) for kind, ids in written["resources"].items()}
    return Deployment(config, written["outputs"], resources, notifier_user=written["notifier_user"]), clients


def check_access_log(deployment: Deployment, clients: Clients) -> Result:
    name = "the API's access log group receives log streams"
    region = deployment.config.region
    stage = clients("apigatewayv2").get_stage(ApiId=deployment.ids(_API_TYPE)[0], StageName=STAGE_NAME)
    group = stage["AccessLogSettings"]["DestinationArn"].split(":log-group:", 1)[1].removesuffix(":*")
    streams = clients("logs").describe_log_streams(logGroupName=group, limit=1)["logStreams"]
    if streams:
        return _verdict(name)
    return _verdict(
        name,
        (f"{group} has no log stream: API Gateway has written no access log line",),
        f"curl -s {deployment.outputs.get(catalog.API_URL_OUTPUT, 'API_URL').rstrip('/')}{catalog.VISITS_PATH} "
        "then `make verify` again in a minute; still none: set the access log group's class to STANDARD "
        f"(infra/api.py) and deploy (docs/deploy.md, region {region})",
    )


def _grants_patch(document: Mapping[str, Any], api_id: str) -> bool:
    statements = document.get("Statement", [])
    for statement in [statements] if isinstance(statements, dict) else statements:
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if (
            statement.get("Effect") == "Allow"
            and set(GUARD_STAGE_ACTIONS) <= set(actions)
            and any(resource == "*" or f"/apis/{api_id}/stages/" in resource for resource in resources)
        ):
            return True
    return False


def _notifier_policies(deployment: Deployment, clients: Clients) -> tuple[str, list[Mapping[str, Any]]]:
    """The notifier's principal ("role NAME", or locally "user NAME") and its inline policy documents."""
    iam = clients("iam")
    if deployment.notifier_user:
        user = deployment.notifier_user
        names = iam.list_user_policies(UserName=user)["PolicyNames"]
        return f"user {user}", [iam.get_user_policy(UserName=user, PolicyName=n)["PolicyDocument"] for n in names]
    role_arn = clients("lambda").get_function_configuration(
        FunctionName=deployment.outputs[catalog.NOTIFIER_FUNCTION_OUTPUT]
    )["Role"]
    role = role_arn.rsplit("/", 1)[1]
    names = iam.list_role_policies(RoleName=role)["PolicyNames"]
    return f"role {role}", [iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"] for n in names]


def check_guard(deployment: Deployment, clients: Clients) -> Result:
    name = "the throttle guard may update the API stage (UpdateStage with the current limits)"
    api_id = deployment.ids(_API_TYPE)[0]
    principal, documents = _notifier_policies(deployment, clients)
    if not any(_grants_patch(document, api_id) for document in documents):
        restore = "restart `make dev`" if deployment.notifier_user else "cdk deploy"
        return _verdict(
            name,
            (f"the notifier's {principal} may not call apigateway:PATCH on the stage: the guard cannot engage",),
            f"{restore}   # the stack grants it (infra/guard.py); a hand edit of the {principal.split()[0]} removed it",
        )
    if deployment.read_only:
        return _verdict(name + ": grant read; no-op update skipped (read-only credentials)")
    apigateway = clients("apigatewayv2")
    settings = apigateway.get_stage(ApiId=api_id, StageName=STAGE_NAME).get("DefaultRouteSettings", {})
    limits = {key: settings[key] for key in ("ThrottlingRateLimit", "ThrottlingBurstLimit") if key in settings}
    apigateway.update_stage(ApiId=api_id, StageName=STAGE_NAME, DefaultRouteSettings=limits)
    return _verdict(name)


def check_alarms(deployment: Deployment, clients: Clients) -> Result:
    name = "every alarm has left INSUFFICIENT_DATA"
    names = list(deployment.ids(_ALARM_TYPE))
    if not names:
        return _verdict(name, ("the stack lists no alarm",), "cdk deploy")
    waiting = []
    cloudwatch = clients("cloudwatch")
    for start in range(0, len(names), 100):
        for alarm in cloudwatch.describe_alarms(AlarmNames=names[start : start + 100])["MetricAlarms"]:
            if alarm["StateValue"] == "INSUFFICIENT_DATA":
                waiting.append(f"{alarm['AlarmName']}: {alarm.get('StateReason', 'no reason given')}")
    if not waiting:
        return _verdict(name)
    return _verdict(
        name,
        tuple(waiting),
        "an alarm needs one full period of its metric: visit the site, wait its period (docs/runbook.md) and run "
        "`make verify` again; one still waiting after a day watches a metric nothing writes",
    )


def check_sender(deployment: Deployment, clients: Clients) -> Result:
    sender, region = deployment.config.sender_email, deployment.config.region
    name = f"the SES sender {sender} is verified"
    identity = clients("sesv2").get_email_identity(EmailIdentity=sender)
    if identity.get("VerifiedForSendingStatus"):
        return _verdict(name)
    return _verdict(
        name,
        (f"{sender} is not verified: no alarm email can be sent",),
        f"click the link SES emailed to {sender} (spam too); a new link: "
        f"aws ses verify-email-identity --region {region} --email-address {sender}",
    )


def check_subscription(deployment: Deployment, clients: Clients) -> Result:
    name = "the alerting-health email subscription is confirmed"
    topic = deployment.outputs[catalog.ALERTING_HEALTH_TOPIC_OUTPUT]
    subscriptions = clients("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    pending = [s["Endpoint"] for s in subscriptions if s["SubscriptionArn"] == "PendingConfirmation"]
    if not pending:
        return _verdict(name)
    return _verdict(
        name,
        tuple(f"{address} has not confirmed" for address in pending),
        "click 'Confirm subscription' in the email from AWS Notifications (it expires after 3 days; a deploy that "
        "replaces the subscription sends a new one)",
    )


def check_amplify_domain(deployment: Deployment, clients: Clients) -> Result:
    config = deployment.config
    name = f"the Amplify domain {config.site_domain} is AVAILABLE"
    [app_arn] = deployment.ids(_AMPLIFY_APP_TYPE) or ("",)
    app_id = app_arn.rsplit("/", 1)[-1]
    association = clients("amplify").get_domain_association(appId=app_id, domainName=config.site_domain)
    status = association["domainAssociation"]["domainStatus"]
    if status == "AVAILABLE":
        return _verdict(name)
    return _verdict(
        name,
        (f"the domain is {status}: {association['domainAssociation'].get('statusReason', 'no reason given')}",),
        deployment.outputs.get("SiteDomainDnsRecords", "")
        + "   # add these DNS records; Amplify then verifies within hours",
    )


AWS_CHECKS: Final[tuple[Callable[[Deployment, Clients], Result], ...]] = (
    check_access_log,
    check_guard,
    check_alarms,
    check_sender,
    check_subscription,
)

NOT_LOCAL: Final[Mapping[Callable[[Deployment, Clients], Result], str]] = {
    check_access_log: "the local API writes no access log (API Gateway's log class is AWS's to settle)",
    check_alarms: "the local system evaluates its alarms itself (the console's alarms page)",
    check_subscription: "the topic's email goes straight to the outbox, with nothing to confirm",
    check_amplify_domain: "the site is served on loopback, with no domain",
}
"""The checks that mean nothing against the local system (`--local`), and why."""


def _title(check: Callable[[Deployment, Clients], Result]) -> str:
    return check.__name__.removeprefix("check_").replace("_", " ")


def _run_aws_check(check: Callable[[Deployment, Clients], Result], deployment: Deployment, clients: Clients) -> Result:
    try:
        return check(deployment, clients)
    except (ClientError, BotoCoreError, LookupError) as error:
        fix = "run `make verify` with the owner's (administrator) credentials of the deploy account"
        return dataclasses.replace(could_not_run(error, fix=fix), title=_title(check))


def target(api_url: str, site_url: str) -> ProbeTarget:
    """The site and the API the HTTP checks call, as the availability probe sees them."""
    return ProbeTarget(site_url, origin_of(site_url), api_url)


def check_site(session: requests.Session, target: ProbeTarget) -> Result:
    name = f"site answers 200 with its security headers, CSP allowing the API, its page naming it ({target.site_url})"
    try:
        response = session.get(target.site_url, timeout=HTTP_TIMEOUT_SECONDS)
    except requests.RequestException as error:
        return _verdict(name, (f"cannot reach the site at {target.site_url}: {_reason(error)}",), HTTP_FIX)
    problems = []
    if response.status_code != 200:
        problems.append(f"answered {response.status_code}, expected 200")
    problems += security_header_problems(
        response.headers, api_origin=target.api_origin, https=urlsplit(response.url).scheme == "https"
    )
    if response.status_code == 200:
        problems += page_api_problems(response.text, target)
    return _verdict(name, problems, HTTP_FIX)


class _ApiAddresses(HTMLParser):
    """The content of each <meta name=API_META_NAME> in a page (frontend/templates/index.html)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "meta" and named.get("name") == API_META_NAME:
            self.found.append(named.get("content") or "")


def page_api_problems(page: str, target: ProbeTarget) -> list[str]:
    """What is wrong with the API address the page's visit counter calls (empty: it names the API under test)."""
    parser = _ApiAddresses()
    parser.feed(page)
    addresses = [address for address in parser.found if address.strip()]
    if len(addresses) != 1:
        found = len(addresses)
        return [f'the page names no API: expected one <meta name="{API_META_NAME}"> with a URL, found {found}']
    # counter.js strips a trailing slash (frontend/static/counter.js); the ApiUrl output of HTTP APIs ends in one
    named, expected = addresses[0], target.api_url.rstrip("/")
    if named.rstrip("/") != expected:
        return [f"the page calls the API at {named!r}, expected {expected!r}: another API"]
    return []


def _is_figures(response: requests.Response) -> bool:
    """The answer of GET /visits (docs/api/openapi.yaml, Figures): whole numbers, never negative."""
    try:
        body = response.json()
        figures = (body, body["today"])
        return all(type(f[key]) is int and f[key] >= 0 for f in figures for key in ("count", "unique_visitors"))
    except (ValueError, LookupError, TypeError):
        return False


def check_visits(session: requests.Session, target: ProbeTarget) -> Result:
    name = f"GET {catalog.VISITS_PATH} answers the count to the site's origin ({target.visits_url})"
    try:
        response = session.get(target.visits_url, headers={"Origin": target.site_origin}, timeout=HTTP_TIMEOUT_SECONDS)
    except requests.RequestException as error:
        return _verdict(name, (f"cannot reach the API at {target.visits_url}: {_reason(error)}",), HTTP_FIX)
    if response.status_code != 200:
        return _verdict(name, (f"answered {response.status_code}, expected 200: {response.text[:200]!r}",), HTTP_FIX)
    problems = []
    if not _is_figures(response):
        problems.append(
            'body is not {"count": n, "unique_visitors": n, "today": {"count": n, "unique_visitors": n}} '
            f"of whole numbers: {response.text[:200]!r}"
        )
    allowed = response.headers.get("access-control-allow-origin")
    if allowed != target.site_origin:
        problems.append(
            f"CORS does not allow the site's origin {target.site_origin}: Access-Control-Allow-Origin is {allowed!r}"
        )
    return _verdict(name, problems, HTTP_FIX)


def check_foreign_preflight(session: requests.Session, target: ProbeTarget) -> Result:
    name = f"CORS preflight for a POST from a foreign origin is refused ({FOREIGN_ORIGIN})"
    headers = {
        "Origin": FOREIGN_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    try:
        response = session.options(target.visits_url, headers=headers, timeout=HTTP_TIMEOUT_SECONDS)
    except requests.RequestException as error:
        return _verdict(name, (f"cannot reach the API at {target.visits_url}: {_reason(error)}",), HTTP_FIX)
    return _verdict(name, _foreign_origin_allowed(response), HTTP_FIX)


def check_foreign_post(session: requests.Session, target: ProbeTarget) -> Result:
    name = f"a POST from a foreign origin gets no CORS permission ({FOREIGN_ORIGIN})"
    headers = {"Origin": FOREIGN_ORIGIN, "Content-Type": "text/plain"}
    try:
        response = session.post(target.visits_url, data=NOT_A_VISIT_BODY, headers=headers, timeout=HTTP_TIMEOUT_SECONDS)
    except requests.RequestException as error:
        return _verdict(name, (f"cannot reach the API at {target.visits_url}: {_reason(error)}",), HTTP_FIX)
    problems = _foreign_origin_allowed(response)
    if response.status_code < 300 or response.status_code >= 500:
        problems.append(
            f"answered {response.status_code} to a body the counter must refuse with 400"
            + (" (a visit may have been recorded)" if response.status_code < 300 else "")
        )
    return _verdict(name, problems, HTTP_FIX)


HTTP_CHECKS: Final[Sequence[Callable[[requests.Session, ProbeTarget], Result]]] = (
    check_site,
    check_visits,
    check_foreign_preflight,
    check_foreign_post,
)


def run_http_checks(target: ProbeTarget) -> list[Result]:
    with requests.Session() as session:
        session.headers["User-Agent"] = "resume-backend-verify"
        return [check(session, target) for check in HTTP_CHECKS]


def run_until_passed(
    target: ProbeTarget,
    *,
    retry_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[Result]:
    """Runs the HTTP checks, again every few seconds while some fail, for up to `retry_seconds` (0: once).
    A fresh deployment can take a little while to answer everywhere (CDN, hosting)."""
    deadline = clock() + retry_seconds
    while True:
        results = run_http_checks(target)
        failing = sum(result.status is Status.FAIL for result in results)
        if not failing or clock() + RETRY_INTERVAL_SECONDS > deadline:
            return results
        print(f"{failing} HTTP check(s) failing; trying again in {RETRY_INTERVAL_SECONDS:g} s", file=sys.stderr)
        sleep(RETRY_INTERVAL_SECONDS)


def _foreign_origin_allowed(response: requests.Response) -> list[str]:
    allowed = response.headers.get("access-control-allow-origin")
    if allowed is not None and allowed.strip() in ("*", FOREIGN_ORIGIN):
        return [f"CORS allows a foreign origin: Access-Control-Allow-Origin is {allowed!r} for {FOREIGN_ORIGIN}"]
    return []


def _reason(error: requests.RequestException) -> str:
    # requests wraps urllib3's error in layers; the innermost one says what happened (e.g. connection refused).
    inner: BaseException = error
    while inner.__context__ is not None and inner.__context__ is not inner:
        inner = inner.__context__
    return f"{type(error).__name__}: {str(inner)[:200]}"


def verify(deployment: Deployment, clients: Clients, retry_seconds: float = 0) -> list[Result]:
    checks = list(AWS_CHECKS)
    if deployment.config.hosting == "amplify" and (deployment.config.site_domain or deployment.notifier_user):
        checks.append(check_amplify_domain)
    results = []
    for check in checks:
        if deployment.notifier_user and check in NOT_LOCAL:
            skipped = f"not checkable locally: {NOT_LOCAL[check]}"
            results.append(Result(Status.SKIP, details=(skipped,), title=_title(check)))
        else:
            results.append(_run_aws_check(check, deployment, clients))
    api_url, site_url = (deployment.outputs.get(key) for key in (catalog.API_URL_OUTPUT, catalog.SITE_URL_OUTPUT))
    if not (api_url and site_url):
        missing = f"no {catalog.API_URL_OUTPUT} or {catalog.SITE_URL_OUTPUT} output"
        return [*results, _verdict("the site and the API answer", (missing,), "cdk deploy")]
    return results + run_until_passed(target(api_url, site_url), retry_seconds=retry_seconds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.verify", description=__doc__.split("\n\n")[0])
    add_context_option(parser)
    parser.add_argument(
        "--lookup-role",
        action="store_true",
        help="read through the CDK bootstrap lookup role (CI); read-only, so the guard's no-op update is skipped",
    )
    parser.add_argument(
        "--local",
        nargs="?",
        const=Path(".local-state"),
        type=Path,
        metavar="STATE_DIR",
        help="check the running `make dev` (its state folder, default .local-state) instead of a deployed stack",
    )
    parser.add_argument(
        "--retry-seconds", type=float, default=0.0, help="retry failing HTTP checks this long (CI: a fresh deploy)"
    )
    arguments = parser.parse_args(argv)
    try:
        extra = dict(arguments.context)
        if arguments.local:
            deployment, make = read_local_deployment(arguments.local, extra)
        else:
            cdk_context = app_context(extra)
            config = load_config(cdk_context, overrides_from_context(cdk_context))
            aws = AwsClients()
            if arguments.lookup_role:
                aws = aws.through_lookup_role(config, cdk_context)
            make = partial(aws, region=config.region)
            deployment = read_deployment(config, make, read_only=arguments.lookup_role)
    except (ConfigError, ValueError, ClientError, BotoCoreError) as error:
        print(f"verify cannot start: {error}", file=sys.stderr)
        return EXIT_USAGE
    config = deployment.config
    where = f"the local system ({arguments.local})" if arguments.local else f"aws://{config.account}/{config.region}"
    print(f"verify of {config.stack_name} in {where}")
    return exit_status(report("verify", verify(deployment, make, arguments.retry_seconds)))


if __name__ == "__main__":
    sys.exit(main())
