"""Define auth challenge trigger (DefineAuthChallenge_Authentication).

Reads the session (the challenges answered so far) and decides: next challenge, issue tokens,
or fail. The only sequence that issues tokens is SRP_A ✓, PASSWORD_VERIFIER ✓, then up to
MAX_CAPTCHA_ATTEMPTS CAPTCHA rounds whose last one is correct. Anything else is denied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from captcha_auth.common import CAPTCHA_CHALLENGE, logger, max_captcha_attempts

MAX_ATTEMPTS = max_captcha_attempts()

SRP_A = "SRP_A"
PASSWORD_VERIFIER = "PASSWORD_VERIFIER"  # noqa: S105 (a challenge name, not a password)
CUSTOM_CHALLENGE = "CUSTOM_CHALLENGE"


@dataclass(frozen=True)
class Decision:
    """What Define tells Cognito. `reason` is a short fixed code for the log, never input."""

    issue_tokens: bool
    fail_authentication: bool
    challenge_name: str | None
    reason: str


def allow() -> Decision:
    return Decision(issue_tokens=True, fail_authentication=False, challenge_name=None, reason="captcha_solved")


def deny(reason: str) -> Decision:
    return Decision(issue_tokens=False, fail_authentication=True, challenge_name=None, reason=reason)


def next_challenge(name: str, reason: str) -> Decision:
    return Decision(issue_tokens=False, fail_authentication=False, challenge_name=name, reason=reason)


def _is_entry(entry: Any) -> bool:
    """A well-formed ChallengeResult: exact types, no truthy strings passed off as booleans."""
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("challengeName"), str)
        and type(entry.get("challengeResult")) is bool
        and (entry.get("challengeMetadata") is None or isinstance(entry.get("challengeMetadata"), str))
    )


def _passed(entry: dict, name: str) -> bool:
    return entry["challengeName"] == name and entry["challengeResult"] is True


def decide(session: Any, *, user_not_found: Any, max_attempts: int = MAX_ATTEMPTS) -> Decision:
    """The decision table. Each branch returns; falling through is impossible, and every
    shape not named here is denied."""
    if not isinstance(session, list) or not all(_is_entry(entry) for entry in session):
        return deny("malformed_session")
    if type(user_not_found) is not bool and user_not_found is not None:
        return deny("malformed_user_not_found")
    if not session:
        return deny("password_first")  # CUSTOM_AUTH without SRP_A: a CAPTCHA alone proves nothing
    if not _passed(session[0], SRP_A):
        return deny("expected_srp_a")
    if len(session) == 1:
        return next_challenge(PASSWORD_VERIFIER, "srp_started")
    if not _passed(session[1], PASSWORD_VERIFIER):
        return deny("password_failed")
    if len(session) == 2:
        return next_challenge(CUSTOM_CHALLENGE, "password_verified")

    rounds = session[2:]
    if any(r["challengeName"] != CUSTOM_CHALLENGE or r.get("challengeMetadata") != CAPTCHA_CHALLENGE for r in rounds):
        return deny("unexpected_challenge")
    if len(rounds) > max_attempts:
        return deny("too_many_rounds")
    if any(r["challengeResult"] for r in rounds[:-1]):
        return deny("answered_after_success")  # a solved round must have ended the flow
    if rounds[-1]["challengeResult"]:
        # An unknown user sees the same challenges as a known one and fails only here.
        return deny("user_not_found") if user_not_found is True else allow()
    if len(rounds) >= max_attempts:
        return deny("attempts_exhausted")
    return next_challenge(CUSTOM_CHALLENGE, "captcha_retry")


def _apply(event: dict, decision: Decision) -> dict:
    response: dict[str, Any] = {
        "issueTokens": decision.issue_tokens,
        "failAuthentication": decision.fail_authentication,
    }
    if decision.challenge_name is not None:
        response["challengeName"] = decision.challenge_name
    event["response"] = response
    return event


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        request = event.get("request")
        if not isinstance(request, dict):
            decision = deny("malformed_request")
        else:
            decision = decide(request.get("session"), user_not_found=request.get("userNotFound"))
    except Exception as exc:  # fail closed; log the error's type only, never its text or the input
        logger.error("define_error", extra={"error_type": type(exc).__name__})
        decision = deny("internal_error")
    logger.info(
        "define_decision",
        extra={
            "decision": "tokens" if decision.issue_tokens else "fail" if decision.fail_authentication else "next",
            "next_challenge": decision.challenge_name,
            "reason": decision.reason,
        },
    )
    return _apply(event, decision)
