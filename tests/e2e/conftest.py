"""One local deployment for the end-to-end tests: a fresh emulator on a free loopback port,
the real CDK CLI's bootstrap and deploy, and a user. The emulator is stopped, by its PID, even
when a test fails."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from offline.emulator import REGION, Emulator, create_user, deploy, random_password
from tests.e2e.emulator_state import pending_answer

INSPECTOR = Path(__file__).resolve().parent / "ministack_with_inspector.py"
STACK = "CaptchaSignInE2E"


@dataclass
class Deployment:
    emulator: Emulator
    outputs: dict[str, str]
    email: str
    password: str

    @property
    def pool_id(self) -> str:
        return self.outputs["UserPoolId"]

    @property
    def client_id(self) -> str:
        return self.outputs["UserPoolClientId"]

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.emulator.endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def pending_answer(self) -> str:
        """Play the human: the answer of this user's pending CAPTCHA, from the emulator's state."""
        return pending_answer(self.emulator.endpoint, self.pool_id, self.email)


@pytest.fixture(scope="session")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    workdir = tmp_path_factory.mktemp("offline")
    with Emulator(workdir=workdir, launcher=[str(INSPECTOR)]) as emulator:
        outputs = deploy(emulator.endpoint, workdir, stack_name=STACK)
        email, password = "e2e.user@example.com", random_password()
        deployment = Deployment(emulator=emulator, outputs=outputs, email=email, password=password)
        create_user(deployment.client("cognito-idp"), deployment.pool_id, email, password)
        yield deployment
    assert emulator.process is not None and emulator.process.poll() is not None  # stopped
