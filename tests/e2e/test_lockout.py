"""End to end: the failure counter across sign-ins, on the local deployment (the real CDK CLI's
deploy, the deployed define trigger, the emulator's DynamoDB), through the sign-in CLI."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pytest

from offline.emulator import create_user, random_password
from signin.flow import MESSAGES, Captcha, ExitCode, SignInError, sign_in
from tests.e2e.deployment import LOCKOUT_CONTEXT, Deployment
from tests.e2e.terminal import cli_args, cli_environment

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


def test_n_failed_sign_ins_lock_the_user_out_until_the_back_off_ends(
    lockout_deployment: Deployment, terminal: Any
) -> None:
    fail_sign_ins(lockout_deployment, FAILURES - 1)
    # The real CLI, at its password prompt (started, its modules loaded) before the failure that
    # locks: its refusal then comes well inside the back-off, however slow the machine.
    cli = terminal(cli_args(lockout_deployment, lockout_deployment.email), cli_environment(lockout_deployment))
    cli.expect("Password: ")
    fail_sign_ins(lockout_deployment, 1)
    locked_at = time.time()

    # The right password: refused, with the CLI's own exit code and message.
    cli.type(lockout_deployment.password)
    refusal = f"error: {MESSAGES['lockedOut']}"
    assert cli.expect(refusal, "Answer: ") == refusal, cli.output  # never the CAPTCHA
    assert cli.exit_code() == ExitCode.LOCKED_OUT, cli.output
    assert "Traceback" not in cli.output and "SIGN_IN_LOCKED" not in cli.output

    wait_out_the_lock(locked_at)
    tokens = attempt(lockout_deployment, answer="right")
    assert tokens.id_token  # and the success cleared the count:
    fail_sign_ins(lockout_deployment, FAILURES - 1)
    assert attempt(lockout_deployment, answer="right").id_token


class Abandon(Exception):
    """The person (or bot) walks away from the CAPTCHA without answering."""


def test_sign_ins_abandoned_at_the_captcha_count_and_lock_too(lockout_deployment: Deployment) -> None:
    """A bot can't dodge the counter by never spending its last attempt. (A user of its own: the
    other test's lock can't decide this one.)"""
    lockout_deployment = replace(lockout_deployment, email="abandoning.user@example.com", password=random_password())
    idp = lockout_deployment.client("cognito-idp")
    create_user(idp, lockout_deployment.pool_id, lockout_deployment.email, lockout_deployment.password)

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
