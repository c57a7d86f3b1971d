"""The construct used as a forker would: in their own app and stack, with a different attempt
limit, their own code asset and one overridden pool setting. It keeps every security invariant,
and an override of a protected setting raises."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from signin.project import cdk_json_context
from stacks.captcha_auth import CaptchaAuth, ProtectedSettingError
from stacks.captcha_auth.nag import CHOSEN_RUNTIME
from tests.support import resources, security_invariants


def forker_stack(tmp_path: Path, **props: Any) -> tuple[cdk.Stack, CaptchaAuth]:
    app = cdk.App(context={**cdk_json_context(), "aws:cdk:bundling-stacks": []})
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    stack = cdk.Stack(app, "ForkerAuth")
    code = tmp_path / "code"
    (code / "captcha_auth").mkdir(parents=True, exist_ok=True)
    (code / "captcha_auth" / "__init__.py").write_text("")
    auth = CaptchaAuth(stack, "Auth", code=lambda_.Code.from_asset(str(code)), **props)
    return stack, auth


@pytest.fixture(scope="module")
def forker_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    stack, _ = forker_stack(
        tmp_path_factory.mktemp("forker"),
        max_captcha_attempts=5,
        user_pool_overrides={"user_invitation": cognito.UserInvitationConfig(email_subject="Welcome to Forker")},
    )
    return Template.from_stack(stack).to_json()


def test_forker_app_keeps_every_security_invariant(forker_template: dict[str, Any]) -> None:
    assert security_invariants(forker_template) == []


def test_forker_settings_reach_the_template(forker_template: dict[str, Any]) -> None:
    (pool,) = resources(forker_template, "AWS::Cognito::UserPool").values()
    assert pool["Properties"]["AdminCreateUserConfig"]["InviteMessageTemplate"]["EmailSubject"] == "Welcome to Forker"
    assert pool["Properties"]["Policies"]["PasswordPolicy"]["MinimumLength"] == 12  # the rest stays as shipped
    attempts = {
        f["Properties"]["Handler"]: f["Properties"]
        .get("Environment", {})
        .get("Variables", {})
        .get("MAX_CAPTCHA_ATTEMPTS")
        for f in resources(forker_template, "AWS::Lambda::Function").values()
    }
    assert attempts["captcha_auth.define_auth_challenge.lambda_handler"] == "5"
    assert attempts["captcha_auth.create_auth_challenge.lambda_handler"] == "5"


def test_forker_code_asset_is_used(forker_template: dict[str, Any], template_json: dict[str, Any]) -> None:
    keys = {f["Properties"]["Code"]["S3Key"] for f in resources(forker_template, "AWS::Lambda::Function").values()}
    shipped = {f["Properties"]["Code"]["S3Key"] for f in resources(template_json, "AWS::Lambda::Function").values()}
    assert len(keys) == 1  # one asset, shared by the four triggers
    assert keys.isdisjoint(shipped)  # the forker's own folder, not the bundled lambdas/


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"client_overrides": {"auth_flows": cognito.AuthFlow(user_password=True, custom=True)}}, "auth_flows"),
        ({"client_overrides": {"generate_secret": True}}, "generate_secret"),
        ({"client_overrides": {"disable_o_auth": False}}, "disable_o_auth"),
        ({"client_overrides": {"o_auth": cognito.OAuthSettings()}}, "o_auth"),
        ({"client_overrides": {"prevent_user_existence_errors": False}}, "prevent_user_existence_errors"),
        ({"user_pool_overrides": {"lambda_triggers": cognito.UserPoolTriggers()}}, "lambda_triggers"),
    ],
    ids=["auth-flows", "secret", "oauth-on", "oauth-settings", "existence-errors", "triggers"],
)
def test_overriding_a_protected_setting_raises(tmp_path: Path, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ProtectedSettingError, match=rf"'{message}' can't be overridden: \w"):
        forker_stack(tmp_path, **overrides)


@pytest.mark.parametrize(
    ("overrides", "prop"),
    [
        ({"client_overrides": {"auth_session_validity": cdk.Duration.minutes(15)}}, "auth_session_validity"),
        ({"client_overrides": {"refresh_token_validity": cdk.Duration.days(1)}}, "refresh_token_validity"),
        ({"user_pool_overrides": {"deletion_protection": False}}, "removal_policy"),
        ({"user_pool_overrides": {"feature_plan": cognito.FeaturePlan.PLUS}}, "threat_protection"),
    ],
    ids=["session", "refresh-token", "deletion-protection", "feature-plan"],
)
def test_a_setting_with_its_own_prop_is_refused_as_an_override(
    tmp_path: Path, overrides: dict[str, Any], prop: str
) -> None:
    with pytest.raises(ProtectedSettingError, match=f"with the construct's prop '{prop}'"):
        forker_stack(tmp_path, **overrides)


def test_an_unknown_override_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'passwordPolicy' is not a user pool setting"):
        forker_stack(tmp_path, user_pool_overrides={"passwordPolicy": {}})


def test_a_second_client_that_could_skip_the_captcha_stops_the_synth(tmp_path: Path) -> None:
    stack, auth = forker_stack(tmp_path)
    auth.user_pool.add_client("PasswordClient", auth_flows=cognito.AuthFlow(user_password=True))
    with pytest.raises(RuntimeError, match="PasswordClient/Resource: auth flows must be exactly"):
        Template.from_stack(stack)


@pytest.mark.parametrize("value", [0, 11, True, 3.5, "3"], ids=["zero", "eleven", "bool", "float", "string"])
def test_attempt_limit_prop_is_validated(tmp_path: Path, value: Any) -> None:
    with pytest.raises(ValueError, match="max_captcha_attempts must be a whole number from 1 to 10"):
        forker_stack(tmp_path, max_captcha_attempts=value)


@pytest.mark.parametrize(
    ("runtime", "why"),
    [
        (lambda_.Runtime.PYTHON_3_11, "older Python runtimes run on Amazon Linux 2 or older, whose glibc is too old"),
        (lambda_.Runtime.PYTHON_3_10, "older Python runtimes run on Amazon Linux 2 or older, whose glibc is too old"),
        (lambda_.Runtime.NODEJS_22_X, "the triggers are Python"),
        # A stand-in: a new lambda_.Runtime joins Runtime.ALL for the whole jsii process, and
        # cdk-nag's L1 would then take it as the newest Python in every later template.
        (SimpleNamespace(name="python3.15", family=lambda_.RuntimeFamily.PYTHON), "a newer runtime is taken once"),
    ],
    ids=["3.11", "3.10", "node", "3.15"],
)
def test_a_runtime_the_triggers_cant_run_on_is_refused(tmp_path: Path, runtime: Any, why: str) -> None:
    """python3.11 runs on Amazon Linux 2, whose glibc the locked Pillow's wheels don't load on."""
    with pytest.raises(ValueError, match=rf"^runtime must be one of python3\.12, python3\.13, python3\.14: {why}"):
        forker_stack(tmp_path, runtime=runtime)


def acknowledged_l1(stack: cdk.Stack) -> dict[str, str]:
    """Each construct path that acknowledges cdk-nag's AwsSolutions-L1, with the reason given."""
    return {
        construct.node.path: entry.data["Annotation::AwsSolutions-L1"]
        for construct in stack.node.find_all()
        for entry in construct.node.metadata
        if entry.type == "aws:cdk:acknowledged-rules" and "Annotation::AwsSolutions-L1" in entry.data
    }


