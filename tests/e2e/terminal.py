"""The sign-in CLI as the end-to-end tests run it: its arguments and environment for a
deployment, and `python -m signin` on a pseudo-terminal of its own (the `terminal` fixture,
tests/e2e/conftest.py)."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from collections.abc import Callable

from signin.project import ROOT
from tests.e2e.deployment import Deployment


def cli_environment(deployment: Deployment, **variables: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CAPTCHA_SIGNIN_", "NO_COLOR"))}
    return {**keep, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", **variables}


def cli_args(deployment: Deployment, email: str) -> list[str]:
    return [
        *("--endpoint-url", deployment.emulator.endpoint, "--region", "us-east-1"),
        *("--user-pool-id", deployment.pool_id, "--client-id", deployment.client_id),
        *("--username", email),
    ]


class Terminal:
    """`python -m signin` on a pseudo-terminal of its own, so getpass, the prompts and the
    preview behave as for a person at a keyboard. Stopped by its PID if a test fails."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: never returns into pytest
            try:
                os.chdir(ROOT)
                os.execve(sys.executable, [sys.executable, "-m", "signin", *args], env)  # noqa: S606
            finally:
                os._exit(127)
        self.output = ""
        self.read_to = 0

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the CLI has exited and closed its terminal
            chunk = b""
        self.output += chunk.decode(errors="replace").replace("\r\n", "\n")
        return bool(chunk)

    def expect(self, *texts: str, timeout: float = 60) -> str:
        """Wait for the first of `texts` after what was already matched; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            found = [(self.output.find(t, self.read_to), t) for t in texts if self.output.find(t, self.read_to) >= 0]
            if found:
                at, text = min(found)
                self.read_to = at + len(text)
                return text
            if time.monotonic() > deadline or not self._read(deadline - time.monotonic()):
                raise AssertionError(f"never saw {texts}; the terminal shows:\n{self.output[-3000:]}")

    def type(self, line: str) -> None:
        os.write(self.fd, line.encode() + b"\n")

    def exit_code(self, timeout: float = 60) -> int:
        """Its exit status, once it has exited and everything it wrote is read. A CLI still
        running after `timeout` is killed, and the test fails."""
        deadline = time.monotonic() + timeout
        status: int | None = None
        end_of_output = False
        while time.monotonic() < deadline:
            if end_of_output:
                time.sleep(0.05)
            else:
                end_of_output = not self._read(0.1)
            if status is None:
                pid, code = os.waitpid(self.pid, os.WNOHANG)
                status = code if pid else None
            if status is not None and end_of_output:
                os.close(self.fd)
                self.pid = 0
                return os.waitstatus_to_exitcode(status)
        if status is None:
            self.stop()
        else:  # exited, but something it started still holds the terminal
            os.close(self.fd)
            self.pid = 0
        raise AssertionError(f"not done after {timeout} s; the terminal shows:\n{self.output[-3000:]}")

    def stop(self) -> None:
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            os.close(self.fd)
            self.pid = 0


# The `terminal` fixture: starts the CLI with these arguments and environment.
StartTerminal = Callable[[list[str], dict[str, str]], Terminal]
