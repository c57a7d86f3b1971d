"""One local emulator for the end-to-end tests: a fresh one on a free loopback port, the real CDK
CLI's bootstrap, then one `cdk deploy` of every stack the collected tests need (the main one, and
those with other settings: lockout, provider) from one app (tests/e2e/stacks_app.py), and a user
per stack. The emulator is stopped, by its PID, even when a test fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from offline.emulator import WITH_INSPECTOR, Emulator, create_user, random_password
from tests.e2e.deployment import LOCKOUT_CONTEXT, STACK, TURNSTILE_TEST_SITE_KEY, Deployment
from tests.e2e.terminal import StartTerminal, Terminal


def provider_context(standin_url: str) -> dict[str, str]:
    """captchaProvider=turnstile, verifying against the stand-in."""
    return {
        "captchaProvider": "turnstile",
        "captchaSiteKey": TURNSTILE_TEST_SITE_KEY,
        "captchaHostnames": "127.0.0.1,localhost",
        "captchaVerifyUrl": f"{standin_url}/turnstile/v0/siteverify",
    }


def _needed(session: pytest.Session, fixture: str) -> bool:
    return any(fixture in getattr(item, "fixturenames", ()) for item in session.items)


@pytest.fixture(scope="session")
def _stacks(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Bootstrap once, then deploy every stack the collected tests need in one go."""
    from offline.emulator import bootstrap, deploy_stacks

    workdir = tmp_path_factory.mktemp("offline")
    variants: dict[str, tuple[str, dict[str, str]]] = {"main": (STACK, {})}
    if _needed(request.session, "lockout_deployment") or _needed(request.session, "abandoning_user"):
        variants["lockout"] = (f"{STACK}Lockout", LOCKOUT_CONTEXT)
    if _needed(request.session, "provider_deployment"):
        standin = request.getfixturevalue("standin")
        variants["provider"] = (f"{STACK}Provider", provider_context(standin.url))
    with Emulator(workdir=workdir, launcher=WITH_INSPECTOR) as emulator:
        bootstrap(emulator.endpoint, workdir)
        stacks = dict(variants.values())
        app = "python3 -m tests.e2e.stacks_app"  # app.py's stack once per variant
        outputs = deploy_stacks(emulator.endpoint, workdir, list(stacks), {"stacks": json.dumps(stacks)}, app)
        yield {"emulator": emulator, **{key: outputs[name] for key, (name, _) in variants.items()}}
    assert emulator.process is not None and emulator.process.poll() is not None  # stopped


def _user(stacks: dict[str, Any], key: str, email: str) -> Deployment:
    """The stack's outputs and a fresh user in its pool."""
    deployment = Deployment(emulator=stacks["emulator"], outputs=stacks[key], email=email, password=random_password())
    create_user(deployment.client("cognito-idp"), deployment.pool_id, deployment.email, deployment.password)
    return deployment


@pytest.fixture(scope="session")
def deployment(_stacks: dict[str, Any]) -> Deployment:
    return _user(_stacks, "main", "e2e.user@example.com")


@pytest.fixture(scope="session")
def lockout_deployment(_stacks: dict[str, Any]) -> Deployment:
    """A second stack in the same emulator, deployed with LOCKOUT_CONTEXT, and its own user."""
    return _user(_stacks, "lockout", "lockout.user@example.com")


@pytest.fixture(scope="session")
def abandoning_user(_stacks: dict[str, Any]) -> Deployment:
    """The lockout stack with another user: one test's lock can't decide another's."""
    return _user(_stacks, "lockout", "abandoning.user@example.com")


@dataclass
class StandIn:
    """The local stand-in of the providers' siteverify and widget scripts (offline/)."""

    url: str
    secret: str

    def widget_url(self, provider: str) -> str:
        return f"{self.url}/widget/{provider.split('-')[0]}.js"


@pytest.fixture(scope="session")
def standin() -> Iterator[StandIn]:
    import secrets

    from offline.captcha_standin import running

    secret = secrets.token_urlsafe(24)
    with running(secret) as url:
        yield StandIn(url=url, secret=secret)


@pytest.fixture(scope="session")
def provider_deployment(_stacks: dict[str, Any], standin: StandIn) -> Deployment:
    """A third stack in the same emulator with captchaProvider=turnstile, verifying against the
    stand-in; its secret key set the way an operator sets it (put-secret-value)."""
    provider = _user(_stacks, "provider", "provider.user@example.com")
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
