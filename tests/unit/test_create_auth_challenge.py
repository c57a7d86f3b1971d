"""Create auth challenge: a fresh secret answer, rendered, kept out of everything public."""

from __future__ import annotations

import base64
import io
import json
import math
import os
import wave
from typing import Any

import pytest
from PIL import Image

from captcha_auth import challenge, create_auth_challenge
from captcha_auth.challenge import ALPHABET, ANSWER_LENGTH
from captcha_auth.common import CAPTCHA_CHALLENGE
from captcha_auth.create_auth_challenge import lambda_handler
from tests.support import load_event

PARAMETER_LIMIT = 131_072  # characters per challenge parameter value


def run(lambda_context: Any, **request: Any) -> dict[str, Any]:
    event = load_event("create_auth_challenge")
    event["request"].update(request)
    return lambda_handler(event, lambda_context)["response"]


def decode_data_url(url: str, media_type: str) -> bytes:
    prefix = f"data:{media_type};base64,"
    assert url.startswith(prefix)
    return base64.b64decode(url[len(prefix) :], validate=True)


def test_image_challenge_as_documented(lambda_context) -> None:
    response = run(lambda_context)
    public = response["publicChallengeParameters"]
    assert set(public) == {"captchaFormat", "captchaUrl", "attempt", "maxAttempts", "attemptsLeft"}
    assert public["captchaFormat"] == "image"
    assert (public["attempt"], public["maxAttempts"], public["attemptsLeft"]) == ("1", "3", "3")
    image = Image.open(io.BytesIO(decode_data_url(public["captchaUrl"], "image/png")))
    assert image.format == "PNG" and image.width >= 160
    assert len(public["captchaUrl"]) <= PARAMETER_LIMIT
    assert response["challengeMetadata"] == CAPTCHA_CHALLENGE
    assert set(response["privateChallengeParameters"]) == {"answer"}


def test_answer_space_against_guessing_and_the_alphabet() -> None:
    # A guesser gets MAX_CAPTCHA_ATTEMPTS answers a sign-in and LOCKOUT_AFTER_FAILURES sign-ins
    # before the failure counter's back-off: under one chance in a thousand, per back-off.
    guesses = int(os.environ["MAX_CAPTCHA_ATTEMPTS"]) * int(os.environ["LOCKOUT_AFTER_FAILURES"])
    assert guesses / len(ALPHABET) ** ANSWER_LENGTH < 1e-3
    assert ALPHABET.upper() == ALPHABET and len(set(ALPHABET)) == len(ALPHABET)
    for look_alike in "0O1IL2Z5S8B7KYAW":  # shapes people confuse with a kept one, or sounds
        assert look_alike not in ALPHABET
    answers = [challenge.new_answer() for _ in range(2_000)]
    # 9**5 = 59,049 answers: 2,000 draws give about 1,966 distinct ones (sd ~6); a broken
    # generator repeats far more.
    assert len(set(answers)) >= 1_930
    assert all(len(a) == ANSWER_LENGTH and set(a) <= set(ALPHABET) for a in answers)
    for position in range(ANSWER_LENGTH):
        assert {a[position] for a in answers} == set(ALPHABET)


def test_answer_comes_from_secrets(monkeypatch) -> None:
    picks: list[str] = []

    def choice(seq: str) -> str:
        picks.append(seq)
        return seq[0]

    monkeypatch.setattr(challenge.secrets, "choice", choice)
    assert challenge.new_answer() == ALPHABET[0] * ANSWER_LENGTH
    assert picks == [ALPHABET] * ANSWER_LENGTH


def test_a_fresh_answer_every_round(lambda_context) -> None:
    answers = {run(lambda_context)["privateChallengeParameters"]["answer"] for _ in range(10)}
    assert len(answers) == 10


def test_answer_is_in_no_public_value_and_not_in_metadata(lambda_context) -> None:
    for captcha_format in ("image", "audio"):
        response = run(lambda_context, clientMetadata={"captchaFormat": captcha_format})
        answer = response["privateChallengeParameters"]["answer"]
        public_text = json.dumps(response["publicChallengeParameters"])
        for form in (answer, answer.lower(), base64.b64encode(answer.encode()).decode()):
            assert form not in public_text
        assert answer not in response["challengeMetadata"]


def test_audio_when_asked_through_client_metadata(lambda_context) -> None:
    public = run(lambda_context, clientMetadata={"captchaFormat": "audio"})["publicChallengeParameters"]
    assert public["captchaFormat"] == "audio"
    assert len(public["captchaUrl"]) <= PARAMETER_LIMIT
    with wave.open(io.BytesIO(decode_data_url(public["captchaUrl"], "audio/wav"))) as sound:
        assert sound.getnchannels() == 1
        assert sound.getnframes() / sound.getframerate() >= 2.0  # long enough to say seven characters


