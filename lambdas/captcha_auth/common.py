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

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

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


# One logger for every trigger; its service name is POWERTOOLS_SERVICE_NAME. Events are never
# logged: each handler logs a handful of named, non-secret fields.
logger = Logger()


_metrics: Metrics | None = None


def use_metrics() -> None:
    """Called at import by the triggers that count: POWERTOOLS_METRICS_NAMESPACE must be set
    (KeyError otherwise). The post-authentication trigger counts nothing and gets no namespace."""
    global _metrics
    _metrics = Metrics(namespace=os.environ["POWERTOOLS_METRICS_NAMESPACE"])


def count(metric: str) -> None:
    """One more of `metric`, in CloudWatch's embedded metric format. Metrics carry no dimension
    but the service: never a username, an email, an answer or a token."""
    if _metrics is None:
        raise RuntimeError("use_metrics() was not called")
    _metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)


def flush_metrics() -> None:
    """Write this invocation's metrics as one log line, if it counted any."""
    if _metrics is not None and _metrics.metric_set:
        _metrics.flush_metrics()
