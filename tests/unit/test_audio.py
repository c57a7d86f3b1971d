"""Properties of the audio CAPTCHA renderer (lambdas/captcha_auth/audio.py), over many random
answers: a playable WAV within its stated bound, every character spoken whole, in order and on
its own, and a clear error for symbols it has no voice for."""

from __future__ import annotations

import base64
import io
import math
import os
import secrets
import subprocess
import sys
import wave
from pathlib import Path

import pytest

from captcha_auth import audio, challenge

ALL_SYMBOLS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DATA_URL_LIMIT = 110_000
PREFIX = "data:audio/wav;base64,"


def random_answer(alphabet: str = ALL_SYMBOLS, length: int | None = None) -> str:
    n = length if length is not None else 1 + secrets.randbelow(challenge.ANSWER_LENGTH)
    return "".join(secrets.choice(alphabet) for _ in range(n))


def test_every_symbol_has_several_voices() -> None:
    assert set(ALL_SYMBOLS) == audio.SYMBOLS
    for symbol in ALL_SYMBOLS:
        clips = audio._voices(symbol)
        assert len(clips) >= 4
        assert all(0.1 * audio.RATE < len(c) < 0.8 * audio.RATE for c in clips)


def test_voice_data_stays_small() -> None:
    folder = Path(audio.VOICE_DIR)
    assert sum(f.stat().st_size for f in folder.iterdir()) < 1_000_000


def test_importing_reads_no_voice_file() -> None:
    code = "import captcha_auth.audio as a; assert a._clips == {}, sorted(a._clips)"
    env = {**os.environ, "PYTHONPATH": str(Path(audio.__file__).parent.parent)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


@pytest.mark.parametrize("alphabet", [challenge.ALPHABET, ALL_SYMBOLS])
def test_wav_format_and_size_bound(alphabet: str) -> None:
    for _ in range(15):
        answer = random_answer(alphabet)
        wav = audio.render_audio(answer)
        with wave.open(io.BytesIO(wav)) as w:
            assert (w.getframerate(), w.getsampwidth(), w.getnchannels()) == (8000, 1, 1)
            assert w.getnframes() > 0
        assert len(wav) <= audio.max_wav_bytes(len(answer))


def test_longest_answer_fits_the_data_url_limit() -> None:
    bound = audio.max_wav_bytes(challenge.ANSWER_LENGTH)
    assert len(PREFIX) + 4 * math.ceil(bound / 3) <= DATA_URL_LIMIT
    worst = max(ALL_SYMBOLS, key=lambda s: max(map(len, audio._voices(s))))
    wav = audio.render_audio(worst * challenge.ANSWER_LENGTH)
    assert len(wav) <= bound
    assert len(PREFIX + base64.b64encode(wav).decode()) <= DATA_URL_LIMIT


def test_max_wav_bytes_grows_with_length() -> None:
    sizes = [audio.max_wav_bytes(n) for n in range(1, 9)]
    assert sizes == sorted(sizes) and len(set(sizes)) == len(sizes)


def test_targets_are_whole_in_order_and_never_overlap() -> None:
    for _ in range(60):
        answer = random_answer()
        plan = audio._plan(answer)
        assert "".join(p.symbol for p in plan.targets) == answer
        for p in plan.targets:
            # The warp read the clip to its last sample, and nothing of it was cut off.
            assert p.consumed >= p.source_length - 1
            assert len(p.samples) >= p.source_length / (audio.SPEED_MAX * (1 + audio.WARP_MAX))
            assert len(p.samples) <= (p.source_length - 1) / audio.SLOWEST + 2
        for before, after in zip(plan.targets, plan.targets[1:], strict=False):
            assert after.start - before.end >= audio.GAP_MIN
        assert plan.targets[0].start >= audio.LEAD + audio.GAP_MIN
        assert plan.targets[-1].end + audio.TAIL == plan.length
        for p in plan.babble:
            assert p.start >= 0 and p.end <= plan.length


def test_warp_is_not_a_constant_speed() -> None:
    clip = audio._voices("A")[0]
    lengths = {len(audio._warp(clip, 1.0, 0.15, 1.0)[0]) for _ in range(20)}
    assert len(lengths) > 1  # the same clip, base speed and depth: different time courses


def test_babble_is_quieter_than_the_voices() -> None:
    plan = audio._plan(random_answer(challenge.ALPHABET, challenge.ANSWER_LENGTH))
    target_peak = min(max(map(abs, p.samples)) for p in plan.targets)
    babble_peak = max(max(map(abs, p.samples), default=0.0) for p in plan.babble)
    assert babble_peak < target_peak


def test_lower_case_is_spoken_as_upper_case() -> None:
    assert [p.symbol for p in audio._plan("a9k").targets] == ["A", "9", "K"]


@pytest.mark.parametrize("answer", ["AB-C", "É", "A B", "7?"])
def test_rejects_symbols_without_a_voice(answer: str) -> None:
    with pytest.raises(ValueError, match="no voice for"):
        audio.render_audio(answer)
