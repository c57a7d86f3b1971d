"""Context: every key read in app.py, every bad value refused with one clear line."""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

import app as cdk_app
from signin.project import ROOT, cdk_json_context
from stacks.captcha_auth import trigger_code
from tests.e2e.stacks_app import variant_settings

GOOD = {"stackName": "AnyStack"}

BAD = {
    "sandbox-yes": ("sandbox", "yes", "sandbox takes true | false"),
    "sandbox-True": ("sandbox", "True", "sandbox takes true | false"),
    "threat-1": ("threatProtection", "1", "threatProtection takes true | false"),
    "self-sign-up-on": ("selfSignUp", "on", "selfSignUp takes true | false"),
    "target-bogus": ("target", "bogus", "target takes aws | local"),
    "attempts-zero": ("maxCaptchaAttempts", "0", "maxCaptchaAttempts takes a whole number from 1 to 10"),
    "attempts-eleven": ("maxCaptchaAttempts", "11", "maxCaptchaAttempts takes a whole number from 1 to 10"),
    "attempts-word": ("maxCaptchaAttempts", "three", "maxCaptchaAttempts takes a whole number from 1 to 10"),
    "attempts-float": ("maxCaptchaAttempts", 2.5, "maxCaptchaAttempts takes a whole number from 1 to 10"),
    "stack-name": ("stackName", "my stack", "stackName takes a CloudFormation stack name"),
}


def settings(**context: Any) -> cdk_app.Settings:
    return cdk_app.read_settings({**GOOD, **context}.get)


@pytest.mark.parametrize(("key", "value", "allowed"), BAD.values(), ids=BAD.keys())
def test_each_bad_value_is_refused_naming_the_key_and_the_allowed_values(key: str, value: Any, allowed: str) -> None:
    with pytest.raises(cdk_app.ContextError) as refused:
        settings(**{key: value})
    assert str(refused.value) == f"context {key}={value!r} is not allowed: {allowed}"


def test_booleans_take_exactly_true_and_false_from_the_cli_or_cdk_json() -> None:
    assert settings(sandbox="true", threatProtection=True, selfSignUp="false").sandbox is True
    assert settings(threatProtection=True).threat_protection is True
    assert settings(selfSignUp=False).self_sign_up is False
    assert settings().sandbox is False


def test_max_captcha_attempts_can_be_set_from_context() -> None:
    assert settings(maxCaptchaAttempts="7").max_captcha_attempts == 7
    assert settings(maxCaptchaAttempts=7).max_captcha_attempts == 7
    assert settings().max_captcha_attempts is None  # the construct's default


def test_the_stack_name_comes_from_cdk_json() -> None:
    assert cdk_app.read_settings(cdk_json_context().get).stack_name == cdk_json_context()["stackName"]


