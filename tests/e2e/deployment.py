"""The local deployment the end-to-end tests share, as the tests see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3

from offline.emulator import REGION, Emulator
from offline.inspector import pending_answer

# Its own name, so a test run never touches the demo's stack.
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
