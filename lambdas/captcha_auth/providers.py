"""Managed challenge providers: Cloudflare Turnstile, Google reCAPTCHA v2 and v3, hCaptcha.

The browser solves the provider's widget and sends its token as the challenge answer; Verify
posts the token with the secret key to the provider's siteverify endpoint and accepts only a
reply that says `success` for this deployment's hostnames, the action this round asked for
(where the provider reports one), a reCAPTCHA v3 score at or above the threshold, and a
challenge solved after this round began and recently. Anything else (a network error, a
non-200, a reply that isn't the documented JSON) is a wrong answer.

Standard library only (urllib): one small form POST doesn't need an HTTP library, and this
path must stay light; no image library is imported for a provider.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeGuard

# Providers whose reply names the action the widget was rendered for.
WITH_ACTION = ("turnstile", "recaptcha-v3")
# The longest token each accepts. Turnstile documents 2,048 characters; reCAPTCHA and hCaptcha
# document no maximum, so the cap is a generous bound on what their widgets produce.
MAX_TOKEN_CHARS = {"turnstile": 2048, "recaptcha-v2": 4096, "recaptcha-v3": 4096, "hcaptcha": 4096}
# Well inside Cognito's 5 s for the whole trigger, and never retried.
TIMEOUT_SECONDS = 1.5
MAX_REPLY_BYTES = 16_384
CLOCK_SKEW_SECONDS = 30


class ProviderError(Exception):
    """The provider could not give a usable answer; its text is a fixed kind, never input."""


@dataclass(frozen=True)
class Expectation:
    """What a reply must say for this round to pass."""

    provider: str
    hostnames: frozenset[str]
    action: str | None  # for turnstile and recaptcha-v3
    min_score: float  # recaptcha-v3
    max_age_seconds: int
    issued_at: int  # when Create made this round (epoch seconds)


def token_acceptable(token: Any, provider: str) -> TypeGuard[str]:
    """Checked before any request: a non-empty string no longer than the provider's maximum."""
    return isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_CHARS[provider]


def siteverify(url: str, secret: str, token: str, site_key: str | None = None) -> dict[str, Any]:
    """One POST of the documented form fields (hCaptcha's optional `sitekey` too, so a token
    made for another of the account's site keys fails); the parsed JSON reply, or ProviderError."""
    fields = {"secret": secret, "response": token, **({"sitekey": site_key} if site_key else {})}
    body = urllib.parse.urlencode(fields).encode("ascii")
    request = urllib.request.Request(  # noqa: S310 (an https URL from the construct, or a loopback stand-in)
        url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            if response.status != 200:
                raise ProviderError("status")
            raw = response.read(MAX_REPLY_BYTES + 1)
    except urllib.error.HTTPError:
        raise ProviderError("status") from None
    except (urllib.error.URLError, TimeoutError, OSError):
        raise ProviderError("unreachable") from None
    if len(raw) > MAX_REPLY_BYTES:
        raise ProviderError("oversized")
    try:
        reply = json.loads(raw)
    except ValueError:
        raise ProviderError("malformed") from None
    if not isinstance(reply, dict) or type(reply.get("success")) is not bool:
        raise ProviderError("malformed")
    return reply


def _solved_at(reply: dict[str, Any]) -> float | None:
    stamp = reply.get("challenge_ts")
    if not isinstance(stamp, str):
        return None
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def refusal(reply: dict[str, Any], expected: Expectation, now: float) -> str | None:
    """Why this reply does not pass this round (a short fixed reason), or None."""
    if reply.get("success") is not True:
        return "unsuccessful"
    if reply.get("hostname") not in expected.hostnames:
        return "hostname"
    if expected.provider in WITH_ACTION and reply.get("action") != expected.action:
        return "action"
    if expected.provider == "recaptcha-v3":
        score = reply.get("score")
        if not isinstance(score, int | float) or isinstance(score, bool) or not math.isfinite(score):
            return "score"
        if score < expected.min_score:
            return "score"
    solved = _solved_at(reply)
    if solved is None:
        return "timestamp"
    if solved < expected.issued_at - CLOCK_SKEW_SECONDS or now - solved > expected.max_age_seconds:
        return "stale"
    return None
