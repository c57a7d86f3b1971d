"""Verify auth challenge response: normalised constant-time compare; anything odd is false."""

from __future__ import annotations

import json
from typing import Any

import pytest

from captcha_auth import verify_auth_challenge
from captcha_auth.verify_auth_challenge import MAX_ANSWER_CHARS, lambda_handler
from tests.support import load_event

ANSWER = "K4AX3MH"


def run(lambda_context: Any, answer: Any = ANSWER, **request: Any) -> bool:
    event = load_event("verify_auth_challenge")
    event["request"]["challengeAnswer"] = answer
    event["request"].update(request)
    return lambda_handler(event, lambda_context)["response"]["answerCorrect"]


def test_fixture_as_documented_is_correct(lambda_context) -> None:
    assert lambda_handler(load_event("verify_auth_challenge"), lambda_context)["response"] == {"answerCorrect": True}


@pytest.mark.parametrize(
    "answer",
    ["K4AX3MH", "k4ax3mh", "  K4AX3MH\n", "K4A X3MH", "Ｋ４ＡＸ３ＭＨ", "k4Ax3mH\t"],
    ids=["exact", "lower-case", "surrounding-space", "inner-space", "full-width", "mixed-case-tab"],
)
def test_what_a_person_types_is_accepted(lambda_context, answer: str) -> None:
    assert run(lambda_context, answer) is True


BAD_ANSWERS = {
    "wrong": "K4AX3MK",
    "prefix": "K4AX3M",
    "longer": "K4AX3MHH",
    "empty": "",
    "only-space": "   ",
    "one-megabyte": "K4AX3MH" * 174_763,
    "just-over-cap": "K4AX3MH" + " " * (MAX_ANSWER_CHARS - 6),
    "cyrillic-look-alike": "К4АХ3МН",
    "zero-width-joiner": "K4AX\u200d3MH",
    "lone-surrogate": "K4AX3M\ud800",
    "nul-byte": "K4AX3MH\x00",
    "rtl-override": "\u202eHM3XA4K",
    "none": None,
    "number": 7,
    "list": ["K4AX3MH"],
    "object": {"answer": "K4AX3MH"},
    "bool-true": True,
}


@pytest.mark.parametrize("answer", BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_bad_answer_is_false(lambda_context, answer: Any) -> None:
    assert run(lambda_context, answer) is False


@pytest.mark.parametrize(
    "private",
    [None, {}, {"answer": ""}, {"answer": None}, {"answer": 123}, "K4AX3MH", {"Answer": "K4AX3MH"}],
    ids=["none", "empty", "empty-answer", "null-answer", "int-answer", "string", "wrong-key"],
)
def test_missing_or_malformed_private_parameters_are_false(lambda_context, private: Any) -> None:
    assert run(lambda_context, privateChallengeParameters=private) is False


def test_unencodable_answer_is_false_without_an_error(lambda_context, captured_logs) -> None:
    assert run(lambda_context, "\ud800") is False  # a lone surrogate: UTF-8 can't encode it
    assert "verify_error" not in captured_logs()


def test_empty_answer_never_matches_empty_expected(lambda_context) -> None:
    assert run(lambda_context, "", privateChallengeParameters={"answer": ""}) is False


def test_unknown_user_is_never_correct(lambda_context) -> None:
    assert run(lambda_context, ANSWER, userNotFound=True) is False


def test_client_metadata_cannot_force_success(lambda_context) -> None:
    assert run(lambda_context, "nope", clientMetadata={"answerCorrect": "true", "skipCaptcha": "true"}) is False


def test_request_missing_is_false(lambda_context) -> None:
    event = load_event("verify_auth_challenge")
    del event["request"]
    assert lambda_handler(event, lambda_context)["response"] == {"answerCorrect": False}


def test_an_internal_error_is_a_wrong_answer_not_an_exception(lambda_context, monkeypatch, captured_logs) -> None:
    def explode(_: str) -> str:
        raise RuntimeError("K4AX3MH leaked?")

    monkeypatch.setattr(verify_auth_challenge, "normalise", explode)
    assert run(lambda_context) is False
    logs = captured_logs()
    assert "RuntimeError" in logs
    assert ANSWER not in logs


def test_compare_is_constant_time_on_bytes(monkeypatch, lambda_context) -> None:
    calls: list[tuple[Any, Any]] = []
    real = verify_auth_challenge.hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(verify_auth_challenge.hmac, "compare_digest", spy)
    assert run(lambda_context, "k4ax3mh") is True
    assert calls == [(b"k4ax3mh", b"k4ax3mh")]


def test_logs_never_hold_the_answer_or_the_attempt(lambda_context, captured_logs) -> None:
    run(lambda_context, "wrongguess")
    run(lambda_context, ANSWER)
    logs = captured_logs()
    assert '"correct":true' in logs.replace(" ", "")
    for secret in (ANSWER, ANSWER.lower(), "wrongguess", "privateChallengeParameters", "challengeAnswer"):
        assert secret not in logs


def test_an_internal_error_is_one_error_line_counted_as_a_trigger_error(
    lambda_context, monkeypatch, captured_logs
) -> None:
    from stacks.captcha_auth.monitoring import METRIC_FILTERS

    def explode(_: str) -> str:
        raise RuntimeError("no")

    monkeypatch.setattr(verify_auth_challenge, "normalise", explode)
    run(lambda_context)
    (line,) = captured_logs().splitlines()
    record = json.loads(line)
    assert record["level"] == "ERROR" and record["correct"] is False and record["error_type"] == "RuntimeError"
    # A problem line carries the request id, to find Lambda's own lines of the same invocation.
    assert record["requestId"] == lambda_context.aws_request_id
    counted = [m for m, alts in METRIC_FILTERS["verify"].items() if any(record.get(f) == v for f, v in alts)]
    assert counted == ["TriggerError"]
