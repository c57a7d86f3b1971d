"""End to end: the failure counter across sign-ins, on the local deployment (the real CDK CLI's
deploy, the deployed define trigger, the emulator's DynamoDB), through the sign-in CLI."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from signin.flow import LOCKED_OUT_MARKER, MESSAGES, Captcha, ExitCode, SignInError, Tokens, sign_in
from tests.e2e.deployment import LOCKOUT_CONTEXT, Deployment
from tests.e2e.terminal import StartTerminal, cli_args, cli_environment

pytestmark = pytest.mark.e2e
FAILURES = int(LOCKOUT_CONTEXT["lockoutAfterFailures"])
BACKOFF = int(LOCKOUT_CONTEXT["lockoutSeconds"])


def attempt(deployment: Deployment, answer: str | None = None) -> Tokens:
    """One sign-in with the right password; the CAPTCHA answered wrong unless `answer` says."""

    def solve(captcha: Captcha) -> str:
        return deployment.pending_answer() if answer == "right" else "WRONG"

    return sign_in_with(deployment, solve)


def sign_in_with(deployment: Deployment, solve: Callable[[Captcha], str]) -> Tokens:
    """The deployment's user signs in with the right password; `solve` answers each CAPTCHA."""
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


class Abandon(Exception):
    """The person (or bot) walks away from the CAPTCHA without answering."""


def abandon_sign_in(deployment: Deployment) -> None:
    """The right password, then no answer: the sign-in ends as soon as the CAPTCHA is shown."""

    def walk_away(_: Captcha) -> str:
        raise Abandon

    with pytest.raises(Abandon):
        sign_in_with(deployment, walk_away)


def test_n_failed_sign_ins_lock_the_user_out_until_the_back_off_ends(
    lockout_deployment: Deployment, terminal: StartTerminal
) -> None:
    fail_sign_ins(lockout_deployment, FAILURES - 1)
    # The real CLI, waiting at its password prompt (started, its modules loaded) before the
    # failure that locks, and that failure a sign-in abandoned at the CAPTCHA, which ends as soon
    # as the lock is set: what is left to fit in the back-off (3-4 s: the counter keeps whole
    # seconds) is typing the password and the CLI's SRP step.
    cli = terminal(cli_args(lockout_deployment, lockout_deployment.email), cli_environment(lockout_deployment))
    cli.expect("Password: ")
    abandon_sign_in(lockout_deployment)
    locked_at = time.time()

    # The right password: refused, with the CLI's own exit code and message.
    cli.type(lockout_deployment.password)
    refusal = f"error: {MESSAGES['lockedOut']}"
    seen = cli.expect(refusal, "Answer: ")
    assert seen == refusal, f"the CAPTCHA, {time.time() - locked_at:.1f} s after the lock:\n{cli.output}"
    assert cli.exit_code() == ExitCode.LOCKED_OUT, cli.output
    assert cli.output.rstrip().splitlines()[-1] == refusal  # its last word
    assert "Traceback" not in cli.output and "SIGN_IN_LOCKED" not in cli.output

    wait_out_the_lock(locked_at)
    tokens = attempt(lockout_deployment, answer="right")
    assert tokens.id_token  # and the success cleared the count:
    fail_sign_ins(lockout_deployment, FAILURES - 1)
    assert attempt(lockout_deployment, answer="right").id_token


def test_sign_ins_abandoned_at_the_captcha_count_and_lock_too(abandoning_user: Deployment) -> None:
    """A bot can't dodge the counter by never spending its last attempt."""
    for _ in range(FAILURES):
        abandon_sign_in(abandoning_user)
    locked_at = time.time()
    with pytest.raises(SignInError) as refused:
        attempt(abandoning_user, answer="right")
    assert refused.value.code == ExitCode.LOCKED_OUT
    wait_out_the_lock(locked_at)
    assert attempt(abandoning_user, answer="right").id_token


def test_sign_ins_opened_at_once_before_a_lock_dont_all_reach_the_captcha(parallel_user: Deployment) -> None:
    """A bot with the password opens sign-ins before any failure is counted, so each passes the
    lock check at its start, then proves the password in all of them at once: through Cognito
    (the emulator's) and the deployed Define, only the threshold's worth get a CAPTCHA."""
    assert attempt(parallel_user, answer="right").id_token  # the count at zero
    idp = parallel_user.client("cognito-idp")  # botocore's clients are safe to share between threads
    opened = FAILURES + 2

    def start(_: int) -> tuple[str, dict[str, Any]]:
        started, proof = parallel_user.start_sign_in(idp)
        assert started["ChallengeName"] == "PASSWORD_VERIFIER"
        return started["Session"], proof

    # Opened at once, as a bot would: the emulator starts a Define worker for each call at once, so
    # the counts below meet warm workers and land together, well inside the lock.
    with ThreadPoolExecutor(opened) as pool:
        proofs = list(pool.map(start, range(opened)))

    def prove(proof: tuple[str, dict[str, Any]]) -> str:
        session, responses = proof
        try:
            return str(
                idp.respond_to_auth_challenge(
                    ClientId=parallel_user.client_id,
                    ChallengeName="PASSWORD_VERIFIER",
                    Session=session,
                    ChallengeResponses=responses,
                )["ChallengeName"]
            )
        except ClientError as error:
            return "locked" if LOCKED_OUT_MARKER in error.response["Error"]["Message"] else str(error)

    started_at = time.time()
    with ThreadPoolExecutor(opened) as pool:
        outcomes = list(pool.map(prove, proofs))
    took = f"the {opened} took {time.time() - started_at:.1f} s; the lock lasts {BACKOFF} s"
    assert sorted(outcomes) == ["CUSTOM_CHALLENGE"] * FAILURES + ["locked"] * (opened - FAILURES), took
