"""The deployable stack: composes CaptchaAuth and declares the outputs clients need."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Aws, CfnOutput, RemovalPolicy, Stack
from constructs import Construct

from stacks.captcha_auth import CaptchaAuth


class CaptchaSignInStack(Stack):
    """`auth` is passed to CaptchaAuth as its props (see its docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        sandbox: bool = False,
        auth: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.auth = CaptchaAuth(
            self,
            "CaptchaAuth",
            # A sandbox deployment is throw-away: `cdk destroy` removes the pool and its users.
            removal_policy=RemovalPolicy.DESTROY if sandbox else RemovalPolicy.RETAIN,
            **(auth or {}),
        )
        # What the clients (sign-in CLI, web page) read from the deployment: nothing of this is
        # secret, and nothing here is a second copy of a setting.
        CfnOutput(self, "UserPoolId", value=self.auth.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=self.auth.user_pool_client.user_pool_client_id)
        CfnOutput(self, "Region", value=Aws.REGION)
        CfnOutput(
            self,
            "AuthSessionValidityMinutes",
            value=str(int(self.auth.auth_session_validity.to_minutes())),
            description="How long one sign-in (password, then CAPTCHA) may take",
        )