def run_app(context: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """What `cdk synth -c key=value` runs: `python3 app.py` with the context in CDK_CONTEXT_JSON."""
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    return subprocess.run(
        [sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def main_in_process(
    context: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """app.main() as `python3 app.py` calls it, in this process (its jsii is already running).
    The CDK CLI hands the context over in CDK_CONTEXT_JSON, which jsii's Node.js process read
    when it started, so the App is given it here."""
    monkeypatch.setattr(cdk, "App", functools.partial(cdk.App, context=context))
    code = cdk_app.main()
    return code, capsys.readouterr().err


def test_the_app_exits_with_one_line_and_no_traceback() -> None:
    """The whole process once: nothing but the one line reaches the terminal."""
    result = run_app({**cdk_json_context(), "sandbox": "bogus"})
    assert result.returncode == 2
    assert result.stderr.strip() == "error: context sandbox='bogus' is not allowed: sandbox takes true | false"


@pytest.mark.parametrize("key", ["sandbox", "target"])
def test_a_refused_value_ends_main_with_one_line(
    key: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = main_in_process({**cdk_json_context(), key: "bogus"}, monkeypatch, capsys)
    assert code == 2
    assert err == f"error: context {key}='bogus' is not allowed: {key} takes {cdk_app.CONTEXT[key][1]}\n"


@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("maxCaptchaAttemps", "maxCaptchaAttempts"),
        ("stackname", "stackName"),
        ("lockoutSecond", "lockoutSeconds"),
        ("wav", "waf"),
        ("tagret", "target"),
    ],
)
def test_a_misspelled_key_ends_main_in_one_line_naming_the_key_meant(
    key: str, meant: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`cdk synth -c maxCaptchaAttemps=5` synthesized with the default of 3, exit code 0."""
    code, err = main_in_process({**cdk_json_context(), key: "5"}, monkeypatch, capsys)
    assert code == 2
    assert err == f"error: context {key} is not a key this app reads: did you mean {meant}?\n"


def test_other_keys_are_left_alone() -> None:
    """The CDK's own (the CLI adds some at synth) and any a fork reads itself."""
    cdk_app.check_keys([*cdk_json_context(), "aws:cdk:bundling-stacks", "cli-telemetry", "myTeamsOwnSetting"])
    # A fork's own keys beside ours: one that extends ours, or differs by more than a slip.
    cdk_app.check_keys(["lockoutWindowSeconds", "lockoutMaxSeconds", "captchaSecretKey", "targetEnv", "wafLogging"])
    cdk_app.check_keys(["threatProtectionMode", "web", "sandboxes"])


@pytest.mark.parametrize(
    ("a", "b", "distance"), [("", "abc", 3), ("kitten", "sitting", 3), ("waf", "wav", 1), ("same", "same", 0)]
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert cdk_app.edit_distance(a, b) == distance == cdk_app.edit_distance(b, a)


def test_a_value_the_construct_refuses_also_ends_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What `cdk synth -c captchaVerifyUrl=...` prints for a URL that would send the secret away."""
    context = {**cdk_json_context(), "captchaProvider": "hcaptcha", "captchaSiteKey": "k"}
    context |= {"captchaHostnames": "a.example", "captchaVerifyUrl": "http://localhost:@evil.example/"}
    code, err = main_in_process(context, monkeypatch, capsys)
    assert code == 2
    assert err == "error: captcha_verify_url must be https (or http on this machine's loopback address)\n"


def test_no_uv_ends_main_in_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Before anything is bundled: the bundler looks for uv when the construct is built."""
    monkeypatch.setitem(sys.modules, "uv", None)  # as if not installed: importing it fails
    code, err = main_in_process(cdk_json_context(), monkeypatch, capsys)
    assert code == 2
    assert err == "error: the trigger code is bundled with uv: `pip install uv` (requirements.txt pins it)\n"


def test_a_bundle_that_fails_ends_main_in_one_line_after_uvs_own_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """uv offline with an empty cache: its message, then ours, and no traceback (CDK's asset
    staging hands the failure on only as text: app.py asks the bundler what happened)."""
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(
        cdk, "App", functools.partial(cdk.App, context=cdk_json_context(), outdir=str(tmp_path / "out"))
    )
    assert cdk_app.main() == 1
    err = capfd.readouterr().err
    assert "network was disabled" in err and "Traceback" not in err  # uv's own words first
    assert err.splitlines()[-1] == (
        "error: the trigger code could not be bundled: uv could not install the trigger code's locked "
        "dependencies (exit 1, its message above): check the registry or mirror you use, and requirements.lock"
    )


def test_another_runtime_error_is_not_taken_for_a_bundling_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    """An earlier failed bundle in the same process doesn't turn a later, unrelated error into one."""
    monkeypatch.setattr(trigger_code, "_failures", ["an earlier bundle's failure"])

    def broken(app: cdk.App) -> None:
        raise RuntimeError("something else")

    monkeypatch.setattr(cdk_app, "build_app", broken)
    with pytest.raises(RuntimeError, match="something else"):
        cdk_app.main()


def test_every_context_key_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Context", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE))
    assert documented == set(cdk_app.CONTEXT)


def test_the_local_target_is_refused_for_a_real_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", "123456789012")
    with pytest.raises(cdk_app.ContextError, match="for the local emulator"):
        settings(target="local")
    monkeypatch.setenv("CDK_DEFAULT_ACCOUNT", "000000000000")
    assert settings(target="local").target == "local"


SHARED = {"stackName": "FromCdkJson", "lockoutSeconds": "300"}


def test_the_end_to_end_app_builds_each_variant_from_its_keys_over_the_shared_ones() -> None:
    raw = json.dumps({"Main": {}, "Lockout": {"lockoutSeconds": "4"}})
    expected = {"Main": ("Main", 300), "Lockout": ("Lockout", 4)}
    for given in (raw, json.loads(raw)):  # `-c stacks=...` gives text; cdk.json an object
        built = variant_settings(given, SHARED.get)
        assert {name: (s.stack_name, s.lockout_seconds) for name, s in built.items()} == expected


@pytest.mark.parametrize(
    ("raw", "refusal"),
    [
        ("not json", "Expecting value"),
        ("[]", "context stacks takes JSON: each stack's name and the context keys it sets"),
        ("{}", "context stacks takes JSON: each stack's name and the context keys it sets"),
        ('{"Main": ["waf"]}', "stack Main: its context keys take a JSON object"),
        ('{"Main": {"lockoutSecs": "4"}}', "stack Main: unknown context keys ['lockoutSecs']"),
        ('{"Main": {"waf": "yes"}}', "context waf='yes' is not allowed: waf takes true | false"),
    ],
    ids=["not-json", "a-list", "empty", "keys-not-an-object", "misspelt-key", "refused-value"],
)
def test_the_end_to_end_app_refuses_a_bad_variant_in_one_line(raw: str, refusal: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(refusal)):
        variant_settings(raw, SHARED.get)
