"""Real-shaped Lambda inputs, for the local runtime and the tests alike: HTTP API payload v2 and SNS events, a context.
Shapes: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from stack_model.template import LOCAL_ACCOUNT_ID, LOCAL_REGION

_TEXT_TYPES: Final = ("application/json", "text/", "application/x-www-form-urlencoded")


def http_api_event(
    method: str,
    path: str,
    *,
    body: bytes | str | None = None,
    headers: Mapping[str, str] | None = None,
    query: str = "",
    source_ip: str = "127.0.0.1",
    request_id: str | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event as Lambda receives it."""
    # API Gateway lower-cases header names and joins repeated ones with commas.
    lowered = {name.lower(): value for name, value in (headers or {}).items()}
    at = datetime.now(UTC)
    api_id = "local"
    request_id = request_id or base64.urlsafe_b64encode(uuid.uuid4().bytes)[:16].decode()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": lowered,
        "requestContext": {
            "accountId": LOCAL_ACCOUNT_ID,
            "apiId": api_id,
            "domainName": lowered.get("host", f"{api_id}.execute-api.{LOCAL_REGION}.amazonaws.com"),
            "domainPrefix": api_id,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": at.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(at.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(part.partition("=")[::2] for part in query.split("&") if part)
    if lowered.get("cookie"):
        event["cookies"] = [c.strip() for c in lowered["cookie"].split(";")]
    if body is not None:
        event["body"], event["isBase64Encoded"] = _encode_body(body, lowered.get("content-type", ""))
    return event


def _encode_body(body: bytes | str, content_type: str) -> tuple[str, bool]:
    # API Gateway passes text bodies as they are and base64-encodes everything else.
    if isinstance(body, str):
        return body, False
    if content_type.startswith(_TEXT_TYPES):
        try:
            return body.decode(), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode(), True


@dataclass
class LocalLambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 256
    timeout_seconds: float = 5.0
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


def sns_event(
    topic_arn: str, message: str, *, subject: str | None = None, message_id: str | None = None
) -> dict[str, Any]:
    """An SNS notification event as a subscribed Lambda receives it."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id or str(uuid.uuid4()),
                    "TopicArn": topic_arn,
                    "Subject": subject,
                    "Message": message,
                    "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                    "SignatureVersion": "1",
                    "Signature": "local",
                    "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/local.pem",
                    "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
                    "MessageAttributes": {},
                },
            }
        ]
    }
