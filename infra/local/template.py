"""Reads the synthesized CloudFormation template for the local system: every local resource is named by its
logical id, and references (Ref, Fn::GetAtt, Fn::Join, pseudo parameters) resolve to those local names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from infra.local.lambda_events import LOCAL_ACCOUNT_ID, LOCAL_REGION

_PSEUDO = {
    "AWS::Region": LOCAL_REGION,
    "AWS::AccountId": LOCAL_ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "local",
}


class LocalTemplate:
    def __init__(self, template: Mapping[str, Any], sqs_endpoint: str = "") -> None:
        self.template = template
        self.resources: Mapping[str, Any] = template["Resources"]
        self._sqs_endpoint = sqs_endpoint

    def of_type(self, resource_type: str) -> dict[str, Any]:
        return {lid: r for lid, r in self.resources.items() if r["Type"] == resource_type}

    def function_by_handler(self, handler: str) -> tuple[str, dict[str, Any]] | None:
        for logical_id, resource in self.of_type("AWS::Lambda::Function").items():
            if resource["Properties"].get("Handler") == handler:
                return logical_id, resource["Properties"]
        return None

    def arn(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        if kind == "AWS::CloudWatch::Alarm":
            name = self.resolve(self.resources[logical_id]["Properties"].get("AlarmName", logical_id))
            return f"arn:aws:cloudwatch:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:alarm:{name}"
        service = kind.split("::")[1].lower()
        prefix = {
            "AWS::Lambda::Function": "function:",
            "AWS::Logs::LogGroup": "log-group:",
            "AWS::DynamoDB::GlobalTable": "table/",
            "AWS::DynamoDB::Table": "table/",
        }.get(kind, "")
        return f"arn:aws:{service}:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:{prefix}{logical_id}"

    def resolve(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)):
            return str(value)
        if isinstance(value, dict) and "Ref" in value:
            ref = value["Ref"]
            if ref in _PSEUDO:
                return _PSEUDO[ref]
            kind = self.resources.get(ref, {}).get("Type")
            if kind == "AWS::SNS::Topic":
                return self.arn(ref)
            if kind == "AWS::SQS::Queue":
                return f"{self._sqs_endpoint}/{LOCAL_ACCOUNT_ID}/{ref}"
            return str(ref)
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            if attribute == "Arn" or attribute.endswith("Arn"):
                return self.arn(logical_id)
            return str(logical_id)
        if isinstance(value, dict) and "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return str(separator).join(self.resolve(part) for part in parts)
        raise ValueError(f"cannot resolve {value!r} locally")


def synthesize(outdir: Path, context: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Runs the CDK app (cdk-nag included) into `outdir` and returns the application stack's template.

    In a child process, so a long-running caller holds no jsii/Node process of its own.
    """
    env = os.environ | {"CDK_OUTDIR": str(outdir.resolve())}
    if context is not None:
        env["CDK_CONTEXT_JSON"] = json.dumps(context)
    subprocess.run([sys.executable, "-m", "infra.app"], env=env, check=True)
    manifest = json.loads((outdir / "manifest.json").read_text())
    (template_file,) = [
        artifact["properties"]["templateFile"]
        for artifact in manifest["artifacts"].values()
        if artifact["type"] == "aws:cloudformation:stack"
    ]
    template: dict[str, Any] = json.loads((outdir / template_file).read_text())
    return template
