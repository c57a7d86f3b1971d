"""Define auth challenge: the accepted sequence, and every other shape denied."""

from __future__ import annotations

import json
from typing import Any

import pytest

from captcha_auth.common import CAPTCHA_CHALLENGE
from captcha_auth.define_auth_challenge import MAX_ATTEMPTS, decide, lambda_handler
from tests.support import load_event

SRP_OK = {"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None}
PASSWORD_OK = {"challengeName": "PASSWORD_VERIFIER", "challengeResult": True, "challengeMetadata": None}
PASSWORD_BAD = {**PASSWORD_OK, "challengeResult": False}
CAPTCHA_OK = {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": True, "challengeMetadata": CAPTCHA_CHALLENGE}
CAPTCHA_BAD = {**CAPTCHA_OK, "challengeResult": False}

NEXT_PASSWORD = {"challengeName": "PASSWORD_VERIFIER", "issueTokens": False, "failAuthentication": False}
NEXT_CAPTCHA = {"challengeName": "CUSTOM_CHALLENGE", "issueTokens": False, "failAuthentication": False}
TOKENS = {"issueTokens": True, "failAuthentication": False}
DENIED = {"issueTokens": False, "failAuthentication": True}


def run(lambda_context: Any, session: Any, *, user_not_found: Any = False, **request: Any) -> dict[str, Any]:
    event = load_event("define_auth_challenge")
    event["request"]["session"] = session
    event["request"]["userNotFound"] = user_not_found
    event["request"].update(request)
    return lambda_handler(event, lambda_context)["response"]


# --- The accepted path ----------------------------------------------------------------------


def test_fixture_as_documented_asks_for_the_captcha(lambda_context) -> None:
    assert lambda_handler(load_event("define_auth_challenge"), lambda_context)["response"] == NEXT_CAPTCHA


@pytest.mark.parametrize(
    ("session", "expected"),
    [
        ([SRP_OK], NEXT_PASSWORD),
        ([SRP_OK, PASSWORD_OK], NEXT_CAPTCHA),
        ([SRP_OK, PASSWORD_OK, CAPTCHA_OK], TOKENS),
        ([SRP_OK, PASSWORD_OK, CAPTCHA_BAD], NEXT_CAPTCHA),
        ([SRP_OK, PASSWORD_OK, CAPTCHA_BAD, CAPTCHA_OK], TOKENS),
        ([SRP_OK, PASSWORD_OK, CAPTCHA_BAD, CAPTCHA_BAD], NEXT_CAPTCHA),
        ([SRP_OK, PASSWORD_OK, CAPTCHA_BAD, CAPTCHA_BAD, CAPTCHA_OK], TOKENS),
        ([SRP_OK, PASSWORD_OK, CAPTCHA_BAD, CAPTCHA_BAD, CAPTCHA_BAD], DENIED),
    ],
    ids=[
        "srp-then-password",
        "password-then-captcha",
        "captcha-solved-tokens",
        "one-wrong-retry",
        "one-wrong-then-right",
        "two-wrong-retry",
        "two-wrong-then-right",
        "three-wrong-fails",
    ],
)
def test_accepted_sequence(lambda_context, session, expected) -> None:
    assert MAX_ATTEMPTS == 3
    assert run(lambda_context, session) == expected


# --- Threats and malformed input: every one is denied ----------------------------------------

BAD_SESSIONS = {
    "empty-session-no-password-first": [],
    "captcha-before-password": [SRP_OK, CAPTCHA_OK],
    "captcha-alone": [CAPTCHA_OK],
    "password-failed": [SRP_OK, PASSWORD_BAD],
    "password-failed-then-captcha": [SRP_OK, PASSWORD_BAD, CAPTCHA_OK],
    "srp-a-failed": [{**SRP_OK, "challengeResult": False}],
    "password-verifier-without-srp": [PASSWORD_OK],
    "srp-twice": [SRP_OK, SRP_OK],
    "admin-no-srp-auth": [{"challengeName": "ADMIN_NO_SRP_AUTH", "challengeResult": True}],
    "sms-mfa-instead-of-password": [SRP_OK, {"challengeName": "SMS_MFA", "challengeResult": True}],
    "device-srp-in-captcha-slot": [SRP_OK, PASSWORD_OK, {"challengeName": "DEVICE_SRP_AUTH", "challengeResult": True}],
    "unknown-challenge-name": [SRP_OK, PASSWORD_OK, {"challengeName": "MAGIC", "challengeResult": True}],
    "captcha-with-other-metadata": [SRP_OK, PASSWORD_OK, {**CAPTCHA_OK, "challengeMetadata": "OTHER"}],
    "captcha-without-metadata": [SRP_OK, PASSWORD_OK, {**CAPTCHA_OK, "challengeMetadata": None}],
    "captcha-metadata-wrong-case": [SRP_OK, PASSWORD_OK, {**CAPTCHA_OK, "challengeMetadata": "captcha_challenge"}],
    "too-many-rounds": [SRP_OK, PASSWORD_OK, CAPTCHA_BAD, CAPTCHA_BAD, CAPTCHA_BAD, CAPTCHA_OK],
    "success-then-more-rounds": [SRP_OK, PASSWORD_OK, CAPTCHA_OK, CAPTCHA_OK],
    "password-again-after-captcha": [SRP_OK, PASSWORD_OK, CAPTCHA_BAD, PASSWORD_OK],
    "result-is-string-true": [SRP_OK, PASSWORD_OK, {**CAPTCHA_OK, "challengeResult": "true"}],
    "result-is-int-one": [SRP_OK, PASSWORD_OK, {**CAPTCHA_OK, "challengeResult": 1}],
    "result-missing": [
        SRP_OK,
        PASSWORD_OK,
        {"challengeName": "CUSTOM_CHALLENGE", "challengeMetadata": CAPTCHA_CHALLENGE},
    ],
    "password-result-string": [SRP_OK, {**PASSWORD_OK, "challengeResult": "True"}],
    "name-not-a-string": [SRP_OK, PASSWORD_OK, {**CAPTCHA_OK, "challengeName": ["CUSTOM_CHALLENGE"]}],
    "metadata-not-a-string": [SRP_OK, PASSWORD_OK, {**CAPTCHA_OK, "challengeMetadata": {"x": 1}}],
    "entry-not-an-object": [SRP_OK, PASSWORD_OK, "CUSTOM_CHALLENGE"],
    "entry-null": [SRP_OK, None],
    "session-is-a-string": "SRP_A,PASSWORD_VERIFIER,CUSTOM_CHALLENGE",
    "session-is-an-object": {"0": SRP_OK},
    "session-null": None,
}


@pytest.mark.parametrize("session", BAD_SESSIONS.values(), ids=BAD_SESSIONS.keys())
def test_bad_session_is_denied(lambda_context, session) -> None:
    assert run(lambda_context, session) == DENIED


def test_session_missing_is_denied(lambda_context) -> None:
    event = load_event("define_auth_challenge")
    del event["request"]["session"]
    assert lambda_handler(event, lambda_context)["response"] == DENIED


def test_request_missing_is_denied(lambda_context) -> None:
    event = load_event("define_auth_challenge")
    del event["request"]
    assert lambda_handler(event, lambda_context)["response"] == DENIED


@pytest.mark.parametrize("user_not_found", ["false", 0, [], {}], ids=["string", "int", "list", "object"])
def test_malformed_user_not_found_is_denied(lambda_context, user_not_found) -> None:
    assert run(lambda_context, [SRP_OK], user_not_found=user_not_found) == DENIED


def test_client_metadata_cannot_skip_the_captcha(lambda_context) -> None:
    metadata = {"skipCaptcha": "true", "issueTokens": "true", "challengeResult": "true"}
    assert run(lambda_context, [SRP_OK, PASSWORD_OK], clientMetadata=metadata) == NEXT_CAPTCHA


# --- Unknown users ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "session",
    [[SRP_OK], [SRP_OK, PASSWORD_OK], [SRP_OK, PASSWORD_OK, CAPTCHA_BAD]],
    ids=["after-srp", "after-password", "after-wrong-answer"],
)
def test_unknown_user_sees_the_same_steps(lambda_context, session) -> None:
    assert run(lambda_context, session, user_not_found=True) == run(lambda_context, session)


def test_unknown_user_never_gets_tokens(lambda_context) -> None:
    assert run(lambda_context, [SRP_OK, PASSWORD_OK, CAPTCHA_OK], user_not_found=True) == DENIED


# --- The configured limit ------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_attempt_limit_is_configurable(limit: int) -> None:
    wrong = [SRP_OK, PASSWORD_OK] + [CAPTCHA_BAD] * limit
    assert decide(wrong, user_not_found=False, max_attempts=limit).fail_authentication
    last_chance = [SRP_OK, PASSWORD_OK] + [CAPTCHA_BAD] * (limit - 1) + [CAPTCHA_OK]
    assert decide(last_chance, user_not_found=False, max_attempts=limit).issue_tokens


def test_decision_is_logged_without_the_session(lambda_context, captured_logs) -> None:
    run(lambda_context, [SRP_OK, PASSWORD_OK, CAPTCHA_BAD])
    logs = captured_logs()
    (line,) = logs.splitlines()
    assert json.loads(line) == {
        "message": "define",
        "decision": "next",
        "reason": "captcha_retry",
    }  # no request id on a decision line: common.py says why
    assert "jane.doe@example.com" not in logs
    assert "CAPTCHA_CHALLENGE" not in logs
    assert "session" not in logs


def test_issuing_tokens_writes_no_line_here(lambda_context, captured_logs) -> None:
    """Post-authentication's `sign_in` line is that decision's one record."""
    assert run(lambda_context, [SRP_OK, PASSWORD_OK, CAPTCHA_OK])["issueTokens"] is True
    assert captured_logs() == ""
