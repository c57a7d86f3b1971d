"""Helpers shared by the test modules (fixtures live in the conftest files)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from signin.project import cdk_json_context

EVENTS = Path(__file__).resolve().parent / "events"
ASSET_HASH = re.compile(r"[0-9a-f]{64}")


def synth_app(**context: Any) -> Any:
    """app.py's stack, synthesized with cdk.json's context plus `context`, bundling skipped.
    (An App() made in a test does not read cdk.json: its feature flags would differ.)"""
    import aws_cdk as cdk

    import app as cdk_app

    application = cdk.App(context={**cdk_json_context(), "aws:cdk:bundling-stacks": [], **context})
    return cdk_app.build_app(application)


def synth(**context: Any) -> Any:
    from aws_cdk.assertions import Template

    return Template.from_stack(synth_app(**context))


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of a documented trigger event (tests/events/NAME.json)."""
    return json.loads((EVENTS / f"{name}.json").read_text())


def mask_assets(template_json: dict[str, Any]) -> dict[str, Any]:
    """Replace asset hashes, so a comparison is the same on every machine and does not change
    when only a handler's code does."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: ("<asset>" if key == "S3Key" else walk(value)) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        if isinstance(node, str):
            return ASSET_HASH.sub("<asset-hash>", node)
        return node

    return walk(copy.deepcopy(template_json))


def resources(template_json: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template_json["Resources"].items() if v["Type"] == resource_type}


def security_invariants(template_json: dict[str, Any]) -> list[str]:
    """What the security model rests on, checked on a whole template; returns what is broken.
    (tests/infra/test_template.py asserts each of these on its own, for the shipped stack.)"""
    broken = []
    (pool,) = resources(template_json, "AWS::Cognito::UserPool").values()
    clients = resources(template_json, "AWS::Cognito::UserPoolClient").values()
    for client in clients:
        props = client["Properties"]
        if props.get("ExplicitAuthFlows") != ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]:
            broken.append("auth flows")
        if props.get("GenerateSecret") is not False:
            broken.append("client secret")
        if props.get("AllowedOAuthFlowsUserPoolClient") is not False or "AllowedOAuthFlows" in props:
            broken.append("oauth")
        if props.get("PreventUserExistenceErrors") != "ENABLED":
            broken.append("user existence errors")
    config = pool["Properties"].get("LambdaConfig", {})
    functions = resources(template_json, "AWS::Lambda::Function")
    handlers = {key: functions[value["Fn::GetAtt"][0]]["Properties"]["Handler"] for key, value in config.items()}
    if handlers != {
        "DefineAuthChallenge": "captcha_auth.define_auth_challenge.lambda_handler",
        "CreateAuthChallenge": "captcha_auth.create_auth_challenge.lambda_handler",
        "VerifyAuthChallengeResponse": "captcha_auth.verify_auth_challenge.lambda_handler",
        "PostAuthentication": "captcha_auth.post_authentication.lambda_handler",
    }:
        broken.append("triggers")
    if not clients:
        broken.append("no client")
    return broken
