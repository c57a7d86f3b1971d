"""One local deployment for the end-to-end tests: a fresh emulator on a free loopback port,
the real CDK CLI's bootstrap and deploy, and a user. The emulator is stopped, by its PID, even
when a test fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from offline.emulator import WITH_INSPECTOR, Emulator, create_user, deploy, random_password
from tests.e2e.deployment import STACK, Deployment


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
