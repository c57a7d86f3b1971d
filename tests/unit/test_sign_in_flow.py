"""Multi-round sign-ins through the real handlers, driven by the documented Cognito rules."""

from __future__ import annotations

import pytest

from tests.cognito_flow import CognitoError, CognitoFlow, Step


def to_captcha(flow: CognitoFlow, **metadata: str) -> Step:
    first = flow.initiate_auth()
    assert first.challenge_name == "PASSWORD_VERIFIER"
    step = flow.respond_password(first.session, proof_ok=True, client_metadata=metadata or None)
    assert step.challenge_name == "CUSTOM_CHALLENGE"
    return step


def human_answer(flow: CognitoFlow) -> str:
    """The test plays the human: it reads the answer where Cognito keeps it."""
    assert flow.private is not None
    return flow.private["answer"].lower()


def test_happy_path_issues_tokens_once_the_captcha_is_solved() -> None:
    flow = CognitoFlow()
    step = to_captcha(flow)
    assert step.parameters["attempt"] == "1"
    assert step.parameters["attemptsLeft"] == "3"
    assert flow.respond_captcha(step.session, human_answer(flow)).tokens
    assert [name for name, _ in flow.invocations] == ["define", "define", "create", "verify", "define", "post"]


@pytest.mark.parametrize("wrong", [1, 2])
def test_wrong_answers_then_right(wrong: int) -> None:
    flow = CognitoFlow()
    step = to_captcha(flow)
    answers_seen = {flow.private["answer"]}
    for n in range(wrong):
        step = flow.respond_captcha(step.session, "nope")
        assert step.challenge_name == "CUSTOM_CHALLENGE"
        assert step.parameters["attempt"] == str(n + 2)
        assert step.parameters["attemptsLeft"] == str(3 - n - 1)
        answers_seen.add(flow.private["answer"])
    assert len(answers_seen) == wrong + 1  # a fresh CAPTCHA every round
    assert flow.respond_captcha(step.session, human_answer(flow)).tokens


def test_three_wrong_answers_fail_the_sign_in() -> None:
    flow = CognitoFlow()
    step = to_captcha(flow)
    step = flow.respond_captcha(step.session, "nope")
    step = flow.respond_captcha(step.session, "nope")
    with pytest.raises(CognitoError) as failure:
        flow.respond_captcha(step.session, "nope")
    assert failure.value.code == "NotAuthorizedException"
    assert not flow.requests_to("post")


def test_a_session_string_works_once() -> None:
    flow = CognitoFlow()
    step = to_captcha(flow)
    flow.respond_captcha(step.session, "nope")
    with pytest.raises(CognitoError, match="Invalid session"):
        flow.respond_captcha(step.session, human_answer(flow))


def test_wrong_password_never_reaches_the_captcha() -> None:
    flow = CognitoFlow()
    first = flow.initiate_auth()
    with pytest.raises(CognitoError) as failure:
        flow.respond_password(first.session, proof_ok=False)
    assert failure.value.code == "NotAuthorizedException"
    assert not flow.requests_to("create")


def test_unknown_user_looks_like_a_wrong_password() -> None:
    known, unknown = CognitoFlow(), CognitoFlow(user_exists=False)
    outcomes = []
    for flow in (known, unknown):
        first = flow.initiate_auth()
        assert first.challenge_name == "PASSWORD_VERIFIER"
        with pytest.raises(CognitoError) as failure:
            flow.respond_password(first.session, proof_ok=flow is unknown)  # known: wrong proof
        outcomes.append(failure.value.code)
    assert outcomes == ["NotAuthorizedException", "NotAuthorizedException"]
    # What Define saw and decided is the same for both, but for the userNotFound flag.
    for flow in (known, unknown):
        sessions = [request["session"] for request in flow.requests_to("define")]
        assert [[entry["challengeName"] for entry in session] for session in sessions] == [
            ["SRP_A"],
            ["SRP_A", "PASSWORD_VERIFIER"],
        ]
    assert [r["userNotFound"] for r in unknown.requests_to("define")] == [True, True]
    assert not unknown.requests_to("create")


def test_client_metadata_reaches_create_verify_and_post_authentication() -> None:
    flow = CognitoFlow()
    step = to_captcha(flow, appVersion="2.0.0")
    metadata = {"appVersion": "2.0.0", "platform": "cli"}
    assert flow.respond_captcha(step.session, human_answer(flow), client_metadata=metadata).tokens
    assert flow.requests_to("create")[0]["clientMetadata"] == {"appVersion": "2.0.0"}
    assert flow.requests_to("verify")[0]["clientMetadata"] == metadata
    assert flow.requests_to("post")[0]["clientMetadata"] == metadata


def test_initiate_auth_metadata_reaches_none_of_the_triggers() -> None:
    flow = CognitoFlow()
    first = flow.initiate_auth(client_metadata={"captchaFormat": "audio"})
    assert flow.requests_to("define")[0]["clientMetadata"] == {}
    step = flow.respond_password(first.session, proof_ok=True)
    assert step.parameters["captchaFormat"] == "image"  # audio must be asked for on RespondToAuthChallenge


def test_hostile_metadata_cannot_skip_the_captcha() -> None:
    flow = CognitoFlow()
    step = to_captcha(flow, skipCaptcha="true", issueTokens="true")
    step = flow.respond_captcha(step.session, "nope", client_metadata={"answerCorrect": "true"})
    assert not step.tokens and step.challenge_name == "CUSTOM_CHALLENGE"
