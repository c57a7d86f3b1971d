"""One local deployment for the end-to-end tests: a fresh emulator on a free loopback port,
the real CDK CLI's bootstrap and deploy, and a user. The emulator is stopped, by its PID, even
when a test fails."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from offline.emulator import WITH_INSPECTOR, Emulator, create_user, deploy, random_password
from tests.e2e.deployment import LOCKOUT_CONTEXT, STACK, TURNSTILE_TEST_SITE_KEY, Deployment


@pytest.fixture(scope="session")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    workdir = tmp_path_factory.mktemp("offline")
    with Emulator(workdir=workdir, launcher=WITH_INSPECTOR) as emulator:
        outputs = deploy(emulator.endpoint, workdir, STACK)
        email, password = "e2e.user@example.com", random_password()
        deployment = Deployment(emulator=emulator, outputs=outputs, email=email, password=password)
        create_user(deployment.client("cognito-idp"), deployment.pool_id, email, password)
        yield deployment
    assert emulator.process is not None and emulator.process.poll() is not None  # stopped


@pytest.fixture(scope="session")
def lockout_deployment(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Deployment:
    """A second stack in the same emulator, deployed with LOCKOUT_CONTEXT, and its own user."""
    from offline.emulator import deploy_stack

    workdir = tmp_path_factory.mktemp("lockout")
    outputs = deploy_stack(deployment.emulator.endpoint, workdir, f"{STACK}Lockout", LOCKOUT_CONTEXT)
    locked = Deployment(
        emulator=deployment.emulator, outputs=outputs, email="lockout.user@example.com", password=random_password()
    )
    create_user(locked.client("cognito-idp"), locked.pool_id, locked.email, locked.password)
    return locked


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
def provider_deployment(
    deployment: Deployment, standin: StandIn, tmp_path_factory: pytest.TempPathFactory
) -> Deployment:
    """A third stack in the same emulator with captchaProvider=turnstile, verifying against the
    stand-in; its secret key set the way an operator sets it (put-secret-value)."""
    from offline.emulator import deploy_stack

    context = {
        "captchaProvider": "turnstile",
        "captchaSiteKey": TURNSTILE_TEST_SITE_KEY,
        "captchaHostnames": "127.0.0.1,localhost",
        "captchaVerifyUrl": f"{standin.url}/turnstile/v0/siteverify",
    }
    name = f"{STACK}Provider"
    outputs = deploy_stack(deployment.emulator.endpoint, tmp_path_factory.mktemp("provider"), name, context)
    provider = Deployment(
        emulator=deployment.emulator, outputs=outputs, email="provider.user@example.com", password=random_password()
    )
    secrets_client = provider.client("secretsmanager")
    (secret,) = [
        s for s in secrets_client.list_secrets()["SecretList"] if "turnstile secret key" in s.get("Description", "")
    ]
    secrets_client.put_secret_value(SecretId=secret["ARN"], SecretString=standin.secret)
    create_user(provider.client("cognito-idp"), provider.pool_id, provider.email, provider.password)
    return provider
