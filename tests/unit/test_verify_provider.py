"""Verify with a managed provider, against a local stand-in of each provider's siteverify
(offline/captcha_standin.py) and the emulator's Secrets Manager: every documented failure is a
wrong answer, and neither the token nor the secret key reaches a log line."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest

from offline.captcha_standin import running, standin_token
from offline.local_aws import aws_client
from signin.project import ROOT

SECRET = "test-secret-" + uuid.uuid4().hex
PATHS = {
    "turnstile": "/turnstile/v0/siteverify",
    "recaptcha-v2": "/recaptcha/api/siteverify",
    "recaptcha-v3": "/recaptcha/api/siteverify",
    "hcaptcha": "/siteverify",
}


@pytest.fixture(scope="module")
def standin() -> Iterator[str]:
    with running(SECRET) as url:
        yield url


@pytest.fixture(scope="module")
def secret_arn(local_aws_endpoint: str) -> str:
    secrets = aws_client("secretsmanager", local_aws_endpoint)
    return str(secrets.create_secret(Name=f"p-{uuid.uuid4().hex}", SecretString=SECRET)["ARN"])


def load_verify(monkeypatch: pytest.MonkeyPatch, provider: str, url: str, secret_arn: str) -> ModuleType:
    """A fresh copy of the verify trigger, configured as the construct configures it."""
    settings = {
        "CAPTCHA_PROVIDER": provider,
        "CAPTCHA_VERIFY_URL": url + PATHS[provider],
        "CAPTCHA_SECRET_ARN": secret_arn,
        "CAPTCHA_HOSTNAMES": "app.example.com,127.0.0.1",
        "CAPTCHA_MAX_AGE_SECONDS": "300",
        "CAPTCHA_MIN_SCORE": "0.5",
        "CAPTCHA_SITE_KEY": "this-site",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    path = ROOT / "lambdas" / "captcha_auth" / "verify_auth_challenge.py"
    spec = importlib.util.spec_from_file_location(f"verify_{provider.replace('-', '_')}_{uuid.uuid4().hex}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def request(provider: str, token: Any, *, issued_at: float | None = None, action: str | None = "sign_in") -> dict:
    private = {"provider": provider, "issuedAt": str(int(issued_at if issued_at is not None else time.time() - 1))}
    if action is not None and provider in ("turnstile", "recaptcha-v3"):
        private["action"] = action
    return {"privateChallengeParameters": private, "challengeAnswer": token, "userNotFound": False}


def token(provider: str, **claims: Any) -> str:
    base: dict[str, Any] = {"hostname": "app.example.com", "action": "sign_in", "nonce": uuid.uuid4().hex}
    if provider == "recaptcha-v3":
        base["score"] = 0.9
    return standin_token({**base, **claims})


@pytest.mark.parametrize("provider", list(PATHS))
def test_a_token_for_this_page_and_round_passes(monkeypatch, standin, secret_arn, provider: str) -> None:
    verify = load_verify(monkeypatch, provider, standin, secret_arn)
    assert verify.verify(request(provider, token(provider))) is True


def ago(seconds: int) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()


REFUSED = {
    "unsuccessful": ("turnstile", {"success": False, "error-codes": ["invalid-input-response"]}),
    "wrong-hostname": ("hcaptcha", {"hostname": "evil.example"}),
    "wrong-action-turnstile": ("turnstile", {"action": "sign_up"}),
    "wrong-action-v3": ("recaptcha-v3", {"action": "checkout"}),
    "low-score": ("recaptcha-v3", {"score": 0.3}),
    "stale": ("recaptcha-v2", {"ts": ago(400)}),
    "solved-before-the-round": ("turnstile", {"ts": ago(120)}),
    "no-timestamp": ("hcaptcha", {"ts": "yesterday"}),
    "server-error": ("turnstile", {"status": 500}),
    "not-json": ("recaptcha-v2", {"raw": "<html>oops</html>"}),
    "json-without-success": ("hcaptcha", {"raw": json.dumps({"hostname": "app.example.com"})}),
    "nan-score": ("recaptcha-v3", {"raw": "NAN_SCORE"}),
    "another-site-key": ("hcaptcha", {"sitekey": "another-site"}),
    "timeout": ("turnstile", {"delay": 3}),
}


@pytest.mark.parametrize(("provider", "claims"), REFUSED.values(), ids=REFUSED.keys())
def test_every_documented_failure_is_a_wrong_answer(
    monkeypatch, standin, secret_arn, captured_logs, provider: str, claims: dict[str, Any]
) -> None:
    verify = load_verify(monkeypatch, provider, standin, secret_arn)
    issued_at = time.time() - 60  # the round began a minute ago
    if claims.get("raw") == "NAN_SCORE":  # JSON allows NaN; a score must be a finite number
        reply = {"success": True, "hostname": "app.example.com", "action": "sign_in", "score": 0.0}
        reply["challenge_ts"] = datetime.now(UTC).isoformat()
        claims = {"raw": json.dumps(reply).replace('"score": 0.0', '"score": NaN')}
    the_token = token(provider, **claims)
    started = time.monotonic()
    assert verify.lambda_handler({"request": request(provider, the_token, issued_at=issued_at)}, None)["response"] == {
        "answerCorrect": False
    }
    assert time.monotonic() - started < 3.5  # the provider's call is cut off at 1.5 s, never retried
    logs = captured_logs()
    assert the_token not in logs and SECRET not in logs


def test_a_token_is_used_once(monkeypatch, standin, secret_arn) -> None:
    verify = load_verify(monkeypatch, "turnstile", standin, secret_arn)
    once = token("turnstile")
    assert verify.verify(request("turnstile", once)) is True
    assert verify.verify(request("turnstile", once)) is False


def test_an_oversized_token_is_refused_before_any_request(monkeypatch, standin, secret_arn) -> None:
    verify = load_verify(monkeypatch, "turnstile", standin, secret_arn)
    long_but_valid = token("turnstile", padding="x" * 2100)  # the stand-in would pass it
    assert len(long_but_valid) > 2048
    assert verify.verify(request("turnstile", long_but_valid)) is False
    assert verify.verify(request("turnstile", long_but_valid[:0])) is False


def test_the_wrong_secret_or_an_unreadable_one_fails(monkeypatch, standin, local_aws_endpoint, captured_logs) -> None:
    secrets = aws_client("secretsmanager", local_aws_endpoint)
    other = secrets.create_secret(Name=f"w-{uuid.uuid4().hex}", SecretString="wrong")
    wrong = load_verify(monkeypatch, "hcaptcha", standin, other["ARN"])
    assert wrong.verify(request("hcaptcha", token("hcaptcha"))) is False
    missing = other["ARN"].replace("w-", "missing-")
    unreadable = load_verify(monkeypatch, "hcaptcha", standin, missing)
    assert unreadable.verify(request("hcaptcha", token("hcaptcha"))) is False
    assert '"error_type":"secret"' in captured_logs().replace(" ", "")


def test_a_client_that_cant_be_made_is_an_unreadable_secret(monkeypatch, standin, secret_arn, captured_logs) -> None:
    """Without the region its client needs, the secret is unreadable: a wrong answer logged as
    such, not an internal error."""
    verify = load_verify(monkeypatch, "hcaptcha", standin, secret_arn)
    monkeypatch.delenv("AWS_REGION")
    assert verify.verify(request("hcaptcha", token("hcaptcha"))) is False
    logged = captured_logs().replace(" ", "")
    assert '"error_type":"secret"' in logged and '"internal"' not in logged


def test_a_round_of_another_provider_or_an_unknown_user_fails(monkeypatch, standin, secret_arn) -> None:
    verify = load_verify(monkeypatch, "turnstile", standin, secret_arn)
    assert verify.verify(request("hcaptcha", token("turnstile"))) is False
    assert verify.verify({**request("turnstile", token("turnstile")), "userNotFound": True}) is False


# Create, configured for each provider in turn (a fresh copy of the module each time, as a new
# Lambda container would load it), in one interpreter that never loaded the image libraries.
CREATE = """
import importlib.util, json, os, sys
answers = {}
for provider in sys.argv[1:]:
    os.environ["CAPTCHA_PROVIDER"] = provider
    spec = importlib.util.find_spec("captcha_auth.create_auth_challenge")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    event = {"request": {"challengeName": "CUSTOM_CHALLENGE", "session": [], "clientMetadata": {}}}
    answers[provider] = module.lambda_handler(event, None)["response"]
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("PIL", "captcha"))
print(json.dumps({"responses": answers, "image_libraries": loaded}))
"""


def test_create_names_the_provider_and_renders_nothing() -> None:
    env = {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "POWERTOOLS_", "MAX_CAPTCHA"))}
    env |= {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT / "lambdas")}
    env |= {"CAPTCHA_SITE_KEY": "0x4AAAAAAA-site_key", "CAPTCHA_ACTION": "sign_in"}
    command = [sys.executable, "-c", CREATE, *PATHS]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    out = json.loads(result.stdout.splitlines()[-1])
    assert out["image_libraries"] == []
    assert set(out["responses"]) == set(PATHS)
    for provider, response in out["responses"].items():
        public, private = response["publicChallengeParameters"], response["privateChallengeParameters"]
        assert public["captchaFormat"] == "provider" and public["provider"] == provider
        assert public["siteKey"] == "0x4AAAAAAA-site_key" and "captchaUrl" not in public
        assert ("action" in public) is (provider in ("turnstile", "recaptcha-v3"))
        assert private["provider"] == provider and abs(int(private["issuedAt"]) - time.time()) < 60


def test_the_builtin_captchas_verify_does_not_load_the_provider_code() -> None:
    env = {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "POWERTOOLS_"))}
    env |= {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT / "lambdas"), "CAPTCHA_PROVIDER": "builtin"}
    code = "import sys, captcha_auth.verify_auth_challenge; print('captcha_auth.providers' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
