"""The sign-in CLI's own logic: error mapping, CAPTCHA parsing, token file, arguments, and every
way `main` ends (one line, a documented exit code, never a traceback)."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import secrets
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from captcha_auth.challenge import image_data_url
from offline.emulator import free_port
from offline.local_aws import aws_client
from signin import cli
from signin.cli import EPILOG, NEW_PASSWORD_ENV, PASSWORD_ENV, main, new_password, parse_args, preview, write_tokens
from signin.flow import MESSAGES, ExitCode, SignInError, Tokens, explain, parse_captcha
from signin.project import ROOT


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
    return {
        "captchaFormat": "image",
        "captchaUrl": image_data_url("AFHKMR"),
        "attempt": "2",
        "maxAttempts": "3",
        "attemptsLeft": "2",
        **overrides,
    }


def test_captcha_is_decoded() -> None:
    captcha = parse_captcha(captcha_parameters())
    assert (captcha.media_type, captcha.data[:8], captcha.attempt, captcha.attempts_left) == (
        "image/png",
        b"\x89PNG\r\n\x1a\n",
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
    png = base64.b64decode(image_data_url("AFHKMRW").split(",", 1)[1])
    rows = preview(png, width=40, colour=False).splitlines()
    assert len(rows) >= 5 and all(len(row) == 40 for row in rows)
    assert len(set("".join(rows))) > 2  # not a blank block


# --- arguments: a malformed value gets one line and exit code 2 ----------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["--endpoint-url", "notaurl"],
        ["--endpoint-url", "ftp://example.com"],
        ["--endpoint-url", "http://"],
        ["--endpoint-url", "http://127.0.0.1:99999"],
        ["--endpoint-url", "http://[::1"],
        ["--endpoint-url", "http://exa mple.com"],
        ["--user-pool-id", "badpoolid"],
        ["--user-pool-id", "us-east-1_"],
        ["--user-pool-id", "us-east-1_abc/../x"],
        ["--region", "mars"],
        ["--region", "US-EAST-1"],
        ["--client-id", "abc-def"],
        ["--client-id", "a" * 129],
        ["--username", ""],
        ["--username", "jane doe@example.com"],
        ["--username", "a" * 129],
        ["--username", "\x1b[2Jjane@example.com"],
        ["--user-pool-id", "eu-west-1_AbC123", "--region", "us-east-1"],
        ["--client-metadata", "novalue"],
    ],
)
def test_malformed_input_is_refused_in_one_line(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as usage:
        parse_args(argv)
    assert usage.value.code == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "\x1b" not in err  # a value is never echoed back to the terminal


def test_well_formed_values_pass() -> None:
    endpoint = ["--endpoint-url", "https://cognito-idp.us-gov-west-1.amazonaws.com", "--region", "us-gov-west-1"]
    pool = ["--user-pool-id", "us-gov-west-1_AbC123", "--client-id", "1example23456789abcdefghij"]
    args = parse_args([*endpoint, *pool, "--username", " jane@example.com "])
    assert (args.user_pool_id, args.username) == ("us-gov-west-1_AbC123", "jane@example.com")


def test_every_exit_code_is_documented_once() -> None:
    table = EPILOG.split("exit codes:\n", 1)[1]
    documented = [int(match) for match in re.findall(r"^  (\d+) ", table, flags=re.MULTILINE)]
    assert sorted(documented) == sorted(int(code) for code in ExitCode)


def test_help_shows_the_exit_codes(capsys) -> None:
    with pytest.raises(SystemExit) as shown:
        parse_args(["--help"])
    assert shown.value.code == 0
    out = capsys.readouterr().out
    assert "--forgot-password" in out and "12   the reset code is wrong or expired" in out


# --- main(): every ending against the local emulator's real Cognito API ----------------------


@pytest.fixture
def pool(local_aws_endpoint: str) -> Iterator[str]:
    idp = aws_client("cognito-idp", local_aws_endpoint)
    pool_id = str(idp.create_user_pool(PoolName=f"cli-{secrets.token_hex(4)}")["UserPool"]["Id"])
    yield pool_id
    idp.delete_user_pool(UserPoolId=pool_id)


def cli_args(endpoint: str, pool_id: str) -> list[str]:
    return ["--endpoint-url", endpoint, "--region", "us-east-1", "--user-pool-id", pool_id]


def ends(argv: list[str], capsys) -> tuple[int, str]:
    code = main(argv)
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err.strip().splitlines()[-1]


def test_a_pool_that_does_not_exist_is_named_before_the_password_is_asked(local_aws_endpoint: str, capsys) -> None:
    argv = cli_args(local_aws_endpoint, "us-east-1_DoesNotExist1")
    code, last = ends([*argv, "--client-id", "abc123", "--username", "jane@example.com"], capsys)
    host = local_aws_endpoint.removeprefix("http://")
    assert (code, last) == (ExitCode.CONFIGURATION, f"error: No user pool us-east-1_DoesNotExist1 at {host}.")


def test_an_unknown_client_of_a_real_pool(local_aws_endpoint: str, pool: str, monkeypatch, capsys) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "Any-password-123!")
    code, last = ends(
        [*cli_args(local_aws_endpoint, pool), "--client-id", "nosuchclient1", "--username", "j@e.com"], capsys
    )
    assert code == ExitCode.CONFIGURATION and "ResourceNotFoundException" in last


def test_an_unreachable_endpoint(capsys) -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # bound, then released: nothing listens
    code, last = ends([*cli_args(endpoint, "us-east-1_AbC123"), "--client-id", "abc", "--username", "j@e.com"], capsys)
    assert code == ExitCode.CONFIGURATION and last.startswith(f"error: {MESSAGES['network']}")


def test_a_stack_that_does_not_exist(local_aws_endpoint: str, capsys) -> None:
    argv = ["--endpoint-url", local_aws_endpoint, "--region", "us-east-1", "--stack-name", "NoSuchStack"]
    code, last = ends([*argv, "--username", "j@e.com"], capsys)
    assert code == ExitCode.CONFIGURATION and "NoSuchStack not found" in last


@pytest.mark.parametrize(("region", "expected"), [(None, "No region"), ("not a region", "not one such as")])
def test_the_environments_region_is_checked(monkeypatch, capsys, region: str | None, expected: str) -> None:
    for variable in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(variable, raising=False)
        if region:
            monkeypatch.setenv(variable, region)
    code, last = ends(["--client-id", "abc", "--username", "j@e.com", "--stack-name", "X"], capsys)
    assert code == ExitCode.CONFIGURATION and expected in last


def test_a_profile_that_is_not_in_the_config_is_named(monkeypatch, capsys, tmp_path) -> None:
    """It said "could not reach AWS (ProfileNotFound)", naming neither the setting nor the profile."""
    (tmp_path / "config").write_text("[profile work]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_PROFILE", "nope")
    code, last = ends(["--client-id", "abc", "--username", "j@e.com", "--stack-name", "X"], capsys)
    assert (code, last) == (
        ExitCode.CONFIGURATION,
        "error: No AWS profile 'nope' (AWS_PROFILE or AWS_DEFAULT_PROFILE) in your AWS config.",
    )


def test_a_malformed_typed_email_is_a_usage_error(monkeypatch, capsys) -> None:
    monkeypatch.setattr("builtins.input", lambda prompt="": "  ")
    assert ends([], capsys) == (
        ExitCode.USAGE,
        "error: the email wants an email address (1 to 128 characters, no spaces)",
    )


@pytest.mark.parametrize("stdin", [io.StringIO(), None], ids=["pipe", "closed"])
def test_no_terminal_for_the_password(
    local_aws_endpoint: str, pool: str, monkeypatch, capsys, stdin: io.StringIO | None
) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    monkeypatch.setattr("sys.stdin", stdin)
    code, last = ends([*cli_args(local_aws_endpoint, pool), "--client-id", "abc", "--username", "j@e.com"], capsys)
    assert (code, last) == (ExitCode.USAGE, f"error: No terminal to ask on: set {PASSWORD_ENV}.")


class Terminal(io.StringIO):
    """Standard input as a person's terminal, with nothing more typed."""

    def isatty(self) -> bool:
        return True


