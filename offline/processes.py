"""Stopping what we started: every server the demo, the web page or a test starts runs in its
own process group, and is stopped here, by its PID, with its children."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager


def stop(process: subprocess.Popen[bytes], *, grace: float = 10.0) -> None:
    """SIGTERM to the process group of `process` (started with start_new_session=True), then
    SIGKILL if it has not exited within `grace` seconds."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)
    except ProcessLookupError:
        pass


def wait_until_listening(process: subprocess.Popen[bytes], port: int, what: str, timeout: float = 30.0) -> None:
    """Return once `process` accepts connections on 127.0.0.1:`port`; RuntimeError naming
    `what` if it exits first or doesn't start within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} stopped (port {port} taken meanwhile?)")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start in time")


@contextmanager
def uninterrupted() -> Iterator[None]:
    """Ctrl-C ignored for the block, then as it was: for a clean-up that a second Ctrl-C would cut
    short, leaving a traceback and a process or its files behind. (In the main thread, where
    Python handles signals.)"""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
