"""Verify auth challenge response trigger (VerifyAuthChallengeResponse_Authentication).

Built-in CAPTCHA: compares the caller's answer with the private answer Create stored. Managed
provider: checks the caller's token with the provider (providers.py) against what Create stored
for this round. Never raises: a missing, malformed, oversized or wrong answer, and a provider
that can't be reached, are simply `answerCorrect: false`, and Define decides what happens next.
An unknown user (userNotFound) is never correct.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import time
import unicodedata
from typing import Any

from captcha_auth.common import audit, captcha_provider, start_invocation, whole_number_setting

PROVIDER = captcha_provider()
if PROVIDER != "builtin":  # read now, so a missing or malformed setting fails at import
    # The provider's code (urllib and friends) only when one is configured: the built-in
    # CAPTCHA's cold start doesn't pay for it.
    from captcha_auth.aws_json import SECRETS_MANAGER, Client, ServiceError, Unreachable, endpoint_for
    from captcha_auth.providers import Expectation, ProviderError, refusal, siteverify, token_acceptable

    VERIFY_URL = os.environ["CAPTCHA_VERIFY_URL"]
    SECRET_ARN = os.environ["CAPTCHA_SECRET_ARN"]
    HOSTNAMES = frozenset(name for name in os.environ["CAPTCHA_HOSTNAMES"].split(",") if name)
    if not HOSTNAMES:
        raise ValueError("CAPTCHA_HOSTNAMES must name at least one hostname")
    MAX_AGE_SECONDS = whole_number_setting("CAPTCHA_MAX_AGE_SECONDS")
    MIN_SCORE = float(os.environ["CAPTCHA_MIN_SCORE"]) if PROVIDER == "recaptcha-v3" else 0.0
    SITE_KEY = os.environ["CAPTCHA_SITE_KEY"] if PROVIDER == "hcaptcha" else None
    SECRETS_ENDPOINT = endpoint_for(SECRETS_MANAGER, os.environ)
# The provider's secret key is read from Secrets Manager once per container and kept this long.
SECRET_TTL_SECONDS = 300
_secret: tuple[str, float] | None = None

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


def provider_secret() -> str:
    """The secret key, cached for SECRET_TTL_SECONDS; never logged, never in an error."""
    global _secret
    if _secret is None or time.monotonic() - _secret[1] > SECRET_TTL_SECONDS:
        client = None
        try:
            client = Client(SECRETS_MANAGER, SECRETS_ENDPOINT, timeout=0.5, attempts=1)
            value = client.call("GetSecretValue", {"SecretId": SECRET_ARN})["SecretString"]
        except (ServiceError, Unreachable, KeyError):  # no answer, no SecretString, or no region
            raise ProviderError("secret") from None
        finally:
            if client is not None:
                client.close()  # one call every SECRET_TTL_SECONDS: no connection to keep
        if not isinstance(value, str) or not value:
            raise ProviderError("secret")
        _secret = (value, time.monotonic())
    return _secret[0]


_ERROR_CODE = re.compile(r"[a-z0-9-]{1,40}")


def verify_provider(request: dict[str, Any], note: dict[str, Any]) -> bool:
    """The managed provider's path: the token checked with the provider for this round. Why it
    failed goes in `note`, for the invocation's one log line (short fixed codes only)."""
    private = request.get("privateChallengeParameters")
    if not isinstance(private, dict) or private.get("provider") != PROVIDER:
        return False
    token = request.get("challengeAnswer")
    if not token_acceptable(token, PROVIDER):  # before any request
        note["reason"] = "token_refused"
        return False
    try:
        issued_at = int(str(private.get("issuedAt")))
    except ValueError:
        return False
    action = private.get("action")
    expected = Expectation(PROVIDER, HOSTNAMES, action if isinstance(action, str) else None, MIN_SCORE,
                           MAX_AGE_SECONDS, issued_at)  # fmt: skip
    try:
        reply = siteverify(VERIFY_URL, provider_secret(), token, SITE_KEY)
    except ProviderError as error:
        note.update(error="provider", error_type=str(error))
        return False
    reason = refusal(reply, expected, time.time())
    if reason is not None:
        codes = reply.get("error-codes")
        codes = (
            [c for c in codes if isinstance(c, str) and _ERROR_CODE.fullmatch(c)][:5] if isinstance(codes, list) else []
        )
        note["reason"] = reason
        if codes:
            note["error_codes"] = codes
        return False
    return True


def _verify(request: Any, note: dict[str, Any]) -> bool:
    if not isinstance(request, dict):
        return False
    if PROVIDER != "builtin":
        passed = verify_provider(request, note)
        return passed and request.get("userNotFound") is not True
    private = request.get("privateChallengeParameters")
    expected = private.get("answer") if isinstance(private, dict) else None
    correct = is_correct(expected, request.get("challengeAnswer"))
    # Compare first, then discard: an unknown user costs the same work as a known one.
    return correct and request.get("userNotFound") is not True


def verify(request: Any) -> bool:
    """The answer checked, and its one log line: correct or not, and for a provider why not
    (the metric filters count ProviderError and ProviderTokenRefused from it)."""
    note: dict[str, Any] = {}
    correct = _verify(request, note)
    audit("verify", logging.WARNING if "error" in note else logging.INFO, correct=correct, **note)
    return correct


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    start_invocation(context)
    try:
        correct = verify(event.get("request"))
    except Exception as exc:  # never raise: a failure here is a wrong answer (TriggerError)
        audit("verify", logging.ERROR, correct=False, error="internal", error_type=type(exc).__name__)
        correct = False
    event["response"] = {"answerCorrect": correct}
    return event
