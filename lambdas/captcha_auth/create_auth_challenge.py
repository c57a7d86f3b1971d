"""Create auth challenge trigger (CreateAuthChallenge_Authentication).

Runs when Define asks for CUSTOM_CHALLENGE. With the built-in CAPTCHA it draws a fresh answer,
renders it as an image (or as audio when the client asks with ClientMetadata
captchaFormat=audio, which reaches this trigger from RespondToAuthChallenge), and keeps the
answer in the private parameters only. With a managed provider (CAPTCHA_PROVIDER) it names the
provider, its site key and the expected action, renders nothing and imports no image library,
and keeps what Verify checks the token against in the private parameters.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from captcha_auth.common import (
    AUDIO_FORMAT,
    CAPTCHA_CHALLENGE,
    IMAGE_FORMAT,
    PROVIDER_FORMAT,
    audit,
    captcha_provider,
    captcha_rounds,
    max_captcha_attempts,
    start_invocation,
)

MAX_ATTEMPTS = max_captcha_attempts()
PROVIDER = captcha_provider()
if PROVIDER == "builtin":
    from captcha_auth.challenge import data_url, new_answer  # Pillow and the renderer: builtin only
else:
    from captcha_auth.providers import WITH_ACTION

    SITE_KEY = os.environ["CAPTCHA_SITE_KEY"]
    ACTION = os.environ["CAPTCHA_ACTION"] if PROVIDER in WITH_ACTION else None


class ChallengeUnavailable(Exception):
    """The only error this trigger raises. Cognito shows its text to the caller, so the text
    is fixed and says nothing about the input."""

    def __init__(self) -> None:
        super().__init__("challenge unavailable")


def requested_format(client_metadata: Any) -> str:
    """ClientMetadata is client-controlled: it may pick the medium, nothing else."""
    if isinstance(client_metadata, dict) and client_metadata.get("captchaFormat") == AUDIO_FORMAT:
        return AUDIO_FORMAT
    return IMAGE_FORMAT


def build_challenge(request: dict) -> dict:
    """The response for one CAPTCHA round. Raises on a request Define should never have let through."""
    session = request.get("session")
    if request.get("challengeName") != "CUSTOM_CHALLENGE" or not isinstance(session, list):
        raise ValueError("unexpected request")
    if not all(isinstance(entry, dict) for entry in session):
        raise ValueError("unexpected session")
    attempt = captcha_rounds(session) + 1
    if attempt > MAX_ATTEMPTS:
        raise ValueError("no attempts left")
    progress = {
        "attempt": str(attempt),
        "maxAttempts": str(MAX_ATTEMPTS),
        "attemptsLeft": str(MAX_ATTEMPTS - attempt + 1),
    }
    if PROVIDER != "builtin":
        return provider_challenge(progress)
    captcha_format = requested_format(request.get("clientMetadata"))
    # The same work for an unknown user (userNotFound): same parameters, same latency.
    answer = new_answer()
    return {
        "publicChallengeParameters": {
            "captchaFormat": captcha_format,
            "captchaUrl": data_url(answer, captcha_format),
            **progress,
        },
        "privateChallengeParameters": {"answer": answer},
        "challengeMetadata": CAPTCHA_CHALLENGE,
    }


def provider_challenge(progress: dict[str, str]) -> dict:
    """A managed provider's round: what the page needs to show its widget (all public), and
    what Verify checks the token against (the provider, the action, when this round began)."""
    public = {"captchaFormat": PROVIDER_FORMAT, "provider": PROVIDER, "siteKey": SITE_KEY, **progress}
    private = {"provider": PROVIDER, "issuedAt": str(int(time.time()))}
    if ACTION is not None:
        public["action"] = private["action"] = ACTION
    return {
        "publicChallengeParameters": public,
        "privateChallengeParameters": private,
        "challengeMetadata": CAPTCHA_CHALLENGE,
    }


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One log line per round: its format and attempt number (the metric filters count the
    formats: CaptchaImage, CaptchaAudio, CaptchaProvider), or the error's type (TriggerError)."""
    start_invocation(context)
    try:
        request = event.get("request")
        if not isinstance(request, dict):
            raise ValueError("malformed request")
        response = build_challenge(request)
    except Exception as exc:
        audit("create", logging.ERROR, error="internal", error_type=type(exc).__name__)
        raise ChallengeUnavailable() from None
    event["response"] = response
    params = response["publicChallengeParameters"]
    audit("create", format=params["captchaFormat"], attempt=int(params["attempt"]))
    return event
