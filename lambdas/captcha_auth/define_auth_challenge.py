"""Define auth challenge trigger (DefineAuthChallenge_Authentication).

Reads the session (the challenges answered so far) and decides: next challenge, issue tokens,
or fail. The only sequence that issues tokens is SRP_A ✓, PASSWORD_VERIFIER ✓, then up to
MAX_CAPTCHA_ATTEMPTS CAPTCHA rounds whose last one is correct. Anything else is denied.

Across sign-ins it keeps the failure counter (failure_counter.py): every sign-in that proves the
password counts one failure when the CAPTCHA is first asked for, a successful sign-in clears
the count, and a locked account is refused before its password is even asked for. Counting at
the CAPTCHA's start (not when the last attempt is spent) means a bot can't dodge the counter by
abandoning each sign-in before its last answer.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from captcha_auth.aws_json import DYNAMODB, SECRETS_MANAGER, Client, ServiceError, Unreachable, endpoint_for
from captcha_auth.common import (
    CAPTCHA_CHALLENGE,
    audit,
    boolean_setting,
    max_captcha_attempts,
    start_invocation,
    whole_number_setting,
)
from captcha_auth.failure_counter import (
    ATTEMPTS,
    TIMEOUT_SECONDS,
    CounterUnavailable,
    FailureCounter,
    Policy,
    unavailable,
)

MAX_ATTEMPTS = max_captcha_attempts()
# Everything the counter needs is read now, so a missing or malformed setting fails at import.
FAILURE_TABLE = os.environ["FAILURE_TABLE_NAME"]
FAILURE_KEY_SECRET = os.environ["FAILURE_KEY_SECRET_ARN"]
LOCKOUT = Policy(
    threshold=whole_number_setting("LOCKOUT_AFTER_FAILURES"),
    window=whole_number_setting("LOCKOUT_WINDOW_SECONDS"),
    backoff=whole_number_setting("LOCKOUT_BACKOFF_SECONDS"),
    max_backoff=whole_number_setting("LOCKOUT_MAX_BACKOFF_SECONDS"),
)
COUNTER_FAIL_OPEN = boolean_setting("COUNTER_FAIL_OPEN")
DYNAMODB_ENDPOINT = endpoint_for(DYNAMODB, os.environ)
SECRETS_ENDPOINT = endpoint_for(SECRETS_MANAGER, os.environ)

# Cognito passes a trigger's error text to the client (UserLambdaValidationException on AWS).
# The clients recognise this fixed marker (signin/messages.json) and say the account is locked;
# nothing in it depends on the input, so it tells nobody anything about the username.
LOCKED_OUT_MESSAGE = "SIGN_IN_LOCKED: too many failed sign-ins, try again later"

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


class SignInLocked(Exception):
    """Raised to refuse a locked username with LOCKED_OUT_MESSAGE (the only trigger error the
    design raises on purpose; the alarms discount it)."""

    def __init__(self) -> None:
        super().__init__(LOCKED_OUT_MESSAGE)


@cache
def _counter() -> FailureCounter:
    """Made on first use and kept for the container: the two clients (aws_json.py, not
    botocore, for the cold start), and the hashing key read once from Secrets Manager."""
    dynamodb = Client(DYNAMODB, DYNAMODB_ENDPOINT, timeout=TIMEOUT_SECONDS, attempts=ATTEMPTS)
    secrets = Client(SECRETS_MANAGER, SECRETS_ENDPOINT, timeout=TIMEOUT_SECONDS, attempts=ATTEMPTS)

    @cache
    def key() -> bytes:
        secret = secrets.call("GetSecretValue", {"SecretId": FAILURE_KEY_SECRET})["SecretString"]
        if not isinstance(secret, str) or not secret:
            raise ValueError("no SecretString")
        return secret.encode("utf-8")

    def guarded_key() -> bytes:
        try:
            return key()
        except (ServiceError, Unreachable) as exc:  # the key could not be read: as an unreachable table
            raise unavailable(exc) from None
        except (KeyError, ValueError):
            raise CounterUnavailable("malformed") from None

    return FailureCounter(dynamodb, FAILURE_TABLE, guarded_key, LOCKOUT)


def apply_counter(decision: Decision, account: str, counter: Callable[[], FailureCounter]) -> Decision:
    """The counter's part: refuse a locked account at the start of a sign-in, count one failure
    when a proved password reaches the CAPTCHA (refused, counted, if a lock began since the sign-in
    started: sign-ins opened at once before a lock don't all get their CAPTCHAs), clear it when the
    CAPTCHA is solved. Known and unknown usernames take exactly the same path. `counter` is called
    only on those steps, so a new container whose first call is another step (a wrong answer, a
    refusal) makes no client."""
    if decision.challenge_name == PASSWORD_VERIFIER and counter().locked_for(account) > 0:
        raise SignInLocked()
    if decision.reason == "password_verified" and counter().record_failure(account).locked:
        raise SignInLocked()
    if decision.issue_tokens:
        counter().reset(account)
    return decision


def account_key(event: dict[str, Any], username: str) -> str:
    """What the counter is kept under: the user's immutable `sub` where Cognito sends it (so no
    spelling of a username can split or merge accounts), else the username as sent."""
    request = event.get("request")
    attributes = request.get("userAttributes") if isinstance(request, dict) else None
    sub = attributes.get("sub") if isinstance(attributes, dict) else None
    return f"sub:{sub}" if isinstance(sub, str) and sub else f"name:{username}"


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One log line per invocation: the decision (`next` or `fail`) and its reason, which the
    construct's metric filters count (WrongAnswer, AttemptsExhausted, LockedOut, TriggerError,
    CounterUnreachable). A decision to issue tokens writes no line here: post-authentication,
    which Cognito runs only after it, writes the sign-in's one record (`sign_in`, with who)."""
    start_invocation(context)
    problem: dict[str, Any] = {}
    try:
        request = event.get("request")
        username = event.get("userName")
        if not isinstance(request, dict) or not isinstance(username, str) or not username:
            decision = deny("malformed_request")
        else:
            decision = decide(request.get("session"), user_not_found=request.get("userNotFound"))
            try:
                decision = apply_counter(decision, account_key(event, username), _counter)
            except CounterUnavailable as exc:
                problem = {"error": "counter_unreachable", "error_type": str(exc)}
                if COUNTER_FAIL_OPEN:
                    problem["fail_open"] = True
                elif not decision.fail_authentication:
                    decision = deny("counter_unreachable")
    except SignInLocked:
        audit("define", decision="fail", reason="locked_out")
        raise
    except Exception as exc:  # fail closed; log the error's type only, never its text or the input
        problem = {"error": "internal", "error_type": type(exc).__name__}
        decision = deny("internal_error")
    if not decision.issue_tokens or problem:
        audit(
            "define",
            logging.ERROR if problem else logging.INFO,
            decision="tokens" if decision.issue_tokens else "fail" if decision.fail_authentication else "next",
            reason=decision.reason,
            **problem,
        )
    return _apply(event, decision)