def test_audio_always_fits_the_parameter_limit() -> None:
    from captcha_auth.audio import max_wav_bytes, render_audio

    bound = max_wav_bytes(ANSWER_LENGTH)
    assert len("data:audio/wav;base64,") + 4 * math.ceil(bound / 3) <= PARAMETER_LIMIT
    for _ in range(10):
        assert len(render_audio(challenge.new_answer())) <= bound


def test_every_answer_character_has_a_voice() -> None:
    from captcha_auth import audio

    assert set(ALPHABET) <= set(audio._VOICES)


HOSTILE_METADATA = {
    "unknown-format": {"captchaFormat": "video"},
    "format-upper-case": {"captchaFormat": "AUDIO"},
    "format-not-a-string": {"captchaFormat": ["audio"]},
    "skip-captcha": {"skipCaptcha": "true"},
    "answer-injection": {"answer": "AAAAAAA", "privateChallengeParameters": "x"},
    "ten-thousand-keys": {f"k{i}": "v" for i in range(10_000)},
    "huge-value": {"captchaFormat": "a" * 131_072},
    "metadata-not-an-object": "captchaFormat=audio",
    "metadata-null": None,
}


@pytest.mark.parametrize("metadata", HOSTILE_METADATA.values(), ids=HOSTILE_METADATA.keys())
def test_hostile_client_metadata_gets_the_default_image(lambda_context, metadata: Any) -> None:
    response = run(lambda_context, clientMetadata=metadata)
    assert response["publicChallengeParameters"]["captchaFormat"] == "image"
    assert response["privateChallengeParameters"]["answer"] != "AAAAAAA"


def test_attempt_numbers_follow_the_session(lambda_context) -> None:
    event = load_event("create_auth_challenge")
    wrong = {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": False, "challengeMetadata": CAPTCHA_CHALLENGE}
    event["request"]["session"] += [wrong, wrong]
    public = lambda_handler(event, lambda_context)["response"]["publicChallengeParameters"]
    assert (public["attempt"], public["attemptsLeft"]) == ("3", "1")


def test_unknown_user_gets_the_same_shape(lambda_context) -> None:
    known = run(lambda_context)
    unknown = run(lambda_context, userNotFound=True, userAttributes={})
    assert set(unknown) == set(known)
    assert set(unknown["publicChallengeParameters"]) == set(known["publicChallengeParameters"])
    assert {k: v for k, v in unknown["publicChallengeParameters"].items() if k != "captchaUrl"} == {
        k: v for k, v in known["publicChallengeParameters"].items() if k != "captchaUrl"
    }
    assert unknown["challengeMetadata"] == known["challengeMetadata"]


BAD_REQUESTS = {
    "wrong-challenge-name": {"challengeName": "PASSWORD_VERIFIER"},
    "session-not-a-list": {"session": "SRP_A"},
    "session-entry-not-an-object": {"session": ["SRP_A"]},
    "no-attempts-left": {
        "session": [
            {"challengeName": "CUSTOM_CHALLENGE", "challengeResult": False, "challengeMetadata": CAPTCHA_CHALLENGE}
        ]
        * 3
    },
}


@pytest.mark.parametrize("changes", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_unexpected_request_fails_closed_with_a_fixed_message(lambda_context, captured_logs, changes) -> None:
    with pytest.raises(create_auth_challenge.ChallengeUnavailable) as failure:
        run(lambda_context, **changes)
    assert str(failure.value) == "challenge unavailable"
    assert failure.value.__cause__ is None and failure.value.__suppress_context__
    assert "ValueError" in captured_logs()


def test_rendering_error_shows_nothing_of_it(lambda_context, monkeypatch, captured_logs) -> None:
    def broken(answer: str, captcha_format: str) -> str:
        raise OSError(f"font missing while drawing {answer}")

    monkeypatch.setattr(create_auth_challenge, "data_url", broken)
    with pytest.raises(create_auth_challenge.ChallengeUnavailable, match=r"^challenge unavailable$"):
        run(lambda_context)
    assert "drawing" not in captured_logs()


def test_logs_hold_neither_answer_nor_picture(lambda_context, captured_logs) -> None:
    response = run(lambda_context)
    logs = captured_logs()
    assert '"format":"image"' in logs.replace(" ", "")
    assert response["privateChallengeParameters"]["answer"] not in logs
    assert "base64" not in logs and "privateChallengeParameters" not in logs


def test_each_round_is_one_line_the_metric_filters_count_by_format(lambda_context, captured_logs) -> None:
    from stacks.captcha_auth.monitoring import METRIC_FILTERS

    run(lambda_context)
    run(lambda_context, clientMetadata={"captchaFormat": "audio"})
    records = [json.loads(line) for line in captured_logs().splitlines()]
    counted = [
        m for r in records for m, alternatives in METRIC_FILTERS["create"].items()
        if any(r.get(f) == v for f, v in alternatives)
    ]  # fmt: skip
    assert counted == ["CaptchaImage", "CaptchaAudio"]
    assert [r["attempt"] for r in records] == [1, 1] and "level" not in records[0]