@pytest.mark.parametrize("runtime", ["PYTHON_3_12", "PYTHON_3_14"], ids=["chosen", "default"])
def test_an_amazon_linux_2023_python_runtime_is_taken(tmp_path: Path, runtime: str) -> None:
    """Past cdk-nag too: a runtime chosen over the newest (to match the synth's Python, for
    byte-code) is acknowledged for AwsSolutions-L1 on the four triggers alone, with its reason.
    (python3.13 takes the same path as 3.12.)"""
    stack, _ = forker_stack(tmp_path, runtime=getattr(lambda_.Runtime, runtime))
    functions = resources(Template.from_stack(stack).to_json(), "AWS::Lambda::Function").values()
    triggers = [f for f in functions if "captcha_auth" in str(f["Properties"].get("Handler", ""))]
    assert len(triggers) == 4
    assert {f["Properties"]["Runtime"] for f in triggers} == {getattr(lambda_.Runtime, runtime).name}
    chosen = runtime != "PYTHON_3_14"  # the default
    names = ("DefineAuthChallenge", "CreateAuthChallenge", "VerifyAuthChallenge", "PostAuthentication")
    expected = {f"ForkerAuth/Auth/{name}": CHOSEN_RUNTIME for name in names} if chosen else {}
    assert acknowledged_l1(stack) == expected


def test_another_function_on_an_older_runtime_still_fails_the_newest_runtime_rule(tmp_path: Path) -> None:
    stack, _ = forker_stack(tmp_path, runtime=lambda_.Runtime.PYTHON_3_12)
    lambda_.Function(
        stack,
        "Other",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
    )
    with pytest.raises(RuntimeError) as failed:
        Template.from_stack(stack)
    report = str(failed.value)
    assert "AwsSolutions-L1" in report and "ForkerAuth/Other/Resource" in report, report
    assert "ForkerAuth/Auth/" not in report, report  # the triggers' own acknowledgement holds


def test_alarms_notify_the_topic_a_forker_gives(tmp_path: Path) -> None:
    from aws_cdk import aws_sns as sns

    app_stack = cdk.Stack(cdk.App(context={**cdk_json_context(), "aws:cdk:bundling-stacks": []}), "Topic")
    topic = sns.Topic(app_stack, "Alarms", enforce_ssl=True)
    code = tmp_path / "code"
    (code / "captcha_auth").mkdir(parents=True)
    CaptchaAuth(app_stack, "Auth", code=lambda_.Code.from_asset(str(code)), alarm_topic=topic)
    template = Template.from_stack(app_stack).to_json()
    (topic_id,) = resources(template, "AWS::SNS::Topic")
    alarms = resources(template, "AWS::CloudWatch::Alarm").values()
    assert len(alarms) == 4
    assert all(alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}] for alarm in alarms)
