"""Define with the failure counter, through the real handler and the emulator's DynamoDB: a
username whose sign-ins keep spending every CAPTCHA attempt is refused, whoever it is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from typing import Any

import pytest

from captcha_auth import define_auth_challenge
from captcha_auth.common import CAPTCHA_CHALLENGE
from captcha_auth.define_auth_challenge import LOCKED_OUT_MESSAGE, SignInLocked, lambda_handler
from captcha_auth.failure_counter import FailureCounter
from offline.emulator import emulator_credentials
from signin.flow import LOCKED_OUT_MARKER
from signin.project import ROOT
from stacks.captcha_auth.monitoring import METRIC_FILTERS
from tests.support import load_event

SRP = {"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None}
PASSWORD = {"challengeName": "PASSWORD_VERIFIER", "challengeResult": True, "challengeMetadata": None}
WRONG = {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": False, "challengeMetadata": CAPTCHA_CHALLENGE}
RIGHT = {**WRONG, "challengeResult": True}
THRESHOLD = int(define_auth_challenge.LOCKOUT.threshold)


def define(session: list[dict[str, Any]], username: str, *, user_not_found: bool = False) -> dict[str, Any]:
    event = load_event("define_auth_challenge")
    event["userName"] = username
    event["request"]["session"] = session
    event["request"]["userNotFound"] = user_not_found
    if user_not_found:  # Cognito sends no attributes for a user it doesn't have
        event["request"]["userAttributes"] = {}
    else:
        event["request"]["userAttributes"]["sub"] = f"sub-of-{username}"
    return lambda_handler(event, None)["response"]  # type: ignore[arg-type]


def to_captcha(username: str, **kwargs: Any) -> None:
    """A sign-in up to its first CAPTCHA, as Cognito calls Define: the password is proved."""
    assert define([SRP], username, **kwargs)["challengeName"] == "PASSWORD_VERIFIER"
    assert define([SRP, PASSWORD], username, **kwargs)["challengeName"] == "CUSTOM_CHALLENGE"


def failed_sign_in(username: str, **kwargs: Any) -> dict[str, Any]:
    to_captcha(username, **kwargs)
    return define([SRP, PASSWORD, WRONG, WRONG, WRONG], username, **kwargs)


@pytest.fixture
def username() -> str:
    return f"user-{uuid.uuid4().hex[:8]}@example.com"


@pytest.mark.parametrize("user_not_found", [False, True], ids=["known", "unknown"])
def test_after_n_exhausted_sign_ins_the_username_is_refused_before_its_password(
    username: str, user_not_found: bool
) -> None:
    for _ in range(THRESHOLD):
        assert failed_sign_in(username, user_not_found=user_not_found)["failAuthentication"] is True
    with pytest.raises(SignInLocked) as refused:
        define([SRP], username, user_not_found=user_not_found)
    assert str(refused.value) == LOCKED_OUT_MESSAGE
    assert LOCKED_OUT_MARKER in LOCKED_OUT_MESSAGE  # what the clients look for
    assert username not in LOCKED_OUT_MESSAGE


def test_sign_ins_opened_at_once_before_a_lock_dont_all_get_their_captchas(username: str, captured_logs: Any) -> None:
    """An attacker who knows the password opens many sign-ins before any failure is counted:
    each passes the lock check at its start. Proving the password in each, only the threshold's
    worth reach a CAPTCHA; the rest are refused as locked, and logged as such."""
    opened = 3 * THRESHOLD
    for _ in range(opened):
        assert define([SRP], username)["challengeName"] == "PASSWORD_VERIFIER"
    reached = 0
    for _ in range(opened):
        try:
            reached += define([SRP, PASSWORD], username)["challengeName"] == "CUSTOM_CHALLENGE"
        except SignInLocked:
            continue
    assert reached == THRESHOLD
    assert metrics(captured_logs()).count("LockedOut") == opened - THRESHOLD


def test_sign_ins_abandoned_before_their_last_answer_count_too(username: str) -> None:
    """A bot that answers one CAPTCHA wrong and starts again, every time, is still counted."""
    for _ in range(THRESHOLD):
        to_captcha(username)
        assert define([SRP, PASSWORD, WRONG], username)["challengeName"] == "CUSTOM_CHALLENGE"  # then gone
    with pytest.raises(SignInLocked):
        define([SRP], username)


def test_a_successful_sign_in_resets_the_count(username: str) -> None:
    for _ in range(THRESHOLD - 1):
        failed_sign_in(username)
    to_captcha(username)  # the sign-in that succeeds is counted too, until it succeeds
    assert define([SRP, PASSWORD, WRONG, RIGHT], username)["issueTokens"] is True
    for _ in range(THRESHOLD - 1):
        failed_sign_in(username)
    assert define([SRP], username)["challengeName"] == "PASSWORD_VERIFIER"


def test_a_wrong_password_or_a_later_round_counts_nothing(username: str) -> None:
    failed_password = {**PASSWORD, "challengeResult": False}
    for _ in range(THRESHOLD + 1):
        assert define([SRP, failed_password], username)["failAuthentication"] is True
        assert define([SRP, PASSWORD, WRONG], username)["challengeName"] == "CUSTOM_CHALLENGE"
    assert define([SRP], username)["challengeName"] == "PASSWORD_VERIFIER"


@pytest.fixture
def unreachable_counter(monkeypatch: pytest.MonkeyPatch) -> None:
    from captcha_auth.aws_json import DYNAMODB, Client

    endpoint = "http://127.0.0.1:9"  # discard port: connection refused
    client = Client(DYNAMODB, endpoint, timeout=0.5, attempts=2, environ=emulator_credentials(endpoint))
    counter = FailureCounter(client, "any", lambda: b"k" * 64, define_auth_challenge.LOCKOUT)
    monkeypatch.setattr(define_auth_challenge, "_counter", lambda: counter)


def metrics(logs: str) -> list[str]:
    """What the construct's metric filters on Define's log group count in these lines."""
    return [
        name
        for line in logs.splitlines()
        for name, alternatives in METRIC_FILTERS["define"].items()
        if any(json.loads(line).get(field) == value for field, value in alternatives)
    ]


@pytest.mark.usefixtures("unreachable_counter")
def test_an_unreachable_counter_fails_closed_with_a_log_line_and_a_metric(username: str, captured_logs: Any) -> None:
    assert define([SRP], username) == {"issueTokens": False, "failAuthentication": True}
    assert define([SRP, PASSWORD], username)["failAuthentication"] is True
    assert define([SRP, PASSWORD, RIGHT], username)["failAuthentication"] is True
    lines = [json.loads(line) for line in captured_logs().splitlines()]
    assert len(lines) == 3  # one a decision, the error in it
    assert all(line["level"] == "ERROR" and line["reason"] == "counter_unreachable" for line in lines)
    assert metrics(captured_logs()).count("CounterUnreachable") == 3


@pytest.mark.usefixtures("unreachable_counter")
def test_fail_open_lets_the_sign_in_go_on_uncounted(username: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(define_auth_challenge, "COUNTER_FAIL_OPEN", True)
    assert define([SRP], username)["challengeName"] == "PASSWORD_VERIFIER"
    assert define([SRP, PASSWORD], username)["challengeName"] == "CUSTOM_CHALLENGE"
    assert define([SRP, PASSWORD, RIGHT], username)["issueTokens"] is True


def test_a_users_sub_keys_the_count_whatever_spelling_of_the_name_signs_in(username: str) -> None:
    sub = f"sub-{username}"
    spellings = [username, username.upper(), username + "\u200b"]  # one account, three spellings
    event = load_event("define_auth_challenge")
    event["request"]["userAttributes"]["sub"] = sub
    for attempt in range(THRESHOLD):
        event["userName"] = spellings[attempt % len(spellings)]
        for session in ([SRP], [SRP, PASSWORD]):  # to the CAPTCHA: one failure counted
            event["request"]["session"] = session
            lambda_handler(event, None)
    event["request"]["session"] = [SRP]
    with pytest.raises(SignInLocked):
        lambda_handler(event, None)


def test_metrics_name_what_happened_and_carry_no_username(username: str, captured_logs: Any) -> None:
    define([SRP, PASSWORD, RIGHT], username)  # tokens: counted by post-authentication's line
    define([SRP, PASSWORD, WRONG], username)
    for _ in range(THRESHOLD):
        failed_sign_in(username)
    with pytest.raises(SignInLocked):
        define([SRP], username)
    logs = captured_logs()
    counted = metrics(logs)
    assert counted.count("WrongAnswer") == 1 + THRESHOLD and counted.count("AttemptsExhausted") == THRESHOLD
    assert counted[-1] == "LockedOut" and "TriggerError" not in counted
    assert username not in logs and "example.com" not in logs


# A new container's first call, in a fresh interpreter: which steps make the counter's clients
# (with their TLS context, most of what they cost) and which do not.
FIRST_CALL = """
import json, sys
from captcha_auth.define_auth_challenge import _counter, lambda_handler
event = json.loads(sys.argv[1])
response = lambda_handler(event, None)["response"]
made = _counter.cache_info().currsize == 1
sdk = "botocore.session" in sys.modules
print(json.dumps({"fails": response["failAuthentication"], "clients": made, "botocore": sdk}))
"""


@pytest.mark.parametrize(
    ("session", "fails", "clients"),
    [
        ([SRP, PASSWORD, WRONG], False, False),  # a wrong answer: another round, nothing counted
        ([SRP, {**PASSWORD, "challengeResult": False}], True, False),  # a wrong password: Cognito counts it
        ([], True, False),  # no password step: refused
        ([SRP, PASSWORD], False, True),  # the count
    ],
    ids=["wrong-answer", "wrong-password", "refused", "counted"],
)
def test_only_the_counters_steps_make_its_clients(
    username: str, session: list[dict[str, Any]], fails: bool, clients: bool
) -> None:
    event = load_event("define_auth_challenge")
    event["userName"] = username
    event["request"]["session"] = session
    env = {**os.environ, "PYTHONPATH": str(ROOT / "lambdas")}
    result = subprocess.run(
        [sys.executable, "-c", FIRST_CALL, json.dumps(event)], env=env, capture_output=True, text=True, check=True
    )
    # botocore's session is never loaded: the clients are aws_json's (the cold start's biggest part)
    assert json.loads(result.stdout.splitlines()[-1]) == {"fails": fails, "clients": clients, "botocore": False}


def test_a_counter_that_cannot_be_made_fails_its_steps_closed_and_spares_the_others(
    username: str, monkeypatch: pytest.MonkeyPatch, captured_logs: Any
) -> None:
    """Made on first use now: where making it fails, the steps that need it are refused as an
    internal error, and a wrong answer still gets its next round."""

    def broken() -> FailureCounter:
        raise RuntimeError("no client")

    monkeypatch.setattr(define_auth_challenge, "_counter", broken)
    for session in ([SRP], [SRP, PASSWORD], [SRP, PASSWORD, RIGHT]):
        response = define(session, username)
        assert (response["failAuthentication"], response["issueTokens"]) == (True, False), session
    assert define([SRP, PASSWORD, WRONG], username)["challengeName"] == "CUSTOM_CHALLENGE"
    lines = [json.loads(line) for line in captured_logs().splitlines() if line.strip()]
    assert [line.get("reason") for line in lines if line.get("error") == "internal"] == ["internal_error"] * 3


@pytest.mark.parametrize(
    ("secret", "error_type"),
    [(None, "ResourceNotFoundException"), ("", "malformed")],
    ids=["no-such-secret", "no-secret-string"],
)
def test_a_hashing_key_that_cant_be_read_is_an_unreachable_counter(
    username: str,
    local_aws_endpoint: str,
    monkeypatch: pytest.MonkeyPatch,
    captured_logs: Any,
    secret: str | None,
    error_type: str,
) -> None:
    """Read from Secrets Manager at the first counter step: a missing secret, or one with no
    value, fails that step closed as counter_unreachable (and open where so configured)."""
    from offline.local_aws import aws_client

    arn = "arn:aws:secretsmanager:us-east-1:000000000000:secret:missing-AbCdEf"
    if secret is not None:
        created = aws_client("secretsmanager", local_aws_endpoint).create_secret(
            Name=f"empty-{uuid.uuid4().hex[:8]}", SecretBinary=b"\x00"
        )
        arn = created["ARN"]
    monkeypatch.setattr(define_auth_challenge, "FAILURE_KEY_SECRET", arn)
    define_auth_challenge._counter.cache_clear()
    try:
        assert define([SRP], username)["failAuthentication"] is True
        (line,) = [json.loads(line) for line in captured_logs().splitlines()]
        assert (line["reason"], line["error"], line["error_type"]) == (
            "counter_unreachable",
            "counter_unreachable",
            error_type,
        )
        monkeypatch.setattr(define_auth_challenge, "COUNTER_FAIL_OPEN", True)
        assert define([SRP], username)["challengeName"] == "PASSWORD_VERIFIER"
    finally:
        define_auth_challenge._counter.cache_clear()
