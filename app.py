#!/usr/bin/env python3
"""CDK entry point: the only place that reads context and environment.

Context values (cdk.json or `-c key=value`):
  stackName         stack name (default CaptchaSignIn)
  sandbox           true: throw-away deployment, `cdk destroy` deletes the pool and its users
  threatProtection  true: Plus feature plan with threat protection (billed per active user)
  selfSignUp        true: anyone may create an account
  target            aws (default) | local: bundle the triggers' wheels for the local emulator
                    (`make demo`), which runs handlers on this machine's Python; the template
                    is otherwise identical
"""

from __future__ import annotations

import os

import aws_cdk as cdk

from stacks.bundling import AWS_LAMBDA_TARGET, local_emulator_target
from stacks.captcha_sign_in_stack import CaptchaSignInStack
from stacks.nag import apply_nag


def _flag(app: cdk.App, key: str) -> bool:
    return str(app.node.try_get_context(key)).lower() == "true"


def build_app(app: cdk.App) -> CaptchaSignInStack:
    threat_protection = _flag(app, "threatProtection")
    target = app.node.try_get_context("target") or "aws"
    if target not in ("aws", "local"):
        raise ValueError("context target must be aws or local")
    stack = CaptchaSignInStack(
        app,
        app.node.try_get_context("stackName") or "CaptchaSignIn",
        sandbox=_flag(app, "sandbox"),
        threat_protection=threat_protection,
        self_sign_up_enabled=_flag(app, "selfSignUp"),
        lambda_target=local_emulator_target() if target == "local" else AWS_LAMBDA_TARGET,
        env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")),
        description="Cognito sign-in: password (SRP) first, then a CAPTCHA (custom auth triggers)",
    )
    apply_nag(app, stack, threat_protection=threat_protection)
    return stack


if __name__ == "__main__":
    application = cdk.App()
    build_app(application)
    application.synth()
