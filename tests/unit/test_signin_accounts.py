"""The flow's account steps against Cognito's documented responses (botocore's Stubber checks
every request against the service model): a temporary password's NEW_PASSWORD_REQUIRED, and
the forgotten-password reset. The deployed triggers are not involved here; the end-to-end tests
(tests/e2e/test_cli_account_flows.py) run both against the emulator."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from captcha_auth.challenge import image_data_url
from signin.cli import reset_password
from signin.flow import (
    MESSAGES,
    Captcha,
    ExitCode,
    SignInError,
    confirm_password_reset,
    request_password_reset,
    sign_in,
)

POOL, CLIENT, EMAIL = "us-east-1_Test123", "client123abc", "invited@example.com"
METADATA = {"captchaFormat": "image", "platform": "cli"}
NEW = "New-password-123!"
SESSION = "s" * 40
INTERNAL_NAME = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"  # the pool's username behind the email alias


@pytest.fixture
def idp() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "cognito-idp", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def tokens() -> dict[str, Any]:
    payload = base64.urlsafe_b64encode(json.dumps({"sub": "x", "exp": 1}).encode()).decode().rstrip("=")
    return {"AuthenticationResult": {"IdToken": f"h.{payload}.s", "AccessToken": "a", "ExpiresIn": 3600}}


def to_password_proof(stubber: Stubber) -> None:
    """InitiateAuth answers PASSWORD_VERIFIER; the SRP proof is computed by pycognito as usual."""
    stubber.add_response(
        "initiate_auth",
        {
            "ChallengeName": "PASSWORD_VERIFIER",
            "Session": SESSION,
            "ChallengeParameters": {
                "USER_ID_FOR_SRP": INTERNAL_NAME,
                "SRP_B": "ab" * 96,
                "SALT": "1234abcd",
                "SECRET_BLOCK": base64.b64encode(b"secret block").decode(),
            },
        },
        {"ClientId": CLIENT, "AuthFlow": "CUSTOM_AUTH", "AuthParameters": ANY},
    )


def new_password_required(required: str = "[]") -> dict[str, Any]:
    return {
        "ChallengeName": "NEW_PASSWORD_REQUIRED",
        "Session": SESSION,
        "ChallengeParameters": {
            "USER_ID_FOR_SRP": INTERNAL_NAME,
            "requiredAttributes": required,
            "userAttributes": json.dumps({"email": EMAIL, "email_verified": "true"}),
        },
    }


def captcha_challenge() -> dict[str, Any]:
    parameters = {"captchaFormat": "image", "captchaUrl": image_data_url("AFHKMR")}
    parameters |= {"attempt": "1", "maxAttempts": "3", "attemptsLeft": "3", "USERNAME": INTERNAL_NAME}
    return {"ChallengeName": "CUSTOM_CHALLENGE", "Session": SESSION, "ChallengeParameters": parameters}


def proof_answers(stubber: Stubber, response: dict[str, Any]) -> None:
    stubber.add_response(
        "respond_to_auth_challenge",
        response,
        {
            "ClientId": CLIENT,
            "ChallengeName": "PASSWORD_VERIFIER",
            "Session": SESSION,
            "ChallengeResponses": ANY,
            "ClientMetadata": METADATA,
        },
    )


NEW_PASSWORD_REQUEST = {
    "ClientId": CLIENT,
    "ChallengeName": "NEW_PASSWORD_REQUIRED",
    "Session": SESSION,
    "ChallengeResponses": {"USERNAME": INTERNAL_NAME, "NEW_PASSWORD": NEW},
    "ClientMetadata": METADATA,
}


def run(client: Any, events: list[str], *, can_ask: bool = True) -> Any:
    def solve(captcha: Captcha) -> str:
        events.append("captcha")
        return "AFHKMR"

    def ask() -> str:
        events.append("new password")
        return NEW

    return sign_in(
        client,
        pool_id=POOL,
        client_id=CLIENT,
        username=EMAIL,
        password="Temporary-password-1!",
        solve=solve,
        client_metadata=METADATA,
        new_password=ask if can_ask else None,
    )


def test_a_new_password_then_the_captcha_then_tokens(idp) -> None:
    """What the CAPTCHA needs from the pool: after the new password, Define runs again and asks
    for the CAPTCHA. The client follows whatever comes next."""
    client, stubber = idp
    to_password_proof(stubber)
    proof_answers(stubber, new_password_required())
    stubber.add_response("respond_to_auth_challenge", captcha_challenge(), NEW_PASSWORD_REQUEST)
    stubber.add_response(
        "respond_to_auth_challenge",
        tokens(),
        {
            "ClientId": CLIENT,
            "ChallengeName": "CUSTOM_CHALLENGE",
            "Session": SESSION,
            "ChallengeResponses": {"USERNAME": INTERNAL_NAME, "ANSWER": "AFHKMR"},
            "ClientMetadata": METADATA,
        },
    )
    events: list[str] = []
    assert run(client, events).access_token == "a"
    assert events == ["new password", "captcha"]


def test_tokens_straight_after_the_new_password_are_the_pools_decision(idp) -> None:
    """A public report (amazon-cognito-identity-js#341) says Cognito has answered
    NEW_PASSWORD_REQUIRED inside CUSTOM_AUTH with tokens, no custom challenge: a client can't
    add a CAPTCHA the pool skipped, so it takes the tokens; only the pool can prevent it."""
    client, stubber = idp
    to_password_proof(stubber)
    proof_answers(stubber, new_password_required())
    stubber.add_response("respond_to_auth_challenge", tokens(), NEW_PASSWORD_REQUEST)
    events: list[str] = []
    assert run(client, events).access_token == "a"
    assert events == ["new password"]


def test_a_new_password_against_the_rules_has_its_own_exit_code(idp) -> None:
    client, stubber = idp
    to_password_proof(stubber)
    proof_answers(stubber, new_password_required())
    stubber.add_client_error(
        "respond_to_auth_challenge",
        "InvalidPasswordException",
        "Password does not conform to policy: Password not long enough",
        expected_params=NEW_PASSWORD_REQUEST,
    )
    events: list[str] = []
    with pytest.raises(SignInError) as refused:
        run(client, events)
    assert (refused.value.code, str(refused.value)) == (ExitCode.PASSWORD_RULES, MESSAGES["passwordRules"])
    assert events == ["new password"]


def test_a_session_that_expired_while_choosing(idp) -> None:
    client, stubber = idp
    to_password_proof(stubber)
    proof_answers(stubber, new_password_required())
    stubber.add_client_error("respond_to_auth_challenge", "NotAuthorizedException", "Invalid session for the user.")
    with pytest.raises(SignInError) as refused:
        run(client, [])
    assert refused.value.code == ExitCode.SESSION_EXPIRED


def test_attributes_this_client_does_not_collect_are_refused_before_asking(idp) -> None:
    client, stubber = idp
    to_password_proof(stubber)
    proof_answers(stubber, new_password_required(required='["userAttributes.name"]'))
    events: list[str] = []
    with pytest.raises(SignInError) as refused:
        run(client, events)
    assert refused.value.code == ExitCode.CONFIGURATION
    assert events == []


def test_without_a_way_to_ask_the_new_password_is_a_usage_error(idp) -> None:
    client, stubber = idp
    to_password_proof(stubber)
    proof_answers(stubber, new_password_required())
    with pytest.raises(SignInError) as refused:
        run(client, [], can_ask=False)
    assert (refused.value.code, str(refused.value)) == (ExitCode.USAGE, MESSAGES["newPasswordRequired"])


def test_a_second_new_password_request_is_not_answered(idp) -> None:
    client, stubber = idp
    to_password_proof(stubber)
    proof_answers(stubber, new_password_required())
    stubber.add_response("respond_to_auth_challenge", new_password_required(), NEW_PASSWORD_REQUEST)
    events: list[str] = []
    with pytest.raises(SignInError) as refused:
        run(client, events)
    assert refused.value.code == ExitCode.CONFIGURATION
    assert events == ["new password"]


# --- the forgotten password ----------------------------------------------------------------


def test_reset_request_carries_client_metadata(idp) -> None:
    client, stubber = idp
    stubber.add_response(
        "forgot_password",
        {"CodeDeliveryDetails": {"Destination": "i***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}},
        {"ClientId": CLIENT, "Username": EMAIL, "ClientMetadata": METADATA},
    )
    assert request_password_reset(client, client_id=CLIENT, username=EMAIL, client_metadata=METADATA) is None


def test_an_unknown_user_is_answered_as_a_known_one(idp) -> None:
    """Where the pool reveals unknown users (the emulator; a pool without
    PreventUserExistenceErrors), the client still says nothing about it."""
    client, stubber = idp
    stubber.add_client_error("forgot_password", "UserNotFoundException", "Username/client id combination not found.")
    assert request_password_reset(client, client_id=CLIENT, username=EMAIL) is None


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("LimitExceededException", ExitCode.THROTTLED),
        ("TooManyRequestsException", ExitCode.THROTTLED),
        ("ResourceNotFoundException", ExitCode.CONFIGURATION),
    ],
)
def test_reset_request_failures(idp, code: str, expected: ExitCode) -> None:
    client, stubber = idp
    stubber.add_client_error("forgot_password", code, "x")
    with pytest.raises(SignInError) as refused:
        request_password_reset(client, client_id=CLIENT, username=EMAIL)
    assert refused.value.code == expected


CONFIRM_REQUEST = {
    "ClientId": CLIENT,
    "Username": EMAIL,
    "ConfirmationCode": "123456",
    "Password": NEW,
    "ClientMetadata": METADATA,
}


def confirm(client: Any, code: str = "123456") -> None:
    confirm_password_reset(
        client, client_id=CLIENT, username=EMAIL, code=code, new_password=NEW, client_metadata=METADATA
    )


def test_reset_confirmation(idp) -> None:
    client, stubber = idp
    stubber.add_response("confirm_forgot_password", {}, CONFIRM_REQUEST)
    confirm(client, code=" 123456 ")  # pasted with spaces


@pytest.mark.parametrize(
    ("code", "expected", "message"),
    [
        ("CodeMismatchException", ExitCode.RESET_CODE_WRONG, "resetCodeWrong"),
        ("ExpiredCodeException", ExitCode.RESET_CODE_WRONG, "resetCodeWrong"),
        ("UserNotFoundException", ExitCode.RESET_CODE_WRONG, "resetCodeWrong"),  # as a wrong code
        ("InvalidPasswordException", ExitCode.PASSWORD_RULES, "passwordRules"),
        ("LimitExceededException", ExitCode.THROTTLED, "throttled"),
        ("TooManyFailedAttemptsException", ExitCode.THROTTLED, "throttled"),
    ],
)
def test_reset_confirmation_failures(idp, code: str, expected: ExitCode, message: str) -> None:
    client, stubber = idp
    stubber.add_client_error("confirm_forgot_password", code, "x", expected_params=CONFIRM_REQUEST)
    with pytest.raises(SignInError) as refused:
        confirm(client)
    assert (refused.value.code, str(refused.value)) == (expected, MESSAGES[message])


def test_an_empty_code_is_not_sent(idp) -> None:
    client, _ = idp
    with pytest.raises(SignInError) as refused:
        confirm(client, code="  ")
    assert refused.value.code == ExitCode.RESET_CODE_WRONG


def test_the_cli_says_the_same_whether_or_not_the_account_exists(idp, monkeypatch, capsys) -> None:
    """The terminal shows the same lines, in the same order, for a known and an unknown user
    up to the code's verdict; neither the code nor the new password is ever printed."""
    client, stubber = idp
    monkeypatch.setenv("CAPTCHA_SIGNIN_RESET_CODE", "123456")
    monkeypatch.setenv("CAPTCHA_SIGNIN_NEW_PASSWORD", NEW)
    delivery = {
        "CodeDeliveryDetails": {"Destination": "i***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    }
    stubber.add_response("forgot_password", delivery)
    stubber.add_response("confirm_forgot_password", {}, CONFIRM_REQUEST)
    reset_password(client, CLIENT, EMAIL, METADATA)
    known = capsys.readouterr()

    stubber.add_client_error("forgot_password", "UserNotFoundException", "not found")
    stubber.add_client_error("confirm_forgot_password", "UserNotFoundException", "not found")
    with pytest.raises(SignInError) as refused:
        reset_password(client, CLIENT, EMAIL, METADATA)
    unknown = capsys.readouterr()

    assert known.err == unknown.err == MESSAGES["resetCodeSent"] + "\n"
    assert known.out == MESSAGES["passwordReset"] + "\n" and unknown.out == ""
    assert refused.value.code == ExitCode.RESET_CODE_WRONG
    assert all(secret not in known.out + known.err for secret in ("123456", NEW))
