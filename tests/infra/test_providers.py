"""Managed challenge providers in the template: the secret key's home, who may read it, and
what Create and Verify are told."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Template

import app as cdk_app
from signin.project import cdk_json_context
from stacks.captcha_auth import CaptchaAuth
from tests.support import PROVIDER_VERIFY_URLS, provider_context, resources, synth

DOCUMENTED = PROVIDER_VERIFY_URLS


def function(template: dict[str, Any], module: str) -> dict[str, Any]:
    return next(
        f["Properties"]
        for f in resources(template, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == f"captcha_auth.{module}.lambda_handler"
    )


def readers_of(template: dict[str, Any], secret_id: str) -> set[str]:
    """The handlers whose role may read this secret."""
    roles = {
        f["Properties"]["Role"]["Fn::GetAtt"][0]: f["Properties"]["Handler"].split(".")[1]
        for f in resources(template, "AWS::Lambda::Function").values()
    }
    found = set()
    for policy in resources(template, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if statement["Resource"] == {"Ref": secret_id}:
                assert statement["Action"] == "secretsmanager:GetSecretValue"
                found |= {roles[role["Ref"]] for role in policy["Properties"]["Roles"]}
    return found


@pytest.fixture(scope="module", params=list(DOCUMENTED))
def provider_template(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    return request.param, synth(**provider_context(request.param)).to_json()


def test_only_verify_may_read_the_provider_secret(provider_template: tuple[str, dict[str, Any]]) -> None:
    _, template = provider_template
    secret = function(template, "verify_auth_challenge")["Environment"]["Variables"]["CAPTCHA_SECRET_ARN"]["Ref"]
    assert readers_of(template, secret) == {"verify_auth_challenge"}


def test_no_secret_value_is_in_the_template(provider_template: tuple[str, dict[str, Any]]) -> None:
    _, template = provider_template
    for secret in resources(template, "AWS::SecretsManager::Secret").values():
        assert "GenerateSecretString" in secret["Properties"]  # made at deploy time, never written here
    assert '"SecretString"' not in json.dumps(template)


def test_create_and_verify_get_the_provider_settings(provider_template: tuple[str, dict[str, Any]]) -> None:
    provider, template = provider_template
    create = function(template, "create_auth_challenge")["Environment"]["Variables"]
    verify = function(template, "verify_auth_challenge")["Environment"]["Variables"]
    assert create["CAPTCHA_PROVIDER"] == verify["CAPTCHA_PROVIDER"] == provider
    assert create["CAPTCHA_SITE_KEY"] == "site-key_1"
    assert ("CAPTCHA_ACTION" in create) is (provider in ("turnstile", "recaptcha-v3"))
    assert verify["CAPTCHA_VERIFY_URL"] == DOCUMENTED[provider]
    assert verify["CAPTCHA_HOSTNAMES"] == "app.example.com"
    assert ("CAPTCHA_MIN_SCORE" in verify) is (provider == "recaptcha-v3")
    assert "CAPTCHA_SECRET_ARN" not in create
    assert ("CAPTCHA_SITE_KEY" in verify) is (provider == "hcaptcha")  # sent to hCaptcha's siteverify
    assert verify["ENDPOINT_URL_SUFFIX"] == {"Ref": "AWS::URLSuffix"}  # Secrets Manager's, for the key
    assert "ENDPOINT_URL_SUFFIX" not in create


def test_the_builtin_captcha_has_no_provider_secret(template_json: dict[str, Any]) -> None:
    assert len(resources(template_json, "AWS::SecretsManager::Secret")) == 1  # the failure counter's key only
    assert function(template_json, "verify_auth_challenge")["Environment"]["Variables"]["CAPTCHA_PROVIDER"] == "builtin"


def test_an_existing_secret_is_used_and_only_verify_reads_it(tmp_path) -> None:
    app = cdk.App(context={**cdk_json_context(), "aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "Existing")
    (tmp_path / "captcha_auth").mkdir()
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:turnstile-AbCdEf"
    CaptchaAuth(
        stack,
        "Auth",
        code=lambda_.Code.from_asset(str(tmp_path)),
        captcha_provider="turnstile",
        captcha_site_key="key",
        captcha_hostnames=["app.example.com"],
        captcha_secret=secretsmanager.Secret.from_secret_complete_arn(stack, "Key", arn),
    )
    template = Template.from_stack(stack).to_json()
    assert len(resources(template, "AWS::SecretsManager::Secret")) == 1  # no provider secret created
    assert function(template, "verify_auth_challenge")["Environment"]["Variables"]["CAPTCHA_SECRET_ARN"] == arn


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"captchaProvider": "recaptcha"}, "captchaProvider='recaptcha' is not allowed: captchaProvider takes builtin"),
        ({"captchaProvider": "turnstile", "captchaHostnames": "a.example"}, "needs captchaSiteKey"),
        ({"captchaProvider": "hcaptcha", "captchaSiteKey": "k"}, "needs captchaHostnames"),
    ],
    ids=["unknown", "no-site-key", "no-hostnames"],
)
def test_a_provider_without_what_it_needs_stops_the_synth_with_one_line(context: dict[str, str], message: str) -> None:
    with pytest.raises(cdk_app.ContextError, match=message):
        cdk_app.read_settings({"stackName": "AnyStack", **context}.get)


@pytest.mark.parametrize(
    "url", ["http://localhost:@evil.example/siteverify", "http://evil.example/siteverify", "ftp://127.0.0.1:1/x"]
)
def test_a_verify_url_that_would_send_the_secret_elsewhere_in_the_clear_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="captcha_verify_url must be https"):
        synth(captchaProvider="hcaptcha", captchaSiteKey="k", captchaHostnames="a.example", captchaVerifyUrl=url)
