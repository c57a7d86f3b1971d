"""The sign-in CLI's own logic: error mapping, CAPTCHA parsing, token file, arguments."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from signin.cli import parse_args, preview, write_tokens
from signin.flow import ExitCode, SignInError, Tokens, explain, parse_captcha


def client_error(code: str, message: str = "") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "RespondToAuthChallenge")


@pytest.mark.parametrize(
    ("code", "message", "step", "expected"),
    [
        ("NotAuthorizedException", "Incorrect username or password.", "password", ExitCode.WRONG_PASSWORD),
        ("NotAuthorizedException", "Incorrect username or password.", "captcha", ExitCode.CAPTCHA_FAILED),
        ("NotAuthorizedException", "Invalid session for the user, session is expired.", "captcha", 6),
        ("ExpiredCodeException", "", "captcha", ExitCode.SESSION_EXPIRED),
        ("UserNotFoundException", "User does not exist.", "password", ExitCode.UNKNOWN_USER),
        ("TooManyRequestsException", "Rate exceeded", "password", ExitCode.THROTTLED),
        ("LimitExceededException", "", "captcha", ExitCode.THROTTLED),
        ("ForbiddenException", "Request not allowed due to WAF block.", "password", ExitCode.THROTTLED),
        ("UserLambdaValidationException", "CreateAuthChallenge failed with error x.", "captcha", 9),
        ("NotAuthorizedException", "Password attempts exceeded", "password", ExitCode.LOCKED_OUT),
        (
            "UserLambdaValidationException",
            "DefineAuthChallenge failed with error SIGN_IN_LOCKED: too many failed sign-ins, try again later.",
            "password",
            ExitCode.LOCKED_OUT,
        ),
        ("InvalidLambdaResponseException", "DefineAuthChallenge returned error: SIGN_IN_LOCKED", "password", 10),
        ("NotAuthorizedException", "Max authentication attempts exceeded", "captcha", ExitCode.CAPTCHA_FAILED),
        ("ResourceNotFoundException", "User pool client does not exist.", "password", ExitCode.CONFIGURATION),
    ],
)
def test_each_failure_has_its_exit_code(code: str, message: str, step: str, expected: int) -> None:
    error = explain(client_error(code, message), step=step)
    assert error.code == expected
    assert "\n" not in str(error)
    assert "failed with error" not in str(error)  # a trigger's text is never repeated


def captcha_parameters(**overrides: str) -> dict[str, str]:
    png = base64.b64encode(b"\x89PNG fake").decode()
    return {
        "captchaFormat": "image",
        "captchaUrl": f"data:image/png;base64,{png}",
        "attempt": "2",
        "maxAttempts": "3",
        "attemptsLeft": "2",
        **overrides,
    }


def test_captcha_is_decoded() -> None:
    captcha = parse_captcha(captcha_parameters())
    assert (captcha.media_type, captcha.data, captcha.attempt, captcha.attempts_left) == (
        "image/png",
        b"\x89PNG fake",
        2,
        2,
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"captchaUrl": "https://example.com/captcha.png"},
        {"captchaUrl": "data:image/png;base64,@@@"},
        {"attempt": "two"},
        {"captchaUrl": "data:image/png,rawbytes"},
    ],
    ids=["remote-url", "bad-base64", "attempt-not-a-number", "not-base64"],
)
def test_malformed_captcha_is_refused_cleanly(overrides: dict[str, str]) -> None:
    with pytest.raises(SignInError) as refused:
        parse_captcha(captcha_parameters(**overrides))
    assert refused.value.code == ExitCode.TRIGGER_FAILED


def test_token_file_is_private_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text("old")
    path.chmod(0o644)
    previous = os.umask(0)
    try:
        write_tokens(path, Tokens(id_token="a.b.c", access_token="d", refresh_token="e", expires_in=3600))
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert '"IdToken": "a.b.c"' in path.read_text()


def test_token_file_never_writes_through_a_link(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_text("untouched")
    link = tmp_path / "tokens.json"
    link.symlink_to(target)
    write_tokens(link, Tokens(id_token="a.b.c", access_token="d", refresh_token=None, expires_in=1))
    assert target.read_text() == "untouched"
    assert not link.is_symlink() and stat.S_IMODE(link.stat().st_mode) == 0o600
    assert sorted(tmp_path.iterdir()) == sorted([target, link])  # no temporary file left behind


def test_claims_are_decoded_for_display() -> None:
    payload = base64.urlsafe_b64encode(b'{"sub":"abc","email":"j@example.com","exp":1}').decode().rstrip("=")
    assert Tokens(id_token=f"h.{payload}.s", access_token="", refresh_token=None, expires_in=0).claims()["sub"] == "abc"


def test_client_metadata_pairs(capsys) -> None:
    args = parse_args(["--client-metadata", "platform=cli", "--client-metadata", "note=a=b"])
    assert args.metadata == {"platform": "cli", "note": "a=b"}
    with pytest.raises(SystemExit) as usage:
        parse_args(["--client-metadata", "novalue"])
    assert usage.value.code == ExitCode.USAGE
    assert "KEY=VALUE" in capsys.readouterr().err


def test_there_is_no_password_flag(capsys) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--password", "hunter2"])
    assert "unrecognized arguments" in capsys.readouterr().err


def test_preview_draws_the_image_in_text() -> None:
    from captcha_auth.challenge import image_data_url

    png = base64.b64decode(image_data_url("AFHKMRW").split(",", 1)[1])
    rows = preview(png, width=40).splitlines()
    assert len(rows) >= 5 and all(len(row) == 40 for row in rows)
    assert len(set("".join(rows))) > 2  # not a blank block
