"""End to end with a managed provider: the stack deployed with captchaProvider=turnstile signs
in with a token its verify trigger checks against the provider's siteverify (the local
stand-in), and refuses a token solved for another page or action."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from offline.captcha_standin import standin_token
from tests.e2e.deployment import TURNSTILE_TEST_SITE_KEY, Deployment

pytestmark = pytest.mark.e2e


def sign_in_with(deployment: Deployment, **claims: object) -> tuple[dict, dict[str, str]]:
    """One sign-in, as the web page makes it (SRP, then the provider round answered with a
    token), the token a stand-in one carrying `claims`. Returns (the last response, the round)."""
    idp = deployment.client("cognito-idp")
    started, proof = deployment.start_sign_in(idp)
    response = idp.respond_to_auth_challenge(
        ClientId=deployment.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        Session=started["Session"],
        ChallengeResponses=proof,
        ClientMetadata={"platform": "web"},
    )
    parameters = response["ChallengeParameters"]
    token = {"hostname": "127.0.0.1", "action": parameters.get("action"), "nonce": uuid.uuid4().hex}
    answer = standin_token({**token, "ts": datetime.now(UTC).isoformat(), **claims})
    final = idp.respond_to_auth_challenge(
        ClientId=deployment.client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=response["Session"],
        ChallengeResponses={"USERNAME": parameters.get("USERNAME", deployment.email), "ANSWER": answer},
        ClientMetadata={"platform": "web"},
    )
    return final, parameters


def test_a_turnstile_token_checked_by_the_deployed_verify_trigger_signs_in(provider_deployment: Deployment) -> None:
    final, round_one = sign_in_with(provider_deployment)
    assert final["AuthenticationResult"]["IdToken"]
    assert round_one["captchaFormat"] == "provider" and round_one["provider"] == "turnstile"
    assert round_one["siteKey"] == TURNSTILE_TEST_SITE_KEY and round_one["action"] == "sign_in"
    assert "captchaUrl" not in round_one


@pytest.mark.parametrize("claims", [{"hostname": "evil.example"}, {"action": "sign_up"}], ids=["hostname", "action"])
def test_a_token_for_another_page_or_action_is_refused(provider_deployment: Deployment, claims: dict) -> None:
    try:
        final, _ = sign_in_with(provider_deployment, **claims)
    except ClientError as error:  # the emulator: one answer per sign-in, then refused
        assert error.response["Error"]["Code"] == "NotAuthorizedException"
    else:  # AWS: the next round, no tokens
        assert "AuthenticationResult" not in final
