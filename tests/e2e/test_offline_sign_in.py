"""End to end: the real CDK CLI deploys to a local emulator, and the sign-in CLI's own code
signs in with real SRP and a CAPTCHA rendered by the deployed trigger.

Where the emulator differs from AWS (see the toolchain notes) the assertions hold on both: a
wrong answer ends in refusal either way (AWS after three rounds, the emulator after one).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import wave

import jwt
import pytest
from PIL import Image

from signin.flow import MESSAGES, Captcha, ExitCode, SignInError, sign_in
from signin.project import ROOT
from tests.e2e.deployment import STACK, Deployment

pytestmark = pytest.mark.e2e


def run_sign_in(deployment: Deployment, *, password: str | None = None, solve=None, metadata=None):
    seen: list[Captcha] = []

    def human(captcha: Captcha) -> str:
        seen.append(captcha)
        return deployment.pending_answer()

    tokens = sign_in(
        deployment.client("cognito-idp"),
        pool_id=deployment.pool_id,
        client_id=deployment.client_id,
        username=deployment.email,
        password=deployment.password if password is None else password,
        solve=solve or human,
        client_metadata=metadata,
    )
    return tokens, seen


def test_correct_answer_signs_in_and_tokens_verify_against_the_jwks(deployment: Deployment) -> None:
    tokens, seen = run_sign_in(deployment, metadata={"captchaFormat": "image"})
    (captcha,) = seen
    assert captcha.format == "image" and captcha.media_type == "image/png"
    assert Image.open(io.BytesIO(captcha.data)).format == "PNG"
    assert (captcha.attempt, captcha.max_attempts) == (1, 3)

    jwks = jwt.PyJWKClient(f"{deployment.emulator.endpoint}/{deployment.pool_id}/.well-known/jwks.json")
    key = jwks.get_signing_key_from_jwt(tokens.id_token)
    claims = jwt.decode(tokens.id_token, key.key, algorithms=["RS256"], audience=deployment.client_id)
    assert claims["email"] == deployment.email
    assert claims["iss"].endswith(deployment.pool_id)
    with pytest.raises(jwt.InvalidSignatureError):
        forged = tokens.id_token[:-4] + ("AAAA" if not tokens.id_token.endswith("AAAA") else "BBBB")
        jwt.decode(forged, key.key, algorithms=["RS256"], audience=deployment.client_id)


def test_wrong_password_is_refused_before_any_captcha(deployment: Deployment) -> None:
    asked: list[Captcha] = []
    with pytest.raises(SignInError) as refused:
        run_sign_in(deployment, password="Wrong-password-123!", solve=lambda c: asked.append(c) or "x")
    assert refused.value.code == ExitCode.WRONG_PASSWORD
    assert asked == []


def test_wrong_captcha_answer_is_refused(deployment: Deployment) -> None:
    asked: list[Captcha] = []

    def wrong(captcha: Captcha) -> str:
        asked.append(captcha)
        return "WRONG" + deployment.pending_answer()[:1]

    with pytest.raises(SignInError) as refused:
        run_sign_in(deployment, solve=wrong)
    assert refused.value.code == ExitCode.CAPTCHA_FAILED
    assert 1 <= len(asked) <= 3


def test_audio_through_client_metadata(deployment: Deployment) -> None:
    tokens, seen = run_sign_in(deployment, metadata={"captchaFormat": "audio"})
    (captcha,) = seen
    assert captcha.format == "audio" and captcha.media_type == "audio/wav"
    with wave.open(io.BytesIO(captcha.data)) as sound:
        assert sound.getnframes() > 0
    assert tokens.id_token


def test_cli_reports_a_wrong_password_in_one_line(deployment: Deployment) -> None:
    env = {**os.environ, "CAPTCHA_SIGNIN_PASSWORD": "Wrong-password-123!"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "signin",
            "--endpoint-url",
            deployment.emulator.endpoint,
            "--region",
            "us-east-1",
            "--stack-name",
            STACK,
            "--username",
            deployment.email,
        ],
        cwd=ROOT,
        env={**env, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert result.returncode == ExitCode.WRONG_PASSWORD
    assert result.stderr.strip().splitlines()[-1] == f"error: {MESSAGES['wrongPassword']}"
    assert "Traceback" not in result.stderr
