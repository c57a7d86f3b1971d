"""`python -m signin`: sign in to the deployed pool from a terminal."""

from __future__ import annotations

import argparse
import datetime
import getpass
import io
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from signin import __version__
from signin.flow import Captcha, ExitCode, SignInError, Tokens, sign_in
from signin.project import stack_name

PASSWORD_ENV = "CAPTCHA_SIGNIN_PASSWORD"  # noqa: S105 (the variable's name, not a password)

EPILOG = f"""\
The password is read from ${PASSWORD_ENV} or asked for without echo; there is no flag for it,
so it never shows in the process list. Setting the variable on the command line puts it in
your shell history: prefer the prompt, or `read -rs {PASSWORD_ENV}; export {PASSWORD_ENV}`.

examples:
  # against the stack deployed by `make deploy` (region and credentials from the AWS environment)
  python -m signin --username jane@example.com

  # audio CAPTCHA, extra ClientMetadata for the post-authentication audit record
  python -m signin --username jane@example.com --audio --client-metadata platform=cli

  # a local emulator, pool and client given directly, raw tokens saved (mode 0600)
  python -m signin --endpoint-url http://127.0.0.1:4566 --region us-east-1 \\
      --user-pool-id us-east-1_abc --client-id 1example23456789 --username jane@example.com \\
      --tokens-file tokens.json

exit codes:
  0 signed in             5 CAPTCHA failed (no attempts left)   8 configuration or network
  2 usage                 6 session expired                     9 the pool's triggers failed
  3 wrong password        7 throttled                           10 locked out: too many failed
  4 unknown user (only where the pool reveals it; by default       sign-ins; wait, then retry
    it answers as for a wrong password)                         130 cancelled
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m signin",
        description="Sign in to a Cognito pool whose sign-in is password (SRP) first, then a CAPTCHA.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--username", help="the user's email address (asked for if left out)")
    parser.add_argument(
        "--stack-name",
        default=None,
        help="stack whose outputs name the pool and client (default: stackName in cdk.json)",
    )
    parser.add_argument("--user-pool-id", help="skip the stack look-up: the pool id")
    parser.add_argument("--client-id", help="skip the stack look-up: the app client id")
    parser.add_argument("--region", help="AWS region (default: the AWS environment's)")
    parser.add_argument("--endpoint-url", help="AWS endpoint, e.g. a local emulator on 127.0.0.1")
    parser.add_argument("--audio", action="store_true", help="ask for the audio CAPTCHA (sent as ClientMetadata)")
    parser.add_argument(
        "--client-metadata",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="sent with every RespondToAuthChallenge; repeatable",
    )
    parser.add_argument(
        "--captcha-dir", type=Path, help="where CAPTCHA files are written (default: a private temp dir)"
    )
    parser.add_argument("--tokens-file", type=Path, help="write the raw tokens here, readable only by you")
    parser.add_argument("--no-preview", action="store_true", help="don't draw the image in the terminal")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = parser.parse_args(argv)
    try:
        args.metadata = dict(_pair(item) for item in args.client_metadata)
    except ValueError as exc:
        parser.error(str(exc))
    return args


def _pair(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise ValueError(f"--client-metadata wants KEY=VALUE, got {item!r}")
    return key, value


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def resolve_pool(args: argparse.Namespace, session: boto3.session.Session, config: Config) -> tuple[str, str]:
    if args.user_pool_id and args.client_id:
        return args.user_pool_id, args.client_id
    args.stack_name = args.stack_name or stack_name()
    say(f"… Reading the outputs of stack {args.stack_name}")
    cloudformation = session.client("cloudformation", endpoint_url=args.endpoint_url, config=config)
    try:
        stack = cloudformation.describe_stacks(StackName=args.stack_name)["Stacks"][0]
    except ClientError:
        raise SignInError(
            ExitCode.CONFIGURATION,
            f"Stack {args.stack_name} not found here: deploy it, or pass --user-pool-id and --client-id.",
        ) from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    try:
        return args.user_pool_id or outputs["UserPoolId"], args.client_id or outputs["UserPoolClientId"]
    except KeyError:
        raise SignInError(ExitCode.CONFIGURATION, f"Stack {args.stack_name} has no pool outputs.") from None


def preview(png: bytes, width: int = 64) -> str:
    """A rough picture of the CAPTCHA in text, for terminals that can't show images."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        height = max(1, round(image.height * width / image.width / 2))  # cells are ~2:1
        pixels = image.convert("L").resize((width, height))
        ramp = "@%#*+=-:. "
        data = pixels.tobytes()  # mode L: one byte a pixel
    rows = (data[i : i + width] for i in range(0, len(data), width))
    return "\n".join("".join(ramp[value * len(ramp) // 256] for value in row) for row in rows)


class TerminalSolver:
    """Writes each CAPTCHA to a file, shows where (and a preview), and asks for the answer."""

    def __init__(self, directory: Path, show_preview: bool) -> None:
        self.directory = directory
        self.show_preview = show_preview

    def __call__(self, captcha: Captcha) -> str:
        suffix = ".wav" if captcha.format == "audio" else ".png"
        path = self.directory / f"captcha-{captcha.attempt}{suffix}"
        path.write_bytes(captcha.data)
        say(f"CAPTCHA {captcha.attempt} of {captcha.max_attempts} ({captcha.attempts_left} left): {path}")
        if captcha.format == "audio":
            say("  Play the file and type the characters you hear.")
        elif self.show_preview:
            say(preview(captcha.data))
        return input("Answer: ")


def write_tokens(path: Path, tokens: Tokens) -> None:
    """Raw tokens, readable only by you: written to a new 0600 file beside `path` (O_EXCL, never
    through a link), then moved over it, so no earlier reader or wider mode ever sees them."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(
                {
                    "IdToken": tokens.id_token,
                    "AccessToken": tokens.access_token,
                    "RefreshToken": tokens.refresh_token,
                    "ExpiresIn": tokens.expires_in,
                },
                handle,
            )
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def describe(claims: dict[str, Any]) -> str:
    expiry = datetime.datetime.fromtimestamp(int(claims.get("exp", 0)), tz=datetime.UTC)
    return "\n".join(
        [
            "Signed in.",
            f"  sub:     {claims.get('sub')}",
            f"  email:   {claims.get('email')}",
            f"  expires: {expiry:%Y-%m-%d %H:%M:%S} UTC",
        ]
    )


def run(args: argparse.Namespace) -> None:
    username = args.username or input("Email: ").strip()
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        if not sys.stdin.isatty():
            raise SignInError(ExitCode.USAGE, f"No terminal to ask for the password: set {PASSWORD_ENV}.")
        password = getpass.getpass("Password: ")

    # No automatic retries: a RespondToAuthChallenge retried after a lost reply would reuse a
    # spent session. Throttling is reported instead (exit code 7).
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=30)
    session = boto3.session.Session(region_name=args.region)
    if not session.region_name:
        raise SignInError(ExitCode.CONFIGURATION, "No region: pass --region or set AWS_REGION.")
    pool_id, client_id = resolve_pool(args, session, config)
    idp = session.client("cognito-idp", endpoint_url=args.endpoint_url, config=config)

    directory = args.captcha_dir or Path(tempfile.mkdtemp(prefix="captcha-"))  # mkdtemp: mode 0700
    directory.mkdir(parents=True, exist_ok=True)
    metadata = {"appVersion": f"signin-cli/{__version__}", "platform": "cli", **args.metadata}
    metadata["captchaFormat"] = "audio" if args.audio else "image"

    tokens = sign_in(
        idp,
        pool_id=pool_id,
        client_id=client_id,
        username=username,
        password=password,
        solve=TerminalSolver(directory, show_preview=not args.no_preview),
        client_metadata=metadata,
        progress=lambda message: say(f"… {message}"),
    )
    print(describe(tokens.claims()))
    if args.tokens_file:
        write_tokens(args.tokens_file, tokens)
        print(f"  tokens:  {args.tokens_file} (mode 0600)")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        run(args)
    except SignInError as error:
        say(f"error: {error}")
        return int(error.code)
    except (KeyboardInterrupt, EOFError):
        say("\ncancelled")
        return int(ExitCode.CANCELLED)
    except BotoCoreError as error:
        say(f"error: could not reach AWS ({type(error).__name__}); check --endpoint-url, --region and credentials.")
        return int(ExitCode.CONFIGURATION)
    return int(ExitCode.OK)
