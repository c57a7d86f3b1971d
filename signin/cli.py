"""`python -m signin`: sign in to the deployed pool from a terminal, or reset a forgotten password."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import getpass
import io
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TextIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from signin import __version__
from signin.flow import (
    MESSAGES,
    Captcha,
    ExitCode,
    SignInError,
    Tokens,
    confirm_password_reset,
    needs_browser,
    request_password_reset,
    sign_in,
)
from signin.project import stack_name

PASSWORD_ENV = "CAPTCHA_SIGNIN_PASSWORD"  # noqa: S105 (the variable's name, not a password)
NEW_PASSWORD_ENV = "CAPTCHA_SIGNIN_NEW_PASSWORD"  # noqa: S105 (the variable's name, not a password)
RESET_CODE_ENV = "CAPTCHA_SIGNIN_RESET_CODE"

EPILOG = f"""\
Passwords are read from ${PASSWORD_ENV} (and, when one must be chosen, ${NEW_PASSWORD_ENV}) or
asked for without echo, twice for a new one; there is no flag for them, so they never show in
the process list. Setting a variable on the command line puts it in your shell history: prefer
the prompt, or `read -rs {PASSWORD_ENV}; export {PASSWORD_ENV}`. --forgot-password reads the
emailed code from ${RESET_CODE_ENV} or a hidden prompt.

examples:
  # against the stack deployed by `make deploy` (region and credentials from the AWS environment)
  python -m signin --username jane@example.com

  # audio CAPTCHA, extra ClientMetadata for the post-authentication audit record
  python -m signin --username jane@example.com --audio --client-metadata platform=cli

  # a forgotten password: a code goes to the account's verified email, then choose a new one
  python -m signin --username jane@example.com --forgot-password

  # a local emulator, pool and client given directly, raw tokens saved (mode 0600)
  python -m signin --endpoint-url http://127.0.0.1:4566 --region us-east-1 \\
      --user-pool-id us-east-1_abc --client-id 1example23456789 --username jane@example.com \\
      --tokens-file tokens.json

A first sign-in with a temporary password (an invitation) asks for a new password when the
pool wants one. CAPTCHA files go to a private temporary directory, removed on exit, unless
--captcha-dir names one; the full path of each is printed, to open it in an image viewer. A
pool whose challenge is a managed provider's widget (Cloudflare Turnstile, Google reCAPTCHA,
hCaptcha) is signed in to on the web page: this client names the provider and stops (code 13).

exit codes:
  0    signed in, or password reset
  1    unexpected error (please report it)
  2    usage: a malformed option or input, passwords that don't match, no terminal to ask on,
       input (not a terminal: a pipe, a file, none) that ended before an answer, or output
       that could not be written to the end (none, a pipe whose reader went away, a full disk;
       --captcha-dir or --tokens-file too)
  3    wrong password
  4    unknown user (only where the pool reveals it; by default it answers as for 3)
  5    CAPTCHA failed: no attempts left
  6    session expired
  7    throttled: too many attempts or requests (reset codes included)
  8    configuration or network: no such stack, pool, client or region; endpoint unreachable
  9    the pool's triggers failed, or sent a CAPTCHA this client refuses (not a small PNG/WAV)
  10   locked out after too many failed sign-ins: wait, then try again
  11   the new password breaks the pool's password rules
  12   the reset code is wrong or expired
  13   a managed provider's challenge (Turnstile, reCAPTCHA, hCaptcha): sign in on the web page
  130  cancelled: Ctrl-C, or Ctrl-D at a terminal
