"""Verify auth challenge response trigger (VerifyAuthChallengeResponse_Authentication).

Compares the caller's answer with the private answer Create stored. Never raises: a missing,
malformed, oversized or wrong answer is simply `answerCorrect: false`, and Define decides what
happens next. An unknown user (userNotFound) is never correct.
"""

from __future__ import annotations

import hmac
import unicodedata
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from captcha_auth.common import count, flush_metrics, logger, use_metrics

use_metrics()

# Longer input is refused before any normalisation work (NFKC can expand text up to 18x).
MAX_ANSWER_CHARS = 64


def normalise(text: str) -> str:
    """What a person meant to type: no surrounding or inner spaces, full-width and other
    compatibility forms folded (NFKC), case folded."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(folded.split())


def is_correct(expected: Any, given: Any) -> bool:
    if not isinstance(expected, str) or not expected or not isinstance(given, str):
        return False
    if len(given) > MAX_ANSWER_CHARS:
        return False
    try:
        given_bytes = normalise(given).encode("utf-8")
    except UnicodeError:  # lone surrogates cannot be encoded
        return False
    return hmac.compare_digest(given_bytes, normalise(expected).encode("utf-8"))


def verify(request: Any) -> bool:
    if not isinstance(request, dict):
        return False
    private = request.get("privateChallengeParameters")
    expected = private.get("answer") if isinstance(private, dict) else None
    correct = is_correct(expected, request.get("challengeAnswer"))
    # Compare first, then discard: an unknown user costs the same work as a known one.
    return correct and request.get("userNotFound") is not True


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        correct = verify(event.get("request"))
    except Exception as exc:  # never raise: a failure here is a wrong answer
        count("TriggerError")
        logger.error("verify_error", extra={"error_type": type(exc).__name__})
        correct = False
    event["response"] = {"answerCorrect": correct}
    logger.info("captcha_verified", extra={"answer_correct": correct})
    flush_metrics()
    return event
