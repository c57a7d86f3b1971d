"""Names and settings shared by the four triggers.

Nothing here is secret: challengeMetadata and challenge names are visible to every later
trigger and to anyone reading the session, so they must never carry an answer.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger

# Our name for the custom challenge, written to challengeMetadata by Create and checked by
# Define. A CUSTOM_CHALLENGE entry carrying any other name is refused.
CAPTCHA_CHALLENGE = "CAPTCHA_CHALLENGE"

# CAPTCHA rounds allowed per sign-in; the construct prop `max_captcha_attempts` overrides it
# through the MAX_CAPTCHA_ATTEMPTS environment variable.
MAX_CAPTCHA_ATTEMPTS = 3
MAX_CAPTCHA_ATTEMPTS_LIMIT = 10


def max_captcha_attempts() -> int:
    """Configured attempt limit. A bad value raises at import time, so the function fails
    closed (every sign-in is refused) instead of running with a limit nobody chose."""
    raw = os.environ.get("MAX_CAPTCHA_ATTEMPTS", str(MAX_CAPTCHA_ATTEMPTS))
    value = int(raw)
    if not 1 <= value <= MAX_CAPTCHA_ATTEMPTS_LIMIT:
        raise ValueError("MAX_CAPTCHA_ATTEMPTS out of range")
    return value


def captcha_rounds(session: list[dict]) -> int:
    """How many CAPTCHA rounds this session has already answered."""
    return sum(1 for entry in session if entry.get("challengeName") == "CUSTOM_CHALLENGE")


# One logger for every trigger. Events are never logged: the service name is the only
# context added, and each handler logs a handful of named, non-secret fields.
logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "captcha-auth"))