"""

# Formats checked before anything is sent, so a typo gets one line, not a library's traceback or
# a misleading "wrong password" (SRP mixes the pool id into its proof).
REGION_PATTERN = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
POOL_ID_PATTERN = re.compile(r"(?P<region>[a-z]{2}(?:-[a-z]+)+-\d{1,2})_[0-9A-Za-z]{1,40}")
CLIENT_ID_PATTERN = re.compile(r"[A-Za-z0-9]{1,128}")


def _checked(pattern: re.Pattern[str], wanted: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise argparse.ArgumentTypeError(f"wants {wanted}")  # the value itself is not echoed
        return value

    return check


def endpoint_url(value: str) -> str:
    try:
        parts = urllib.parse.urlsplit(value)
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not value.isprintable():
        raise argparse.ArgumentTypeError("wants an http(s) URL with a host, e.g. http://127.0.0.1:4566")
    if any(character.isspace() for character in value):
        raise argparse.ArgumentTypeError("wants an http(s) URL with a host, e.g. http://127.0.0.1:4566")
    return value


def username(value: str) -> str:
    """Cognito's own bounds: 1 to 128 printable characters, no spaces."""
    value = value.strip()
    if not 0 < len(value) <= 128 or not value.isprintable() or any(c.isspace() for c in value):
        raise argparse.ArgumentTypeError("wants an email address (1 to 128 characters, no spaces)")
    return value


class Parser(argparse.ArgumentParser):
    """argparse's, but a mistake is one line, naming where the help is (`help_hint`)."""

    def __init__(self, *args: Any, help_hint: str = "--help", **kwargs: Any) -> None:
        # Options spelled out: a typo (--audi) isn't taken for another option (--audio).
        super().__init__(*args, **{"allow_abbrev": False, **kwargs})
        self.help_hint = help_hint

    def error(self, message: str) -> NoReturn:
        """One line, exit code 2 (argparse's own prints the whole usage first)."""
        self.exit(int(ExitCode.USAGE), f"error: {message} (see {self.help_hint})\n")


def parse_args(argv: list[str] | None, help_hint: str = "--help") -> argparse.Namespace:
    parser = Parser(
        help_hint=help_hint,
        prog="python -m signin",
        description="Sign in to a Cognito pool whose sign-in is password (SRP) first, then a CAPTCHA.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--username", type=username, help="the user's email address (asked for if left out)")
    parser.add_argument(
        "--forgot-password",
        action="store_true",
        help="reset a forgotten password: a code is emailed, then you choose a new password",
    )
    parser.add_argument(
        "--stack-name",
        default=None,
        help="stack whose outputs name the pool and client (default: stackName in cdk.json)",
    )
    pool_id = _checked(POOL_ID_PATTERN, "a pool id such as us-east-1_AbC123")
    parser.add_argument("--user-pool-id", type=pool_id, help="skip the stack look-up: the pool id")
    client_id = _checked(CLIENT_ID_PATTERN, "an app client id: letters and digits")
    parser.add_argument("--client-id", type=client_id, help="skip the stack look-up: the app client id")
    region = _checked(REGION_PATTERN, "a region such as us-east-1")
    parser.add_argument("--region", type=region, help="AWS region (default: the pool id's, else the environment's)")
    parser.add_argument("--endpoint-url", type=endpoint_url, help="AWS endpoint, e.g. a local emulator on 127.0.0.1")
    parser.add_argument("--audio", action="store_true", help="ask for the audio CAPTCHA (sent as ClientMetadata)")
    parser.add_argument(
        "--client-metadata",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="sent with every RespondToAuthChallenge (and the reset calls); repeatable",
    )
    parser.add_argument(
        "--captcha-dir",
        type=Path,
        help="keep CAPTCHA files here (default: a private temp dir, removed on exit)",
    )
    parser.add_argument("--tokens-file", type=Path, help="write the raw tokens here, readable only by you")
    parser.add_argument("--no-preview", action="store_true", help="don't draw the image in the terminal")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = parser.parse_args(argv)
    try:
        args.metadata = dict(_pair(item) for item in args.client_metadata)
    except ValueError as exc:
        parser.error(str(exc))
    if args.user_pool_id and args.region and pool_region(args.user_pool_id) != args.region:
        parser.error("--user-pool-id is in another region than --region")
    # Before anything is sent: found only after the sign-in, a bad path cost the CAPTCHA.
    if args.tokens_file is not None and (args.tokens_file.is_dir() or not args.tokens_file.parent.is_dir()):
        parser.error(f"--tokens-file wants a file in a folder that exists: {args.tokens_file}")
    if args.captcha_dir is not None:
        nearest = next(folder for folder in (args.captcha_dir, *args.captcha_dir.parents) if folder.exists())
        if not nearest.is_dir():
            parser.error(f"--captcha-dir wants a folder, and {nearest} is a file")
    return args


