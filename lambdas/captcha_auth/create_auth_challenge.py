"""Create auth challenge trigger (CreateAuthChallenge_Authentication).

Runs when Define asks for CUSTOM_CHALLENGE: draws a fresh answer, renders it as an image (or as
audio when the client asks with ClientMetadata captchaFormat=audio, which reaches this trigger
from RespondToAuthChallenge), and keeps the answer in the private parameters only.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from captcha_auth.challenge import AUDIO_FORMAT, IMAGE_FORMAT, data_url, new_answer
from captcha_auth.common import (
    CAPTCHA_CHALLENGE,
    captcha_rounds,
    count,
    flush_metrics,
    logger,
    max_captcha_attempts,
    use_metrics,
)

MAX_ATTEMPTS = max_captcha_attempts()
use_metrics()


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
    captcha_format = requested_format(request.get("clientMetadata"))
    # The same work for an unknown user (userNotFound): same parameters, same latency.
    answer = new_answer()
    return {
        "publicChallengeParameters": {
            "captchaFormat": captcha_format,
            "captchaUrl": data_url(answer, captcha_format),
            "attempt": str(attempt),
            "maxAttempts": str(MAX_ATTEMPTS),
            "attemptsLeft": str(MAX_ATTEMPTS - attempt + 1),
        },
        "privateChallengeParameters": {"answer": answer},
        "challengeMetadata": CAPTCHA_CHALLENGE,
    }


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        try:
            request = event.get("request")
            if not isinstance(request, dict):
                raise ValueError("malformed request")
            response = build_challenge(request)
        except Exception as exc:
            count("TriggerError")
            logger.error("create_error", extra={"error_type": type(exc).__name__})
            raise ChallengeUnavailable() from None
        event["response"] = response
        params = response["publicChallengeParameters"]
        count("CaptchaAudio" if params["captchaFormat"] == AUDIO_FORMAT else "CaptchaImage")
        logger.info("captcha_created", extra={"format": params["captchaFormat"], "attempt": params["attempt"]})
        return event
    finally:
        flush_metrics()
