"""A test double of Cognito's CUSTOM_AUTH state machine that drives the real trigger handlers
by the documented rules (see the Cognito developer guide's custom-auth trigger pages):

- the flow starts with SRP: InitiateAuth carries SRP_A, so Define first sees [SRP_A ✓];
- ClientMetadata from InitiateAuth reaches none of these triggers; ClientMetadata from each
  RespondToAuthChallenge reaches Define, Create, Verify and Post authentication of that call;
- every response carries a new Session string that can be used once;
- Define decides after every answer; Create runs whenever Define asks for CUSTOM_CHALLENGE;
  Verify's answer and Create's challengeMetadata are appended to the session;
- Define's failAuthentication is NotAuthorizedException; a raising trigger is
  UserLambdaValidationException.

The password check itself is Cognito's (real SRP in the end-to-end test); here the caller
says whether the proof was right.
"""

from __future__ import annotations

import copy
import secrets
from dataclasses import dataclass, field
from typing import Any

from captcha_auth import (
    create_auth_challenge,
    define_auth_challenge,
    post_authentication,
    verify_auth_challenge,
)
from offline.lambda_context import LocalLambdaContext

USER_SUB = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111"
CLIENT_ID = "1example23456789"


class CognitoError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass
class Step:
    """What the client receives from one API call."""

    session: str
    challenge_name: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    tokens: bool = False


@dataclass
class CognitoFlow:
    user_exists: bool = True
    invocations: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    private: dict[str, str] | None = None
    _session: str | None = None
    _challenge_metadata: str | None = None

    # --- API calls ---------------------------------------------------------------------------

    def initiate_auth(self, client_metadata: dict[str, str] | None = None) -> Step:
        # InitiateAuth's ClientMetadata goes to pre sign-up / pre auth / migration only.
        del client_metadata
        self.history = [{"challengeName": "SRP_A", "challengeResult": True, "challengeMetadata": None}]
        return self._define_and_continue(client_metadata=None)

    def respond_password(self, session: str, *, proof_ok: bool, client_metadata: dict[str, str] | None = None) -> Step:
        self._use(session)
        # For an unknown user there is no verifier to match: the proof always fails.
        ok = proof_ok and self.user_exists
        self.history.append({"challengeName": "PASSWORD_VERIFIER", "challengeResult": ok, "challengeMetadata": None})
        return self._define_and_continue(client_metadata)

    def respond_captcha(self, session: str, answer: Any, client_metadata: dict[str, str] | None = None) -> Step:
        self._use(session)
        verify_request = {
            "userAttributes": self._attributes(),
            "privateChallengeParameters": copy.deepcopy(self.private),
            "challengeAnswer": answer,
            "clientMetadata": client_metadata or {},
            "userNotFound": not self.user_exists,
        }
        correct = self._invoke("verify", verify_auth_challenge, verify_request, {"answerCorrect": None})[
            "answerCorrect"
        ]
        self.history.append(
            {
                "challengeName": "CUSTOM_CHALLENGE",
                "challengeResult": correct,
                "challengeMetadata": self._challenge_metadata,
            }
        )
        return self._define_and_continue(client_metadata)

    # --- Cognito's side ------------------------------------------------------------------------

    def _use(self, session: str) -> None:
        if session != self._session:
            raise CognitoError("NotAuthorizedException", "Invalid session for the user.")
        self._session = None

    def _attributes(self) -> dict[str, str]:
        return {"sub": USER_SUB, "email": "jane.doe@example.com", "email_verified": "true"} if self.user_exists else {}

    def _invoke(self, name: str, module: Any, request: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
        event = {
            "version": "1",
            "region": "us-east-1",
            "userPoolId": "us-east-1_EXAMPLE",
            "userName": USER_SUB if self.user_exists else "nobody@example.com",
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": CLIENT_ID},
            "triggerSource": {
                "define": "DefineAuthChallenge_Authentication",
                "create": "CreateAuthChallenge_Authentication",
                "verify": "VerifyAuthChallengeResponse_Authentication",
                "post": "PostAuthentication_Authentication",
            }[name],
            "request": request,
            "response": response,
        }
        self.invocations.append((name, copy.deepcopy(event)))
        try:
            result = module.lambda_handler(event, LocalLambdaContext())
        except Exception as exc:
            raise CognitoError("UserLambdaValidationException", f"{name} failed with error {exc}.") from None
        return result["response"]

    def _define_and_continue(self, client_metadata: dict[str, str] | None) -> Step:
        define_request = {
            "userAttributes": self._attributes(),
            "session": copy.deepcopy(self.history),
            "clientMetadata": client_metadata or {},
            "userNotFound": not self.user_exists,
        }
        decision = self._invoke("define", define_auth_challenge, define_request, {})
        if decision.get("failAuthentication") or (
            not decision.get("issueTokens") and decision.get("challengeName") is None
        ):
            raise CognitoError("NotAuthorizedException", "Incorrect username or password.")
        if decision.get("issueTokens"):
            post_request = {
                "userAttributes": self._attributes(),
                "newDeviceUsed": False,
                "clientMetadata": client_metadata or {},
            }
            self._invoke("post", post_authentication, post_request, {})
            return Step(session="", tokens=True)

        self._session = secrets.token_urlsafe(32)
        name = decision["challengeName"]
        if name != "CUSTOM_CHALLENGE":
            return Step(session=self._session, challenge_name=name)
        create_request = {
            "userAttributes": self._attributes(),
            "challengeName": name,
            "session": copy.deepcopy(self.history),
            "clientMetadata": client_metadata or {},
            "userNotFound": not self.user_exists,
        }
        created = self._invoke("create", create_auth_challenge, create_request, {})
        self.private = created["privateChallengeParameters"]
        self._challenge_metadata = created["challengeMetadata"]
        return Step(session=self._session, challenge_name=name, parameters=created["publicChallengeParameters"])

    def requests_to(self, trigger: str) -> list[dict[str, Any]]:
        return [event["request"] for name, event in self.invocations if name == trigger]
