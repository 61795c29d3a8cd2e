"""Reads a synthesized CloudFormation template as the local system names things: every resource is named by its
logical id, and references (Ref, Fn::GetAtt, Fn::Join, pseudo parameters) resolve to those local names."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

LOCAL_ACCOUNT_ID: Final = "123456789012"
LOCAL_REGION: Final = "us-east-1"

_PSEUDO: Final = {
    "AWS::Region": LOCAL_REGION,
    "AWS::AccountId": LOCAL_ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "local",
}
_ARN_PREFIXES: Final = {
    "AWS::Lambda::Function": "function:",
    "AWS::Logs::LogGroup": "log-group:",
    "AWS::DynamoDB::GlobalTable": "table/",
    "AWS::DynamoDB::Table": "table/",
}


class LocalTemplate:
    """The raw template and its reference resolution; the typed reads (stack.py) are built on it."""

    def __init__(self, template: Mapping[str, Any], sqs_endpoint: str = "") -> None:
        self.template = template
        self.resources: Mapping[str, Any] = template["Resources"]
        self._sqs_endpoint = sqs_endpoint

    def of_type(self, *resource_types: str) -> dict[str, Any]:
        return {lid: r for lid, r in self.resources.items() if r["Type"] in resource_types}

    def each(self, *resource_types: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """(logical id, properties) of each resource of these types, in template order."""
        for logical_id in self.of_type(*resource_types):
            yield logical_id, self.properties(logical_id)

    def properties(self, logical_id: str) -> Mapping[str, Any]:
        properties: Mapping[str, Any] = self.resources[logical_id].get("Properties", {})
        return properties

    def arn(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        if kind == "AWS::CloudWatch::Alarm":
            name = self.resolve(self.properties(logical_id).get("AlarmName", logical_id))
            return f"arn:aws:cloudwatch:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:alarm:{name}"
        service = kind.split("::")[1].lower()
        return f"arn:aws:{service}:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:{_ARN_PREFIXES.get(kind, '')}{logical_id}"

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


def referenced(value: Any) -> str | None:
    """The logical id a `Ref` or `Fn::GetAtt` points at, else None."""
    if isinstance(value, dict) and isinstance(value.get("Ref"), str):
        return str(value["Ref"])
    if isinstance(value, dict) and isinstance(value.get("Fn::GetAtt"), list):
        return str(value["Fn::GetAtt"][0])
    return None
