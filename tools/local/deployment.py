"""The local system as a deployed account for `make verify ARGS=--local`: its outputs, resources, endpoints and
config, written to `<state dir>/deployment.json` once it has started (docs/local.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Final

from functions.common import catalog
from stack_model.template import LOCAL_REGION
from tools.local.emulator import LOCAL_ACCESS_KEY
from tools.local.iam import user_name
from tools.local.ses import mark_verified

if TYPE_CHECKING:
    from tools.local.system import LocalSystem

FILE_NAME: Final = "deployment.json"


def stand_in_for_deployment(system: LocalSystem) -> Path:
    """Verifies the sender identities and the alert recipients, as the owner's clicks on SES's links do, and writes
    the file verify reads."""
    notifier_environment = system.model.function(catalog.NOTIFIER_HANDLER).environment
    recipients = notifier_environment[catalog.ALERT_RECIPIENTS_ENV].split(",")
    mark_verified([*system.model.email_identities, *recipients])
    model, source = system.model, system.model.source
    outputs: dict[str, str] = {}
    for key, output in source.template.get("Outputs", {}).items():
        try:
            outputs[key] = source.resolve(output["Value"])
        except ValueError:  # an attribute only AWS knows (a domain, a URL); the two the checks need follow
            continue
    outputs[catalog.API_URL_OUTPUT] = system.api_url
    outputs[catalog.SITE_URL_OUTPUT] = system.site_origin + "/"
    resources: dict[str, list[str]] = {}
    for logical_id, resource in source.resources.items():
        resources.setdefault(resource["Type"], []).append(source.resolve({"Ref": logical_id}))
    assert system.stage_control is not None, "the system is not started"
    notifier = model.function(catalog.NOTIFIER_HANDLER).logical_id
    deployment = {
        "outputs": outputs,
        "resources": resources,
        "region": LOCAL_REGION,
        "access_key": LOCAL_ACCESS_KEY,
        "endpoints": {"aws": system.emulator.endpoint, "apigatewayv2": system.stage_control.endpoint},
        # The local notifier's rights are an IAM user's policy (tools/local/iam.py), not a role's.
        "notifier_user": user_name(notifier),
        "context": {f"config.{key}": value for key, value in system.synthesized_config.items()},
    }
    path = system.state_dir / FILE_NAME
    path.write_text(json.dumps(deployment, indent=2) + "\n")
    return path
