"""The throttle guard's adapter: the API stage's default-route throttle through API Gateway's v2 API.

NOTE: UpdateStage (PATCH /v2/apis/{apiId}/stages/{stageName}) takes DefaultRouteSettings with
ThrottlingRateLimit (requests/s, a double) and ThrottlingBurstLimit (an integer).
https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis-apiid-stages-stagename.html
Maintenance: the reference does not say whether the other DefaultRouteSettings members are kept or reset; the
stack sets none but the throttle (infra/api.py), so either way the stage ends as the template plus the new limits.
NOTE: IAM authorizes it as `apigateway:PATCH` on the stage, `arn:aws:apigateway:<region>::/apis/<apiId>/stages/
<stageName>` (infra/guard.py grants exactly that).
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonapigatewaymanagementv2.html
"""

from __future__ import annotations

import re
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from functions.notifier.guard import GuardError, ThrottleLimits

ApiGatewayV2Client = Any
"""boto3's `apigatewayv2` client (no type stubs are installed for it)."""
_IDENTIFIERS: Final = re.compile(r"arn:aws[\w-]*:[^\s,;)]+|\b\d{12}\b")
"""ARNs and account ids in AWS's error messages (an AccessDenied names the role): the error text goes to Slack and
the webhook too, so they are left out; the code and the rest of the message say what went wrong."""


def _without_identifiers(message: str) -> str:
    return _IDENTIFIERS.sub("…", message)


class ApiGatewayStageThrottle:
    """StageThrottle of one HTTP API stage; AWS errors become GuardError at this boundary."""

    def __init__(self, client: ApiGatewayV2Client, *, api_id: str, stage_name: str) -> None:
        self._client = client
        self.api_id = api_id
        self.stage_name = stage_name

    def set_limits(self, limits: ThrottleLimits) -> None:
        try:
            self._client.update_stage(
                ApiId=self.api_id,
                StageName=self.stage_name,
                DefaultRouteSettings={
                    "ThrottlingRateLimit": float(limits.rate_per_second),
                    "ThrottlingBurstLimit": int(limits.burst_requests),
                },
            )
        except ClientError as error:
            details = error.response.get("Error", {})
            code, message = details.get("Code", "unknown"), _without_identifiers(details.get("Message", ""))
            raise GuardError(
                f"UpdateStage of stage {self.stage_name} of API {self.api_id} refused: {code}: {message}"
            ) from error
        except BotoCoreError as error:  # no answer, a timeout, a refused connection
            raise GuardError(f"UpdateStage of stage {self.stage_name} of API {self.api_id} failed: {error}") from error

    def limits(self) -> ThrottleLimits:
        """The stage's current default-route throttle (GetStage): for the drill and the tests."""
        try:
            stage = self._client.get_stage(ApiId=self.api_id, StageName=self.stage_name)
        except (ClientError, BotoCoreError) as error:
            raise GuardError(f"GetStage of stage {self.stage_name} of API {self.api_id} failed: {error}") from error
        settings = stage.get("DefaultRouteSettings", {})
        return ThrottleLimits(float(settings["ThrottlingRateLimit"]), int(settings["ThrottlingBurstLimit"]))
