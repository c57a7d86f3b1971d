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
from collections.abc import Iterable
from typing import Any

from aws_lambda_powertools.logging import Logger
from aws_lambda_powertools.logging.formatter import BasePowertoolsFormatter

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
# One compact JSON line per decision, written to stdout by Powertools' Logger, where Lambda
# (JSON log format) stores it as it is. A formatter of our own (Powertools' documented way to
# bring one) keeps the line to the decision's fields and the request id: nothing CloudWatch
# records anyway (time, function, version, log stream, the Logger's service key) and no level
# for INFO (Lambda files a line without one as INFO). At $0.50 per GB every byte of a line is
# paid for six times a sign-in, and the default formatter's keys add about 130 bytes a line.
#
# Powertools is used although importing it adds to every cold start (measured against the
# bundle: about 120-165 ms without .pyc, 25-55 ms with the bundled .pyc, per handler): it is
# the logging library made for Lambda, and it applies Lambda's log level (AWS_LAMBDA_LOG_LEVEL)
# and keeps our lines off the runtime's root handler, which a hand-written logger would have to
# keep doing itself. A narrower import saves nothing: `aws_lambda_powertools.logging` runs the
# package's __init__, which loads Logger, Metrics, Tracer (lazily) and the botocore user-agent
# hook either way.
#
# Metrics stay metric filters on these lines (stacks/captcha_auth/monitoring.py), not
# Powertools' Metrics: one line per decision, and nothing logged twice, once as a log and once
# as an embedded-metric record. Events are never logged: each handler names its fields.

# Lambda's names for the levels it filters on (log-level filtering reads the "level" key).
_LAMBDA_LEVELS = {logging.WARNING: "WARN", logging.ERROR: "ERROR", logging.CRITICAL: "FATAL"}
# Keys the Logger appends to every formatter that this log leaves out: the log group names the
# function, and nothing is sampled.
_UNWRITTEN_KEYS = frozenset({"service", "sampling_rate"})


class CompactJsonFormatter(BasePowertoolsFormatter):
    """{"message": ..., ["level": WARN|ERROR,] <the decision's fields>, <appended keys>}.
    audit() adds the request id to WARN and ERROR lines (start_invocation)."""

    def __init__(self) -> None:
        super().__init__()
        self._keys: dict[str, Any] = {}

    def append_keys(self, **additional_keys: Any) -> None:
        self._keys.update({k: v for k, v in additional_keys.items() if k not in _UNWRITTEN_KEYS})

    def get_current_keys(self) -> dict[str, Any]:
        return dict(self._keys)

    def remove_keys(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._keys.pop(key, None)

    def clear_state(self) -> None:
        self._keys.clear()

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"message": record.getMessage()}
        if record.levelno in _LAMBDA_LEVELS:
            line["level"] = _LAMBDA_LEVELS[record.levelno]
        line.update(getattr(record, "fields", {}))
        line.update(self._keys)
        return json.dumps(line, separators=(",", ":"))


SERVICE = "captcha_auth"
logger = Logger(service=SERVICE, logger_formatter=CompactJsonFormatter())
# Powertools filters the root logger's handlers (Lambda's runtime formats their lines); not
# propagating also keeps out any handler added later, so each line is written once.
logging.getLogger(SERVICE).propagate = False

_LOG_METHODS = {
    logging.DEBUG: logger.debug,
    logging.INFO: logger.info,
    logging.WARNING: logger.warning,
    logging.ERROR: logger.error,
    logging.CRITICAL: logger.critical,
}


# The request id of the invocation under way. It goes on WARN and ERROR lines only, where it ties
# our line to Lambda's own lines about the same invocation (an error's stack trace, a timeout).
# A decision line at INFO stands alone: it says what was decided, CloudWatch says when and where,
# and no log of Cognito's carries Lambda's request id. Leaving it off them saves 51 of the
# ~130 bytes of such a line, five lines a sign-in (bench/RESULTS.md, item 4).
_request_id: dict[str, str] = {}


def start_invocation(context: Any) -> None:
    """Called first by every handler: the request id its problem lines carry (none outside
    Lambda). Not Powertools' inject_lambda_context decorator: that one appends five more keys
    (function name, ARN, memory, cold start) to every line, and took 3-5x as long."""
    request_id = getattr(context, "aws_request_id", None)
    if isinstance(request_id, str):
        _request_id["requestId"] = request_id
    else:
        _request_id.clear()


def audit(message: str, level: int = logging.INFO, **fields: Any) -> None:
    """One line: `message` names what was decided, `fields` are short fixed codes and counts,
    never input (a username, an answer, a token, the event)."""
    if level >= logging.WARNING:
        fields.update(_request_id)
    _LOG_METHODS[level](message, extra={"fields": fields})