def input_ended(instead: str) -> str:
    return f"error: The input ended before an answer: run this on a terminal, or {instead}."


@pytest.mark.parametrize(
    ("stdin", "code", "err"),
    [
        (io.StringIO(), ExitCode.USAGE, [input_ended("pass --username")]),  # a script's pipe, run dry
        (None, ExitCode.USAGE, [input_ended("pass --username")]),  # no standard input at all (fd 0 closed)
        (Terminal(), ExitCode.CANCELLED, ["", "cancelled"]),  # Ctrl-D: the person stops
    ],
    ids=["pipe", "closed", "terminal"],
)
def test_input_that_ends_at_the_email_prompt(
    monkeypatch, capsys, stdin: io.StringIO | None, code: ExitCode, err: list[str]
) -> None:
    """Input that runs out is a script's mistake (exit 2, which make and CI see as a failure), not
    the Ctrl-C that make treats as the way to end the demo; at a terminal, Ctrl-D cancels."""
    monkeypatch.setattr("sys.stdin", stdin)
    assert main([]) == code
    assert capsys.readouterr().err.splitlines() == err


def test_input_that_ends_at_the_answer_prompt(local_aws_endpoint: str, pool: str, monkeypatch, capsys) -> None:
    def sign_in_to_the_captcha(idp, *, solve, **_):  # the pool's side is the e2e tests' job
        solve(parse_captcha(captcha_parameters()))

    monkeypatch.setattr(cli, "sign_in", sign_in_to_the_captcha)
    monkeypatch.setattr("sys.stdin", io.StringIO())
    monkeypatch.setenv(PASSWORD_ENV, "Any-password-123!")
    argv = [*cli_args(local_aws_endpoint, pool), "--client-id", "abc", "--username", "j@e.com"]
    assert ends(argv, capsys) == (ExitCode.USAGE, input_ended("pipe in the answer"))


