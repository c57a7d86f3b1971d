"""The deployable stack: composes CaptchaAuth and declares the outputs clients need."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, CfnOutput, RemovalPolicy, Stack
from constructs import Construct

from stacks.bundling import AWS_LAMBDA_TARGET, LambdaTarget
from stacks.captcha_auth import DEFAULT_MAX_CAPTCHA_ATTEMPTS, CaptchaAuth


class CaptchaSignInStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        sandbox: bool = False,
        threat_protection: bool = False,
        self_sign_up_enabled: bool = False,
        max_captcha_attempts: int = DEFAULT_MAX_CAPTCHA_ATTEMPTS,
        lambda_target: LambdaTarget = AWS_LAMBDA_TARGET,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.auth = CaptchaAuth(
            self,
            "CaptchaAuth",
            # A sandbox deployment is throw-away: `cdk destroy` removes the pool and its users.
            removal_policy=RemovalPolicy.DESTROY if sandbox else RemovalPolicy.RETAIN,
            threat_protection=threat_protection,
            self_sign_up_enabled=self_sign_up_enabled,
            max_captcha_attempts=max_captcha_attempts,
            lambda_target=lambda_target,
        )
        CfnOutput(self, "UserPoolId", value=self.auth.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=self.auth.user_pool_client.user_pool_client_id)
        CfnOutput(self, "Region", value=Aws.REGION)