def _pair(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise ValueError("--client-metadata wants KEY=VALUE")
    return key, value


def pool_region(pool_id: str) -> str:
    return pool_id.partition("_")[0]


def say(message: str) -> None:
    """One line on standard error. If that is gone too (`2>&1 | head -1`), nothing can be said:
    the rest goes to os.devnull rather than into Python's own error as it exits."""
    try:
        print(message, file=sys.stderr, flush=True)
    except OSError:
        _send_to_devnull(sys.stderr)


def show(text: str = "", end: str = "\n") -> None:
    """Text on standard output. A write that fails at once (its reader gone, a full disk, when
    the output is unbuffered or the buffer fills) ends the run as output that could not be
    written, with the rest sent to os.devnull; one that fails later, when the buffer is flushed,
    is found by output_delivered()."""
    try:
        print(text, end=end, flush=not end)  # a prompt is flushed before the answer is read
    except OSError:
        _send_to_devnull(sys.stdout)
        raise SignInError(ExitCode.USAGE, OUTPUT_GONE) from None


def _send_to_devnull(stream: TextIO | None) -> None:
    if stream is not None:
        with contextlib.suppress(OSError, ValueError):  # closed, or no descriptor (io.UnsupportedOperation)
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


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
        pool_id, client_id = args.user_pool_id or outputs["UserPoolId"], args.client_id or outputs["UserPoolClientId"]
    except KeyError:
        raise SignInError(ExitCode.CONFIGURATION, f"Stack {args.stack_name} has no pool outputs.") from None
    if not (POOL_ID_PATTERN.fullmatch(pool_id) and CLIENT_ID_PATTERN.fullmatch(client_id)):
        raise SignInError(ExitCode.CONFIGURATION, f"Stack {args.stack_name}'s pool outputs are malformed.")
    return pool_id, client_id


def check_pool_exists(idp: Any, pool_id: str, timeout: float = 5.0) -> None:
    """One unauthenticated GET of the pool's public JWKS (AWS and the emulator both serve it):
    a 404 or 400 means there is no such pool here, which the sign-in itself would only report
    as a wrong password. Any other answer leaves the verdict to the sign-in."""
    url = f"{idp.meta.endpoint_url.rstrip('/')}/{pool_id}/.well-known/jwks.json"
    try:
        with urllib.request.urlopen(url, timeout=timeout):  # noqa: S310 (http(s) only: the SDK's endpoint)
            return
    except urllib.error.HTTPError as error:
        if error.code in (400, 404):
            where = urllib.parse.urlsplit(url).netloc
            raise SignInError(ExitCode.CONFIGURATION, f"No user pool {pool_id} at {where}.") from None
    except (OSError, ValueError) as error:  # URLError, timeouts, refused connections
        raise SignInError(ExitCode.CONFIGURATION, f"{MESSAGES['network']} ({type(error).__name__})") from None


# --- the CAPTCHA on screen and on disk -------------------------------------------------------

UPPER_HALF = "▀"


def preview_style(stream: TextIO) -> str | None:
    """ "colour" (24-bit half-blocks), "plain" (black-and-white half-blocks) or None (no preview:
    not a terminal, or one that can't print the blocks)."""
    if not stream.isatty():
        return None
    try:
        "▀▄█".encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return None
    if os.environ.get("NO_COLOR") or os.environ.get("TERM", "dumb") == "dumb":  # no-color.org
        return "plain"
    return "colour"


def preview(png: bytes, width: int, *, colour: bool = True) -> str:
    """The image in text: each character cell shows two pixels, the upper as the foreground of
    ▀ and the lower as its background, so pixels stay square. `width` columns at most, never
    wider than the image. Without colour, the ink (the fewer of dark and light pixels) is drawn as blocks."""
    from PIL import Image

    with Image.open(io.BytesIO(png), formats=["PNG"]) as image:
        width = max(1, min(width, image.width))
        height = max(2, 2 * round(image.height * width / image.width / 2))
        pixels = image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
    data = pixels.tobytes()  # mode RGB: three bytes a pixel
    rgb = [tuple(data[i : i + 3]) for i in range(0, len(data), 3)]
    rows = [rgb[y * width : (y + 1) * width] for y in range(height)]
    lines = []
    if colour:
        for top, bottom in zip(rows[0::2], rows[1::2], strict=True):
            cells, last = [], None
            for upper, lower in zip(top, bottom, strict=True):
                if (upper, lower) != last:  # only changes are sent: a row stays a few kB
                    cells.append("\x1b[38;2;{};{};{}m\x1b[48;2;{};{};{}m".format(*upper, *lower))
                    last = (upper, lower)
                cells.append(UPPER_HALF)
            lines.append("".join(cells) + "\x1b[0m")
        return "\n".join(lines)
    grey = [[(299 * r + 587 * g + 114 * b) // 1000 for r, g, b in row] for row in rows]
    values = [value for row in grey for value in row]
    threshold = (min(values) + max(values)) / 2
    if sum(value < threshold for value in values) > len(values) / 2:  # light text on dark: ink is light
        grey = [[255 - value for value in row] for row in grey]
        threshold = 255 - threshold
    glyphs = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}
    for upper_row, lower_row in zip(grey[0::2], grey[1::2], strict=True):
        pairs = zip(upper_row, lower_row, strict=True)
        lines.append("".join(glyphs[(a < threshold, b < threshold)] for a, b in pairs))
    return "\n".join(lines)


def save_captcha(directory: Path, captcha: Captcha) -> Path:
    """A new file for each CAPTCHA, mode 0600: created exclusively and never through a link, so
    nothing planted in a shared directory is overwritten or followed. The name carries a random
    part, so a stale or planted file only costs another name."""
    suffix = ".wav" if captcha.format == "audio" else ".png"
    for _ in range(5):
        path = directory / f"captcha-{captcha.attempt}-{secrets.token_hex(4)}{suffix}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as handle:
            handle.write(captcha.data)
        return path
    raise FileExistsError(f"no free file name in {directory}")


EMPTY_ANSWERS = 3  # asked again this many times in all before giving up (an input of empty lines)


class TerminalSolver:
    """Writes each CAPTCHA to a file, shows its full path (and a preview), asks for the answer."""

    def __init__(self, directory: Path, show_preview: bool) -> None:
        self.directory = Path(os.path.abspath(directory))
        self.show_preview = show_preview

    def __call__(self, captcha: Captcha) -> str:
        if captcha.format == "provider":  # sign_in stops before asking; a solver never shows one
            raise needs_browser(captcha)
        try:
            path = save_captcha(self.directory, captcha)
        except OSError as error:
            raise SignInError(
                ExitCode.USAGE, f"Could not write the CAPTCHA in {self.directory} ({type(error).__name__})."
            ) from None
        say(f"CAPTCHA {captcha.attempt} of {captcha.max_attempts} ({captcha.attempts_left} left), saved to:")
        say(f"  {path}")
        if captcha.format == "audio":
            say("  Play the file and type the characters you hear.")
        elif self.show_preview and (style := preview_style(sys.stderr)):
            columns = shutil.get_terminal_size().columns - 1
            say(preview(captcha.data, columns, colour=style == "colour"))
        for _ in range(EMPTY_ANSWERS):  # an Enter pressed too soon would spend an attempt
            answer = ask("Answer: ", "pipe in the answer")
            if answer.strip():
                return answer
            say("  Type the characters, then Enter (Ctrl-C stops).")
        raise SignInError(ExitCode.USAGE, "No answer was typed; the CAPTCHA was not sent an empty one.")


# --- passwords and codes -----------------------------------------------------------------------


def on_a_terminal() -> bool:
    """Whether standard input is a terminal (a person typing), not a pipe, a file or closed."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except ValueError:  # closed
        return False


def ask(prompt: str, instead: str) -> str:
    """A visible prompt. Input that ends there is a person's Ctrl-D at a terminal (EOFError:
    cancelled), else a script that gave too few answers, or no standard input at all (its
    descriptor closed): a usage error saying to run this on a terminal, or `instead`."""
    ended = SignInError(ExitCode.USAGE, f"The input ended before an answer: run this on a terminal, or {instead}.")
    if sys.stdin is None:
        raise ended  # no prompt shown
    show(prompt, end="")  # (input's own prompt is written where a write error can't be told from a read's)
    try:
        return input()
    except EOFError:
        if on_a_terminal():
            raise
        show()  # ends the prompt's line
        raise ended from None


def secret(variable: str, prompt: str) -> str:
    """From the environment variable, else a hidden prompt (never a flag)."""
    value = os.environ.get(variable)
    if value is not None:
        return value
    if not on_a_terminal():
        raise SignInError(ExitCode.USAGE, f"No terminal to ask on: set {variable}.")
    return getpass.getpass(prompt)


def new_password() -> str:
    """Twice, hidden, until both match (or from the environment, for scripts)."""
    if NEW_PASSWORD_ENV in os.environ:
        if not os.environ[NEW_PASSWORD_ENV]:
            raise SignInError(ExitCode.USAGE, f"{NEW_PASSWORD_ENV} is empty.")
        return os.environ[NEW_PASSWORD_ENV]
    for _ in range(3):
        first = secret(NEW_PASSWORD_ENV, "New password: ")
        if first and first == secret(NEW_PASSWORD_ENV, "New password again: "):
            return first
        say("The two entries differ or are empty; again.")
    raise SignInError(ExitCode.USAGE, "The new password was not entered the same way twice.")


def first_sign_in_password() -> str:
    say(MESSAGES["newPasswordRequired"])
    return new_password()


# --- the two commands --------------------------------------------------------------------------


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


def printable(value: Any, limit: int = 200) -> str:
    """A server-sent value made safe for a terminal: control characters (escape sequences
    among them) become "?", and it is cut to `limit` characters. The ID token isn't verified
    here, so its claims are shown as text, never trusted."""
    text = str(value)[:limit]
    return "".join("?" if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in text)


def describe(claims: dict[str, Any]) -> str:
    try:
        expiry = datetime.datetime.fromtimestamp(int(claims.get("exp", 0)), tz=datetime.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        expiry = datetime.datetime.fromtimestamp(0, tz=datetime.UTC)
    return "\n".join(
        [
            "Signed in.",
            f"  sub:     {printable(claims.get('sub'))}",
            f"  email:   {printable(claims.get('email'))}",
            f"  expires: {expiry:%Y-%m-%d %H:%M:%S} UTC",
        ]
    )


def connect(args: argparse.Namespace) -> tuple[Any, str, str]:
    """The Cognito client, pool id and client id, each checked before any secret is asked for."""
    # No automatic retries: a RespondToAuthChallenge retried after a lost reply would reuse a
    # spent session. Throttling is reported instead (exit code 7).
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=30)
    region = args.region or (pool_region(args.user_pool_id) if args.user_pool_id else None)
    try:
        session = boto3.session.Session(region_name=region)
    except ProfileNotFound as error:  # a profile's name is no secret; the user needs it to fix this
        name = str(error.kwargs.get("profile"))[:64]
        raise SignInError(
            ExitCode.CONFIGURATION, f"No AWS profile {name!r} (AWS_PROFILE or AWS_DEFAULT_PROFILE) in your AWS config."
        ) from None
    if not session.region_name:
        raise SignInError(ExitCode.CONFIGURATION, "No region: pass --region or set AWS_REGION.")
    if not REGION_PATTERN.fullmatch(session.region_name):
        raise SignInError(ExitCode.CONFIGURATION, "The AWS environment's region is not one such as us-east-1.")
    try:
        pool_id, client_id = resolve_pool(args, session, config)
        idp = session.client("cognito-idp", endpoint_url=args.endpoint_url, config=config)
    except ValueError:  # botocore: an endpoint from the environment (AWS_ENDPOINT_URL) it can't use
        raise SignInError(ExitCode.CONFIGURATION, "The AWS environment's endpoint URL is not usable.") from None
    if pool_region(pool_id) != session.region_name:
        raise SignInError(ExitCode.CONFIGURATION, f"Pool {pool_id} is not in region {session.region_name}.")
    check_pool_exists(idp, pool_id)
    return idp, pool_id, client_id


def reset_password(idp: Any, client_id: str, name: str, metadata: dict[str, str]) -> None:
    request_password_reset(idp, client_id=client_id, username=name, client_metadata=metadata)
    say(MESSAGES["resetCodeSent"])  # said whether or not the account exists
    code = secret(RESET_CODE_ENV, "Code from the email: ")
    password = new_password()
    confirm_password_reset(
        idp, client_id=client_id, username=name, code=code, new_password=password, client_metadata=metadata
    )
    show(MESSAGES["passwordReset"])


def run(args: argparse.Namespace) -> None:
    name = args.username
    if name is None:
        try:
            name = username(ask("Email: ", "pass --username"))
        except argparse.ArgumentTypeError as error:
            raise SignInError(ExitCode.USAGE, f"the email {error}") from None
    idp, pool_id, client_id = connect(args)
    metadata = {"appVersion": f"signin-cli/{__version__}", "platform": "cli", **args.metadata}
    if args.forgot_password:
        reset_password(idp, client_id, name, metadata)
        return

    password = secret(PASSWORD_ENV, "Password: ")
    metadata["captchaFormat"] = "audio" if args.audio else "image"
    own_directory = None if args.captcha_dir else Path(tempfile.mkdtemp(prefix="captcha-"))  # mode 0700
    try:
        directory: Path = own_directory or args.captcha_dir
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise SignInError(ExitCode.USAGE, f"Could not create --captcha-dir ({type(error).__name__}).") from None
        tokens = sign_in(
            idp,
            pool_id=pool_id,
            client_id=client_id,
            username=name,
            password=password,
            solve=TerminalSolver(directory, show_preview=not args.no_preview),
            client_metadata=metadata,
            progress=lambda message: say(f"… {message}"),
            new_password=first_sign_in_password,
        )
    finally:
        if own_directory is not None:
            shutil.rmtree(own_directory, ignore_errors=True)
    unwritten = None
    if args.tokens_file:  # before anything is printed, which may fail: the tokens cost a CAPTCHA
        try:
            write_tokens(args.tokens_file, tokens)
        except OSError as error:
            unwritten = f"Signed in, but could not write --tokens-file ({type(error).__name__})."
    show(describe(tokens.claims()))
    if unwritten:
        raise SignInError(ExitCode.USAGE, unwritten)
    if args.tokens_file:
        show(f"  tokens:  {args.tokens_file} (mode 0600)")


OUTPUT_GONE = (
    "The output could not be written to the end: run this with its output on a terminal, a file or a pipe that "
    "reads it all."
)


def output_delivered() -> bool:
    """Whether what is still buffered for standard output (a pipe's or a file's is written only
    when full or at exit) reached it. If not (its reader went away, the disk is full), the rest
    goes to os.devnull instead of into Python's "Exception ignored" traceback and exit status 120
    (the Python documentation's way with a reader that went away)."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
        return True
    except OSError:
        _send_to_devnull(sys.stdout)
        return False


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    code = outcome(args)
    if not output_delivered() and code == ExitCode.OK:  # a failure was already said on stderr
        say(f"error: {OUTPUT_GONE}")
        return int(ExitCode.USAGE)
    return int(code)


def outcome(args: argparse.Namespace) -> ExitCode:
    try:
        if sys.stdout is None:  # its descriptor closed (`>&-`): the prompts would have nowhere to go
            raise SignInError(ExitCode.USAGE, OUTPUT_GONE)
        run(args)  # its output goes through show(), which turns a failed write into a SignInError
    except SignInError as error:
        say(f"error: {error}")
        return error.code
    except (KeyboardInterrupt, EOFError):  # Ctrl-C; Ctrl-D at a terminal (see ask)
        say("\ncancelled")
        return ExitCode.CANCELLED
    except BotoCoreError as error:
        say(f"error: could not reach AWS ({type(error).__name__}); check --endpoint-url, --region and credentials.")
        return ExitCode.CONFIGURATION
    except Exception as error:  # the last resort: no traceback, and nothing secret, reaches the screen
        say(f"error: something unexpected went wrong ({type(error).__name__}); please report it.")
        return ExitCode.INTERNAL
    return ExitCode.OK