@pytest.mark.parametrize("typed", [["", "  ", "AB12C"], ["", "", ""]], ids=["then-an-answer", "never"])
def test_an_empty_answer_is_asked_again_not_sent(
    typed: list[str], local_aws_endpoint: str, pool: str, monkeypatch, capsys
) -> None:
    """Enter pressed too soon sent an empty answer, which spent an attempt (on the emulator, the
    sign-in's only one)."""
    sent: list[str] = []

    def sign_in_to_the_captcha(idp, *, solve, **_):  # the pool's side is the e2e tests' job
        sent.append(solve(parse_captcha(captcha_parameters())))
        raise SignInError(ExitCode.CAPTCHA_FAILED, MESSAGES["captchaFailed"])

    monkeypatch.setattr(cli, "sign_in", sign_in_to_the_captcha)
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(line + "\n" for line in typed)))
    monkeypatch.setenv(PASSWORD_ENV, "Any-password-123!")
    argv = [*cli_args(local_aws_endpoint, pool), "--client-id", "abc", "--username", "j@e.com", "--no-preview"]
    code, last = ends(argv, capsys)
    if typed[-1]:
        assert (code, sent) == (ExitCode.CAPTCHA_FAILED, ["AB12C"])
    else:
        assert (code, sent, last) == (
            ExitCode.USAGE,
            [],
            "error: No answer was typed; the CAPTCHA was not sent an empty one.",
        )


def test_ctrl_c_at_a_terminal_still_cancels(monkeypatch, capsys) -> None:
    def interrupted(prompt: str = "") -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr("builtins.input", interrupted)
    assert ends([], capsys) == (ExitCode.CANCELLED, "cancelled")


