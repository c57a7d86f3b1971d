"""Names and settings shared by the four triggers.

Settings come only from the environment the CaptchaAuth construct gives each function (it is
their single source): a missing or malformed value raises at import, so the function fails
closed and every sign-in is refused instead of running with a limit nobody chose.

Events are plain dicts. Powertools' event data classes were measured and not used: with the
bundle as deployed (no .pyc) they add ~140 ms to every cold start, and the handlers check the
type of every field they read anyway, since a decision table must not trust a getter that
returns whatever shape the input had.

Nothing here is secret: challengeMetadata and challenge names are visible to every later
trigger and to anyone reading the session, so they must never carry an answer.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from typing import Any

# Our name for the custom challenge, written to challengeMetadata by Create and checked by
# Define. A CUSTOM_CHALLENGE entry carrying any other name is refused.
CAPTCHA_CHALLENGE = "CAPTCHA_CHALLENGE"

# The medium of a round, as the clients see it in captchaFormat.
IMAGE_FORMAT = "image"
AUDIO_FORMAT = "audio"
PROVIDER_FORMAT = "provider"  # a managed provider's widget (Turnstile, reCAPTCHA, hCaptcha)
CAPTCHA_PROVIDERS = ("builtin", "turnstile", "recaptcha-v2", "recaptcha-v3", "hcaptcha")

_WHOLE_NUMBER = re.compile(r"[1-9][0-9]{0,6}")


def whole_number_setting(name: str) -> int:
    """A whole number >= 1 from the environment, as the construct set it (its range is the
    construct's to check). Raises KeyError when it is missing and ValueError when malformed."""
    raw = os.environ[name]
    if not _WHOLE_NUMBER.fullmatch(raw):
        raise ValueError(f"{name} must be a whole number >= 1")
    return int(raw)


def max_captcha_attempts() -> int:
    return whole_number_setting("MAX_CAPTCHA_ATTEMPTS")


def captcha_provider() -> str:
    """CAPTCHA_PROVIDER: the built-in CAPTCHA or a managed provider; anything else raises."""
    provider = os.environ["CAPTCHA_PROVIDER"]
    if provider not in CAPTCHA_PROVIDERS:
        raise ValueError("CAPTCHA_PROVIDER must be one of " + ", ".join(CAPTCHA_PROVIDERS))
    return provider


def boolean_setting(name: str) -> bool:
    """Exactly "true" or "false"; anything else raises."""
    raw = os.environ[name]
    if raw not in ("true", "false"):
        raise ValueError(f"{name} must be true or false")
    return raw == "true"


def captcha_rounds(session: list[dict]) -> int:
    """How many CAPTCHA rounds this session has already answered."""
    return sum(1 for entry in session if entry.get("challengeName") == "CUSTOM_CHALLENGE")


# ---- The audit log ---------------------------------------------------------------------
#
# One compact JSON line per decision, written to stdout, where Lambda (JSON log format) stores
# it as it is. It carries the decision's own fields and the request id, nothing CloudWatch
# records anyway (time, function, version, log stream) and no level for INFO (Lambda files a
# line without one as INFO): at $0.50 per GB every byte of a line is paid for six times a
# sign-in. The metrics come from these same lines: the construct's metric filters count them
# (stacks/captcha_auth/monitoring.py), so no line is written twice, once as a log and once as
# an embedded-metric record. Events are never logged: each handler names its fields.
#
# Powertools' Logger and Metrics were measured and replaced by this: importing them (with
# the bundle as deployed) cost 35-130 ms of every cold start, and their lines carried about
# 130 bytes of keys this log doesn't need.

# Lambda's names for the levels it filters on (log-level filtering reads the "level" key).
_LAMBDA_LEVELS = {logging.WARNING: "WARN", logging.ERROR: "ERROR", logging.CRITICAL: "FATAL"}
_request_id: str | None = None


class CompactJsonFormatter(logging.Formatter):
    """{"message": ..., ["level": WARN|ERROR,] <the decision's fields>, "requestId": ...}"""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"message": record.getMessage()}
        if record.levelno in _LAMBDA_LEVELS:
            line["level"] = _LAMBDA_LEVELS[record.levelno]
        line.update(getattr(record, "fields", {}))
        if _request_id is not None:
            line["requestId"] = _request_id
        return json.dumps(line, separators=(",", ":"))


class _StdoutHandler(logging.Handler):
    """Writes each line to whatever sys.stdout is at the time (Lambda's, or a test's)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record) + "\n")
        except Exception:  # a log line must never fail a sign-in
            self.handleError(record)


class TriggerLogger(logging.Logger):
    """The triggers' logger: not the root logger's children (Lambda's runtime formats those),
    so each line is written once, by this handler, in this format."""

    def __init__(self) -> None:
        super().__init__("captcha_auth", logging.INFO)
        self.propagate = False
        self.registered_formatter = CompactJsonFormatter()
        self.registered_handler = _StdoutHandler()
        self.registered_handler.setFormatter(self.registered_formatter)
        self.addHandler(self.registered_handler)


logger = TriggerLogger()


def start_invocation(context: Any) -> None:
    """Called first by every handler: the request id its lines carry (None outside Lambda)."""
    global _request_id
    request_id = getattr(context, "aws_request_id", None)
    _request_id = request_id if isinstance(request_id, str) else None


def audit(message: str, level: int = logging.INFO, **fields: Any) -> None:
    """One line: `message` names what was decided, `fields` are short fixed codes and counts,
    never input (a username, an answer, a token, the event)."""
    logger.log(level, message, extra={"fields": fields})
