"""Names and settings shared by the four triggers.

Settings come only from the environment the CaptchaAuth construct gives each function (it is
their single source): a missing or malformed value raises at import, so the function fails
closed and every sign-in is refused instead of running with a limit nobody chose.

Events are plain dicts. Powertools' event data classes were measured and not used: with the
bundle as deployed (no .pyc) they add ~140 ms to every cold start (1.27x the Logger import
alone), and the handlers check the type of every field they read anyway, since a decision
table must not trust a getter that returns whatever shape the input had.

Nothing here is secret: challengeMetadata and challenge names are visible to every later
trigger and to anyone reading the session, so they must never carry an answer.
"""

from __future__ import annotations

import os
import re

from aws_lambda_powertools import Logger

# Our name for the custom challenge, written to challengeMetadata by Create and checked by
# Define. A CUSTOM_CHALLENGE entry carrying any other name is refused.
CAPTCHA_CHALLENGE = "CAPTCHA_CHALLENGE"

_WHOLE_NUMBER = re.compile(r"[1-9][0-9]{0,2}")


def max_captcha_attempts() -> int:
    """MAX_CAPTCHA_ATTEMPTS, as the construct set it (its range is the construct's to check).
    Raises KeyError when it is missing and ValueError when it is not a whole number >= 1."""
    raw = os.environ["MAX_CAPTCHA_ATTEMPTS"]
    if not _WHOLE_NUMBER.fullmatch(raw):
        raise ValueError("MAX_CAPTCHA_ATTEMPTS must be a whole number >= 1")
    return int(raw)


def captcha_rounds(session: list[dict]) -> int:
    """How many CAPTCHA rounds this session has already answered."""
    return sum(1 for entry in session if entry.get("challengeName") == "CUSTOM_CHALLENGE")


# One logger for every trigger; its service name is POWERTOOLS_SERVICE_NAME. Events are never
# logged: each handler logs a handful of named, non-secret fields.
logger = Logger()