# The CLI with fd 0 closed: a launcher closes it, then execs the CLI (which keeps it closed).
CLOSED_STDIN = "import os, sys; os.close(0); os.execv(sys.executable, [sys.executable, '-m', 'signin', *sys.argv[1:]])"


@pytest.mark.parametrize("stdin", ["devnull", "closed"])
def test_the_real_process_with_no_input_exits_2_in_one_line(stdin: str) -> None:
    """As `make demo < /dev/null` or `<&-` would run it: with fd 0 closed, Python starts with
    sys.stdin None and input() raises RuntimeError, once reported as an unexpected error."""
    entry = ["-m", "signin"] if stdin == "devnull" else ["-c", CLOSED_STDIN]
    options = ["--region", "us-east-1", "--user-pool-id", "us-east-1_Abc", "--client-id", "a"]  # then the Email prompt
    result = subprocess.run(
        [sys.executable, *entry, *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL if stdin == "devnull" else None,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (ExitCode.USAGE, input_ended("pass --username") + "\n")  # one line
    # The prompt's line is ended where a prompt was shown; with no input at all, none is.
    assert result.stdout == ("Email: \n" if stdin == "devnull" else "")


# The CLI with fd 1 closed (`>&-`), as CLOSED_STDIN does for fd 0.
CLOSED_STDOUT = CLOSED_STDIN.replace("os.close(0)", "os.close(1)")


# The CLI whose run only prints its last lines (buffered, as for a pipe) and returns, as after a
# sign-in: its output is written when main ends or Python exits.
PRINTS_AT_THE_END = (
    "import sys; from signin import cli; cli.run = lambda args: cli.show('  tokens:  ...'); sys.exit(cli.main())"
)


@pytest.mark.parametrize(
    "stdout",
    [
        "closed",
        "reader-gone-at-a-prompt",
        "reader-gone-at-the-end",
        "full-disk",
        "full-disk-at-a-prompt",
        "full-disk-unbuffered",
        "reader-gone-for-both",
    ],
)
def test_the_real_process_whose_output_fails_exits_2_in_one_line(stdout: str) -> None:
    """With fd 1 closed (`>&-`) Python starts with sys.stdout None, and input() raised RuntimeError:
    "something unexpected". A pipe's or a file's output is buffered until full or until Python
    exits, so a reader that went away (`| head -1`) or a full disk made the exit's flush print
    Python's "Exception ignored" traceback and exit 120, after whatever the CLI had said; with
    PYTHONUNBUFFERED set, a full disk failed the write itself: "something unexpected (OSError)".
    Now one line on stderr, exit 2, the output lost, found at the prompt (flushed before the
    answer is read) or at the end; and with stderr gone too (`2>&1 | head -1`), still exit 2."""
    if stdout.startswith("full-disk") and not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    prints_at_the_end = stdout in ("reader-gone-at-the-end", "full-disk", "full-disk-unbuffered")
    entry = ["-c", PRINTS_AT_THE_END] if prints_at_the_end else ["-m", "signin"]
    entry = ["-c", CLOSED_STDOUT] if stdout == "closed" else entry
    options = ["--region", "us-east-1", "--user-pool-id", "us-east-1_Abc", "--client-id", "a"]  # then the Email prompt
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # a pipe's output buffered
    if stdout.endswith("-unbuffered"):
        environment["PYTHONUNBUFFERED"] = "1"
    output = None
    if stdout.startswith("full-disk"):
        output = os.open("/dev/full", os.O_WRONLY)
    elif stdout.startswith("reader-gone"):
        read_end, output = os.pipe()
        os.close(read_end)  # before the CLI writes anything
    with subprocess.Popen(
        [sys.executable, *entry, *options],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,  # no answer to the Email prompt
        stdout=output,
        stderr=output if stdout == "reader-gone-for-both" else subprocess.PIPE,
        text=True,
        env=environment,
    ) as process:
        if output is not None:
            os.close(output)
        _, stderr = process.communicate(timeout=60)
    said = None if stdout == "reader-gone-for-both" else f"error: {cli.OUTPUT_GONE}\n"  # one line, or none to be seen
    assert (process.returncode, stderr) == (ExitCode.USAGE, said)


def test_an_unexpected_error_is_one_line_without_its_text(monkeypatch, capsys) -> None:
    def broken(args):
        raise RuntimeError("Internal-Detail")

    monkeypatch.setattr(cli, "connect", broken)
    code, last = ends(["--username", "j@e.com"], capsys)
    assert code == ExitCode.INTERNAL and "RuntimeError" in last and "Internal-Detail" not in last


def test_new_password_is_asked_twice_until_both_match(monkeypatch, capsys) -> None:
    monkeypatch.delenv(NEW_PASSWORD_ENV, raising=False)
    monkeypatch.setattr("sys.stdin", type("Tty", (io.StringIO,), {"isatty": lambda self: True})())
    typed = iter(["One-password-1!", "Other-password-1!", "", "Same-password-1!", "Same-password-1!"])
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt: next(typed))
    assert new_password() == "Same-password-1!"
    assert capsys.readouterr().err.count("differ") == 2

    typed = iter(["a", "b"] * 3)
    with pytest.raises(SignInError) as refused:
        new_password()
    assert refused.value.code == ExitCode.USAGE


def test_new_password_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv(NEW_PASSWORD_ENV, "Scripted-password-1!")
    assert new_password() == "Scripted-password-1!"
    monkeypatch.setenv(NEW_PASSWORD_ENV, "")
    with pytest.raises(SignInError) as refused:
        new_password()
    assert refused.value.code == ExitCode.USAGE


@pytest.mark.parametrize("ending", ["refused", "cancelled"])
@pytest.mark.parametrize("own_directory", [True, False])
def test_the_captcha_directory_after_the_run(
    local_aws_endpoint: str, pool: str, tmp_path: Path, monkeypatch, capsys, ending: str, own_directory: bool
) -> None:
    """The CLI's own temporary directory is gone once it exits, however it ends; a --captcha-dir
    the user named is theirs to keep."""
    made: list[str] = []
    real_mkdtemp = tempfile.mkdtemp
    monkeypatch.setattr(cli.tempfile, "mkdtemp", lambda **kw: made.append(real_mkdtemp(**kw)) or made[-1])
    seen: list[Path] = []

    def sign_in_to_the_captcha(idp, *, solve, **_):  # the pool's side is the e2e tests' job
        solve(parse_captcha(captcha_parameters()))
        seen.extend(Path(made[0] if own_directory else tmp_path / "mine").iterdir())
        if ending == "cancelled":
            raise KeyboardInterrupt
        raise SignInError(ExitCode.CAPTCHA_FAILED, MESSAGES["captchaFailed"])

    monkeypatch.setattr(cli, "sign_in", sign_in_to_the_captcha)
    monkeypatch.setattr("builtins.input", lambda prompt="": "WRONG")
    monkeypatch.setenv(PASSWORD_ENV, "Any-password-123!")
    argv = [*cli_args(local_aws_endpoint, pool), "--client-id", "abc", "--username", "j@e.com"]
    argv += [] if own_directory else ["--captcha-dir", str(tmp_path / "mine")]

    code, _ = ends(argv, capsys)

    assert code == (ExitCode.CANCELLED if ending == "cancelled" else ExitCode.CAPTCHA_FAILED)
    assert len(seen) == 1 and seen[0].suffix == ".png" and seen[0].is_absolute()
    if own_directory:
        assert not Path(made[0]).exists()
    else:
        assert made == [] and seen[0].exists() and stat.S_IMODE((tmp_path / "mine").stat().st_mode) == 0o700


def test_an_unwritable_tokens_file(local_aws_endpoint: str, pool: str, tmp_path: Path, monkeypatch, capsys) -> None:
    payload = base64.urlsafe_b64encode(b'{"sub":"abc","email":"j@e.com","exp":1}').decode().rstrip("=")
    tokens = Tokens(id_token=f"h.{payload}.s", access_token="d", refresh_token=None, expires_in=1)
    monkeypatch.setattr(cli, "sign_in", lambda idp, **_: tokens)
    monkeypatch.setenv(PASSWORD_ENV, "Any-password-123!")
    argv = [*cli_args(local_aws_endpoint, pool), "--client-id", "abc", "--username", "j@e.com"]

    def no_permission(path: Path, tokens: Tokens) -> None:
        raise PermissionError  # as the folder's permissions would say, to anyone but root

    monkeypatch.setattr(cli, "write_tokens", no_permission)
    assert main([*argv, "--tokens-file", str(tmp_path / "tokens.json")]) == ExitCode.USAGE
    out, err = capsys.readouterr()
    assert out.startswith("Signed in.")
    assert err.strip().splitlines()[-1] == "error: Signed in, but could not write --tokens-file (PermissionError)."


def test_the_tokens_are_saved_even_when_the_output_then_fails(
    local_aws_endpoint: str, pool: str, tmp_path: Path, monkeypatch
) -> None:
    """With PYTHONUNBUFFERED and a full disk, printing the claims failed before --tokens-file was
    written: tokens that had cost a CAPTCHA were lost."""
    payload = base64.urlsafe_b64encode(b'{"sub":"abc","email":"j@e.com","exp":1}').decode().rstrip("=")
    tokens = Tokens(id_token=f"h.{payload}.s", access_token="d", refresh_token=None, expires_in=1)
    monkeypatch.setattr(cli, "sign_in", lambda idp, **_: tokens)
    monkeypatch.setenv(PASSWORD_ENV, "Any-password-123!")

    class FullDisk(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(sys, "stdout", FullDisk())
    saved = tmp_path / "tokens.json"
    argv = [*cli_args(local_aws_endpoint, pool), "--client-id", "abc", "--username", "j@e.com"]
    assert main([*argv, "--tokens-file", str(saved)]) == ExitCode.USAGE
    assert json.loads(saved.read_text())["IdToken"] == tokens.id_token


@pytest.mark.parametrize(
    ("option", "path", "said"),
    [
        ("--tokens-file", "missing/tokens.json", "--tokens-file wants a file in a folder that exists: {path}"),
        ("--tokens-file", ".", "--tokens-file wants a file in a folder that exists: {path}"),
        ("--captcha-dir", "a-file", "--captcha-dir wants a folder, and {path} is a file"),
        ("--captcha-dir", "a-file/below", "--captcha-dir wants a folder, and {file} is a file"),
    ],
)
def test_a_path_that_cant_be_used_is_refused_before_anything_is_sent(
    option: str, path: str, said: str, tmp_path: Path, monkeypatch, capsys
) -> None:
    """Found only after the sign-in, a bad --tokens-file had cost the CAPTCHA (exit 8), and a bad
    --captcha-dir came after `make demo`'s deploy."""
    (tmp_path / "a-file").write_text("")
    monkeypatch.setattr(cli, "sign_in", lambda idp, **_: pytest.fail("sent"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        parse_args(["--user-pool-id", "us-east-1_Abc", "--client-id", "a", option, path])
    assert exit_.value.code == ExitCode.USAGE
    assert capsys.readouterr().err == f"error: {said.format(path=path, file='a-file')} (see --help)\n"  # one line


def test_claims_from_the_server_cannot_drive_the_terminal() -> None:
    from signin.cli import describe

    shown = describe({"sub": "abc\x1b]52;c;ZXZpbA==\x07", "email": "x\x1b[2J@example.com", "exp": "not a time"})
    assert "\x1b" not in shown and "\x07" not in shown
    assert "abc?]52;c;ZXZpbA==?" in shown and "x?[2J@example.com" in shown
