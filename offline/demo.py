"""`make demo`: the whole sign-in on this machine, no AWS account needed.

Starts the local AWS emulator on 127.0.0.1, deploys the stack with the pinned CDK CLI
(bootstrap + deploy, wheels built for the emulator), creates a demo user with a random
password, then runs the sign-in CLI for that user: you solve the CAPTCHA. The emulator is
stopped, by its PID, when the demo ends (including Ctrl-C).
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

from offline.emulator import DEMO_EMAIL, REGION, ROOT, Emulator, aws_environment, deploy_with_user, step
from offline.processes import uninterrupted
from signin import cli as signin_cli

# The demo's own user on the deployment it makes: given again, they would sign in elsewhere.
SET_BY_THE_DEMO = ("--endpoint-url", "--region", "--user-pool-id", "--client-id", "--username")


def main(argv: list[str] | None = None) -> int:
    parser = signin_cli.Parser(  # a mistake is one line, as the sign-in CLI's own are
        prog="make demo DEMO_ARGS=...",
        help_hint="make demo DEMO_ARGS=--help",
        description=__doc__.splitlines()[0],
        epilog="Any other option goes to the sign-in CLI (.venv/bin/python -m signin --help lists them), "
        "e.g. DEMO_ARGS='--tokens-file tokens.json'.",
    )
    parser.add_argument("--workdir", type=Path, default=ROOT / ".demo", help="emulator state and logs")
    parser.add_argument("--audio", action="store_true", help="ask for the audio CAPTCHA")
    args, signin_args = parser.parse_known_args(argv)
    given = sorted({arg.partition("=")[0] for arg in signin_args} & set(SET_BY_THE_DEMO))
    if given:
        parser.error(
            f"{', '.join(given)}: the demo signs in its own user ({DEMO_EMAIL}) on the pool it deploys; "
            "for another, use .venv/bin/python -m signin against your deployment"
        )
    # The sign-in CLI's own options go through to it: refused now, not after the deploy.
    placeholders = {"UserPoolId": "us-east-1_Placeholder0", "UserPoolClientId": "placeholder0"}
    signin_cli.parse_args(
        _signin_args("http://127.0.0.1:1", placeholders, args, signin_args),
        help_hint=".venv/bin/python -m signin --help",
    )

    if reads_nothing(sys.stdin):  # said now, not after a deploy that can't be answered
        print(
            "error: the demo asks you for the CAPTCHA's answer, and its input is closed or /dev/null: "
            "run it on a terminal.",
            file=sys.stderr,
        )
        return 1

    started = time.monotonic()
    emulator = Emulator(workdir=args.workdir)
    try:
        emulator.start()  # refused here, before anything is said or removed, if another run has the folder
        step(f"Started the local AWS emulator on {emulator.endpoint}", started)
        # The last run's CAPTCHA files are stale; the CLI writes each new one under a new name.
        for old in (args.workdir / "captchas").glob("captcha-*"):
            if old.is_file() or old.is_symlink():
                old.unlink()
        step("Deploying with the CDK CLI (bootstrap + deploy, ~20 s)", started)
        outputs, password = deploy_with_user(emulator.endpoint, args.workdir)
        step(f"Created {DEMO_EMAIL} with a random password; signing in", started)
        print(
            "    Note: the local emulator allows one CAPTCHA answer per sign-in (AWS allows the pool's\n"
            "    limit, 3 by default). A wrong answer here ends the sign-in: run `make demo` again.",
            flush=True,
        )
        command = [sys.executable, "-m", "signin", *_signin_args(emulator.endpoint, outputs, args, signin_args)]
        # The emulator's credentials, none of the caller's AWS settings (a profile, a config file).
        env = {**aws_environment(emulator.endpoint), "CAPTCHA_SIGNIN_PASSWORD": password}
        return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
    except KeyboardInterrupt:
        return 130
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        with uninterrupted():  # a second Ctrl-C would cut the clean-up short, with a traceback
            if emulator.process is not None:  # not when it was refused before starting
                emulator.stop()
                step("Stopped the emulator", started)


def reads_nothing(stream: IO[Any] | None) -> bool:
    """Whether `stream` is closed or /dev/null, where no answer can come from. A pipe or a file
    may hold one (scripts pipe answers in); a stream without a descriptor can't be told apart."""
    if stream is None:
        return True
    try:
        devnull = os.stat(os.devnull)
    except OSError:  # no /dev/null to compare with: nothing to say
        return False
    try:
        return os.path.samestat(os.fstat(stream.fileno()), devnull)
    except io.UnsupportedOperation:  # no descriptor to look at
        return False
    except (OSError, ValueError):  # its descriptor, or the stream, closed
        return True


def _signin_args(endpoint: str, outputs: dict[str, str], args: argparse.Namespace, extra: list[str]) -> list[str]:
    """The sign-in CLI's arguments for the demo user on the deployed pool, then the user's own."""
    return [
        "--endpoint-url",
        endpoint,
        "--region",
        REGION,
        "--user-pool-id",
        outputs["UserPoolId"],
        "--client-id",
        outputs["UserPoolClientId"],
        "--username",
        DEMO_EMAIL,
        "--captcha-dir",
        str(args.workdir / "captchas"),
        *(["--audio"] if args.audio else []),
        *extra,
    ]


if __name__ == "__main__":
    sys.exit(main())
