"""The end-to-end tests' one deployment: a fresh emulator on a free loopback port, the real CDK
CLI's bootstrap, then one `cdk deploy` of the stack variants (the main one, and those with other
settings: lockout, provider) from one app (tests/e2e/stacks_app.py).

In one process (`-n 0`, or one named file) the session fixture makes it, with only the variants
the collected tests use. Under pytest-xdist the controller, which runs no test, makes it with
every variant as soon as a worker's collection holds an end-to-end test, and writes where it is
to a file each worker waits for (its workerinput names the file): the end-to-end test files then
spread over the workers like any others, all on that one deployment, and the controller stops the
emulator and the CAPTCHA stand-in, by their PIDs, once every worker has finished.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from offline.emulator import WITH_INSPECTOR, Emulator
from tests.e2e.deployment import LOCKOUT_CONTEXT, STACK, TURNSTILE_TEST_SITE_KEY

VARIANTS = ("main", "lockout", "provider")
APP = "python3 -m tests.e2e.stacks_app"  # app.py's stack once per variant
# What the controller gives each worker (xdist's workerinput): the record's file, the stand-in's secret.
RECORD = "e2e_deployment_record"
STANDIN_SECRET = "e2e_standin_secret"
# A deploy takes ~20 s here; a hung one still ends the wait.
WAIT_SECONDS = 600


def provider_context(standin_url: str) -> dict[str, str]:
    """captchaProvider=turnstile, verifying against the stand-in."""
    return {
        "captchaProvider": "turnstile",
        "captchaSiteKey": TURNSTILE_TEST_SITE_KEY,
        "captchaHostnames": "127.0.0.1,localhost",
        "captchaVerifyUrl": f"{standin_url}/turnstile/v0/siteverify",
    }


@contextmanager
def deployed(workdir: Path, variants: Collection[str], standin_url: str | None) -> Iterator[dict[str, Any]]:
    """Bootstrap, then deploy `variants` (main always) in one go; yields the record: the
    emulator's folder and port, and each variant's outputs. The emulator stops on exit."""
    from offline.emulator import bootstrap, deploy_stacks

    stacks: dict[str, tuple[str, dict[str, str]]] = {"main": (STACK, {})}
    if "lockout" in variants:
        stacks["lockout"] = (f"{STACK}Lockout", LOCKOUT_CONTEXT)
    if "provider" in variants:
        if standin_url is None:
            raise ValueError("the provider stack verifies against the stand-in: give its URL")
        stacks["provider"] = (f"{STACK}Provider", provider_context(standin_url))
    with Emulator(workdir=workdir, launcher=WITH_INSPECTOR) as emulator:
        bootstrap(emulator.endpoint, workdir)
        named = dict(stacks.values())
        outputs = deploy_stacks(emulator.endpoint, workdir, list(named), {"stacks": json.dumps(named)}, APP)
        yield {
            "workdir": str(workdir),
            "port": emulator.port,
            "outputs": {key: outputs[name] for key, (name, _) in stacks.items()},
        }
    assert emulator.process is not None and emulator.process.poll() is not None  # stopped


def handle(record: dict[str, Any]) -> Emulator:
    """The recorded emulator, for its endpoint and its allowed origins: not started here, so
    stopping it is its owner's (the controller's)."""
    return Emulator(workdir=Path(record["workdir"]), port=int(record["port"]), launcher=list(WITH_INSPECTOR))


class ControllerDeployment:
    """The xdist controller's part (registered by tests/conftest.py): deploy once, in the
    background while the workers start on other tests, and stop everything at the end."""

    def __init__(self, config: pytest.Config) -> None:
        self._config = config
        self._secret = secrets.token_urlsafe(24)
        self._record: Path | None = None
        self._thread: threading.Thread | None = None
        self._stack = ExitStack()

    @property
    def record_file(self) -> Path:
        if self._record is None:  # in pytest's own temporary folders, as xdist gives each worker one
            factory: pytest.TempPathFactory = self._config._tmp_path_factory  # type: ignore[attr-defined]
            self._record = factory.mktemp("e2e-deployment") / "record.json"
        return self._record

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[RECORD] = str(self.record_file)
        node.workerinput[STANDIN_SECRET] = self._secret

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: Sequence[str]) -> None:
        if self._thread is None and any(nodeid.startswith("tests/e2e/") for nodeid in ids):
            self._thread = threading.Thread(target=self._deploy, name="e2e-deployment", daemon=True)
            self._thread.start()

    def _deploy(self) -> None:
        from offline.captcha_standin import running

        try:
            url = self._stack.enter_context(running(self._secret))
            record = self._stack.enter_context(deployed(self.record_file.parent, VARIANTS, url))
            record["standin_url"] = url
        except Exception as error:  # each worker's end-to-end test reports it
            record = {"error": f"{type(error).__name__}: {error}", "workdir": str(self.record_file.parent)}
        partial = self.record_file.with_suffix(".partial")
        partial.write_text(json.dumps(record))
        os.replace(partial, self.record_file)  # a worker never reads half of it

    def close(self) -> None:
        """After the last worker: the deploy is over by then (a Ctrl-C ends its CLI too)."""
        try:
            if self._thread is not None:
                self._thread.join()
        finally:  # a second Ctrl-C while waiting still stops the emulator and the stand-in
            self._stack.close()


def shared_record(config: pytest.Config) -> dict[str, Any] | None:
    """In an xdist worker, the controller's record (waiting for it); None in one process."""
    workerinput: dict[str, Any] = getattr(config, "workerinput", {})
    if RECORD not in workerinput:
        return None
    path = Path(workerinput[RECORD])
    deadline = time.monotonic() + WAIT_SECONDS
    while not path.exists():
        if time.monotonic() > deadline:
            pytest.fail(f"the shared deployment was not ready after {WAIT_SECONDS} s", pytrace=False)
        time.sleep(0.1)
    record: dict[str, Any] = json.loads(path.read_text())
    if "error" in record:
        pytest.fail(f"the shared deployment failed: {record['error']} (logs in {record['workdir']})", pytrace=False)
    record["standin_secret"] = workerinput[STANDIN_SECRET]
    return record
