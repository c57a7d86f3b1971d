"""The end-to-end tests' fixtures: one deployment for every test (tests/e2e/shared.py: made by
this process, or under pytest-xdist by the controller and shared by every worker), and users in
its pools. The emulator is stopped, by its PID, even when a test fails."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from offline.emulator import create_user, random_password
from tests.e2e.deployment import Deployment
from tests.e2e.shared import deployed, handle, shared_record
from tests.e2e.terminal import StartTerminal, Terminal


def _needed(session: pytest.Session, fixture: str) -> bool:
    return any(fixture in getattr(item, "fixturenames", ()) for item in session.items)


@pytest.fixture(scope="session")
def _stacks(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The deployment: the controller's, or made here with only the stacks the collected tests need."""
    record = shared_record(request.config)
    if record is None:
        variants = ["main"]
        if any(_needed(request.session, name) for name in ("lockout_deployment", "abandoning_user", "parallel_user")):
            variants.append("lockout")
        standin_url = None
        if _needed(request.session, "provider_deployment"):
            variants.append("provider")
            standin_url = request.getfixturevalue("standin").url
        with deployed(tmp_path_factory.mktemp("offline"), variants, standin_url) as record:
            yield {"emulator": handle(record), **record["outputs"]}
    else:
        yield {"emulator": handle(record), **record["outputs"]}


def _user(stacks: dict[str, Any], key: str, name: str) -> Deployment:
    """The stack's outputs and a fresh user in its pool: `name` with a random tag, since another
    worker's session makes its own users in the same pools."""
    email = f"{name}.{secrets.token_hex(4)}@example.com"
    deployment = Deployment(emulator=stacks["emulator"], outputs=stacks[key], email=email, password=random_password())
    create_user(deployment.client("cognito-idp"), deployment.pool_id, deployment.email, deployment.password)
    return deployment


@pytest.fixture(scope="session")
def deployment(_stacks: dict[str, Any]) -> Deployment:
    return _user(_stacks, "main", "e2e.user")


@pytest.fixture(scope="session")
def lockout_deployment(_stacks: dict[str, Any]) -> Deployment:
    """A second stack in the same emulator, deployed with LOCKOUT_CONTEXT, and its own user."""
    return _user(_stacks, "lockout", "lockout.user")


@pytest.fixture(scope="session")
def abandoning_user(_stacks: dict[str, Any]) -> Deployment:
    """The lockout stack with another user: one test's lock can't decide another's."""
    return _user(_stacks, "lockout", "abandoning.user")


@pytest.fixture(scope="session")
def parallel_user(_stacks: dict[str, Any]) -> Deployment:
    """The lockout stack with a third user, whose sign-ins a bot opens all at once."""
    return _user(_stacks, "lockout", "parallel.user")


@dataclass
class StandIn:
    """The local stand-in of the providers' siteverify and widget scripts (offline/)."""

    url: str
    secret: str

    def widget_url(self, provider: str) -> str:
        return f"{self.url}/widget/{provider.split('-')[0]}.js"


@pytest.fixture(scope="session")
def standin(request: pytest.FixtureRequest) -> Iterator[StandIn]:
    """The controller's stand-in, or one started here."""
    record = shared_record(request.config)
    if record is not None:
        yield StandIn(url=record["standin_url"], secret=record["standin_secret"])
        return
    from offline.captcha_standin import running

    secret = secrets.token_urlsafe(24)
    with running(secret) as url:
        yield StandIn(url=url, secret=secret)


@pytest.fixture(scope="session")
def provider_deployment(_stacks: dict[str, Any], standin: StandIn) -> Deployment:
    """A third stack in the same emulator with captchaProvider=turnstile, verifying against the
    stand-in; its secret key set the way an operator sets it (put-secret-value)."""
    provider = _user(_stacks, "provider", "provider.user")
    secrets_client = provider.client("secretsmanager")
    (secret,) = [
        s for s in secrets_client.list_secrets()["SecretList"] if "turnstile secret key" in s.get("Description", "")
    ]
    secrets_client.put_secret_value(SecretId=secret["ARN"], SecretString=standin.secret)
    return provider


@pytest.fixture
def terminal() -> Iterator[StartTerminal]:
    """Starts `python -m signin` on a pseudo-terminal; each is stopped by its PID at the end."""
    started: list[Terminal] = []

    def start(args: list[str], env: dict[str, str]) -> Terminal:
        started.append(Terminal(args, env))
        return started[-1]

    yield start
    for each in started:
        each.stop()
