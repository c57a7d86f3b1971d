"""One local emulator for the end-to-end tests: a fresh one on a free loopback port, the real CDK
CLI's bootstrap and deploys, and a user per stack. The stacks with other settings (lockout,
provider) deploy on threads beside the first one, only if a collected test needs them, while the
tests that don't run. The emulator is stopped, by its PID, even when a test fails."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from offline.emulator import WITH_INSPECTOR, Emulator, create_user, random_password
from tests.e2e.deployment import LOCKOUT_CONTEXT, STACK, TURNSTILE_TEST_SITE_KEY, Deployment


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
def _stacks(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Future]]:
    """Bootstrap once and deploy the main stack; then every other stack the collected tests need,
    on threads, while the tests on the main stack run (they are ordered first: tests/conftest.py)."""
    from offline.emulator import bootstrap, deploy_stack

    workdir = tmp_path_factory.mktemp("offline")
    others: dict[str, tuple[str, dict[str, str]]] = {}
    if _needed(request.session, "lockout_deployment"):
        others["lockout"] = (f"{STACK}Lockout", LOCKOUT_CONTEXT)
    if _needed(request.session, "provider_deployment"):
        standin = request.getfixturevalue("standin")
        others["provider"] = (f"{STACK}Provider", provider_context(standin.url))
    with Emulator(workdir=workdir, launcher=WITH_INSPECTOR) as emulator:
        bootstrap(emulator.endpoint, workdir)
        futures = {"emulator": _done(emulator), "main": _done(deploy_stack(emulator.endpoint, workdir, STACK))}
        with ThreadPoolExecutor(max(1, len(others)), thread_name_prefix="cdk-deploy") as pool:
            for key, (name, context) in others.items():
                folder = Path(tmp_path_factory.mktemp(key))
                _share_bundles(workdir / "cdk.out", folder / "cdk.out")
                futures[key] = pool.submit(deploy_stack, emulator.endpoint, folder, name, context)
            yield futures
    assert emulator.process is not None and emulator.process.poll() is not None  # stopped


def _share_bundles(built: Path, outdir: Path) -> None:
    """The trigger code bundle the main deploy built, linked into another deploy's cdk.out: the
    stacks differ in settings, not in code, so the asset hash is the same and CDK uses the bundle
    it finds there instead of running pip again (as it would in one cdk.out)."""
    for bundle in built.glob("asset.*"):
        if bundle.is_dir():
            shutil.copytree(bundle, outdir / bundle.name, copy_function=os.link)


def _done(value: object) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future


def _user(stacks: dict[str, Future], key: str, email: str) -> Deployment:
    """The stack's outputs (waiting for its deploy) and a fresh user in its pool."""
    deployment = Deployment(
        emulator=stacks["emulator"].result(), outputs=stacks[key].result(), email=email, password=random_password()
    )
    create_user(deployment.client("cognito-idp"), deployment.pool_id, deployment.email, deployment.password)
    return deployment


@pytest.fixture(scope="session")
def deployment(_stacks: dict[str, Future]) -> Deployment:
    return _user(_stacks, "main", "e2e.user@example.com")


@pytest.fixture(scope="session")
def lockout_deployment(_stacks: dict[str, Future]) -> Deployment:
    """A second stack in the same emulator, deployed with LOCKOUT_CONTEXT, and its own user."""
    return _user(_stacks, "lockout", "lockout.user@example.com")


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
def provider_deployment(_stacks: dict[str, Future], standin: StandIn) -> Deployment:
    """A third stack in the same emulator with captchaProvider=turnstile, verifying against the
    stand-in; its secret key set the way an operator sets it (put-secret-value)."""
    provider = _user(_stacks, "provider", "provider.user@example.com")
    secrets_client = provider.client("secretsmanager")
    (secret,) = [
        s for s in secrets_client.list_secrets()["SecretList"] if "turnstile secret key" in s.get("Description", "")
    ]
    secrets_client.put_secret_value(SecretId=secret["ARN"], SecretString=standin.secret)
    return provider
