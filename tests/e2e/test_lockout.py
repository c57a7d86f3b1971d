"""End to end: the failure counter across sign-ins, on the local deployment (the real CDK CLI's
deploy, the deployed define trigger, the emulator's DynamoDB), through the sign-in CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from signin.flow import MESSAGES, Captcha, ExitCode, SignInError, sign_in
from signin.project import ROOT
from tests.e2e.deployment import LOCKOUT_CONTEXT, Deployment

pytestmark = pytest.mark.e2e
FAILURES = int(LOCKOUT_CONTEXT["lockoutAfterFailures"])
BACKOFF = int(LOCKOUT_CONTEXT["lockoutSeconds"])


def attempt(deployment: Deployment, answer: str | None = None):
    """One sign-in with the right password; the CAPTCHA answered wrong unless `answer` says."""

    def solve(captcha: Captcha) -> str:
        return deployment.pending_answer() if answer == "right" else "WRONG"

    return sign_in(
        deployment.client("cognito-idp"),
        pool_id=deployment.pool_id,
        client_id=deployment.client_id,
        username=deployment.email,
        password=deployment.password,
        solve=solve,
    )


def fail_sign_ins(deployment: Deployment, times: int) -> None:
    for _ in range(times):
        with pytest.raises(SignInError) as refused:
            attempt(deployment)
        assert refused.value.code == ExitCode.CAPTCHA_FAILED


def wait_out_the_lock(locked_at: float) -> None:
    """Until the back-off of a lock set before `locked_at` (time.time(), the clock the deployed
    trigger reads on this machine) has ended. The counter keeps whole seconds, rounded down, so
    the lock ends at most BACKOFF after the failure that set it; the time the test spent since
    then is not waited again."""
    time.sleep(max(0.0, locked_at + BACKOFF + 0.2 - time.time()))


def cli_sign_in(deployment: Deployment) -> subprocess.CompletedProcess[str]:
    """The real CLI with the right password; it never gets as far as asking for the CAPTCHA."""
    command = [sys.executable, "-m", "signin", "--endpoint-url", deployment.emulator.endpoint, "--region", "us-east-1"]
    command += ["--user-pool-id", deployment.pool_id, "--client-id", deployment.client_id]
    command += ["--username", deployment.email]
    env = {**os.environ, "CAPTCHA_SIGNIN_PASSWORD": deployment.password}
    env.update({"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"})
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120, check=False
    )


def test_n_failed_sign_ins_lock_the_user_out_until_the_back_off_ends(lockout_deployment: Deployment) -> None:
    fail_sign_ins(lockout_deployment, FAILURES)
    locked_at = time.time()

    # The right password, through the real CLI: refused, with its own exit code and message.
    refused = cli_sign_in(lockout_deployment)
    assert refused.returncode == ExitCode.LOCKED_OUT, refused.stderr
    assert refused.stderr.strip().splitlines()[-1] == f"error: {MESSAGES['lockedOut']}"
    assert "Traceback" not in refused.stderr and "SIGN_IN_LOCKED" not in refused.stderr

    wait_out_the_lock(locked_at)
    tokens = attempt(lockout_deployment, answer="right")
    assert tokens.id_token  # and the success cleared the count:
    fail_sign_ins(lockout_deployment, FAILURES - 1)
    assert attempt(lockout_deployment, answer="right").id_token


class Abandon(Exception):
    """The person (or bot) walks away from the CAPTCHA without answering."""


def test_sign_ins_abandoned_at_the_captcha_count_and_lock_too(lockout_deployment: Deployment) -> None:
    """A bot can't dodge the counter by never spending its last attempt."""

    def walk_away(_: Captcha) -> str:
        raise Abandon

    for _ in range(FAILURES):
        with pytest.raises(Abandon):
            sign_in(
                lockout_deployment.client("cognito-idp"),
                pool_id=lockout_deployment.pool_id,
                client_id=lockout_deployment.client_id,
                username=lockout_deployment.email,
                password=lockout_deployment.password,
                solve=walk_away,
            )
    locked_at = time.time()
    with pytest.raises(SignInError) as refused:
        attempt(lockout_deployment, answer="right")
    assert refused.value.code == ExitCode.LOCKED_OUT
    wait_out_the_lock(locked_at)
    assert attempt(lockout_deployment, answer="right").id_token
