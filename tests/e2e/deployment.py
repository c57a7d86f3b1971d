"""The local deployment the end-to-end tests share, as the tests see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import boto3
from pycognito.aws_srp import AWSSRP

from offline.emulator import REGION, Emulator
from offline.inspector import pending_answer

# Its own name, so a test run never touches the demo's stack.
STACK = "CaptchaSignInE2E"

# The emulator allows one CAPTCHA answer per sign-in and then ends it without asking Define
# again, so a sign-in with every attempt spent (what the failure counter counts) needs a limit
# of one there; and a back-off short enough to wait for.
LOCKOUT_CONTEXT = {"maxCaptchaAttempts": "1", "lockoutAfterFailures": "3", "lockoutSeconds": "4"}

# Cloudflare's documented always-passes test site key: a real key's shape, no real account.
TURNSTILE_TEST_SITE_KEY = "1x00000000000000000000AA"


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

    def start_sign_in(self, idp: Any) -> tuple[dict[str, Any], dict[str, str]]:
        """InitiateAuth (CUSTOM_AUTH, SRP_A) for this user, as the clients start a sign-in:
        Cognito's response, and the PASSWORD_VERIFIER step's responses computed from it (SRP)."""
        srp = AWSSRP(
            username=self.email, password=self.password, pool_id=self.pool_id, client_id=self.client_id, client=idp
        )
        auth = {**srp.get_auth_params(), "CHALLENGE_NAME": "SRP_A"}
        response = idp.initiate_auth(ClientId=self.client_id, AuthFlow="CUSTOM_AUTH", AuthParameters=auth)
        return response, srp.process_challenge(response["ChallengeParameters"], auth)

    def pending_answer(self) -> str:
        """Play the human: the answer of this user's pending CAPTCHA, from the emulator's state."""
        return pending_answer(self.emulator.endpoint, self.pool_id, self.email)
