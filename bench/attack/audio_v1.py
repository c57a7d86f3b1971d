"""The audio CAPTCHA renderer as it was before the synthetic voices (lambdas/captcha_auth/audio.py
at the commit that introduced bench/attack/audio_attacks.py): kept so the attacks can measure
old against new. Not used by the Lambda code.

Audio CAPTCHA: the `captcha` library's own voice recordings, mixed with the standard library.

captcha's voices are already 8 kHz / 8-bit unsigned / mono PCM. The stock
AudioCaptcha is big because of 1-3 s pauses plus ~0.35 s of silence baked
into every letter, and slow because it draws one secrets.randbelow (one
os.urandom syscall) per noise sample and mixes sample by sample in Python.
This keeps its recipe (3 beeps, speed/volume jitter, reversed-voice babble,
same mixing curve) but trims the voices, uses 0.40-0.75 s pauses and does
the per-sample work with bytes.translate and a 64 KiB mixing table.

Written here because the library's generator doesn't fit the job: its WAV for a 7-character
answer is ~170 KB (over the 131,072-character parameter limit once base64-encoded) and takes
~0.85 s of CPU. This one: ~60 KB (at most 82,311 bytes), ~60 ms. Browsers play 8-bit PCM WAV.
Depends on captcha internals (DATA_DIR and its file layout): keep captcha pinned.
"""

from __future__ import annotations

import io
import os
import secrets
import wave
from itertools import repeat
from operator import add, mul

from captcha.audio import DATA_DIR  # captcha's bundled voices: DATA_DIR/<char>/*.wav

RATE = 8000
GAP_MIN, GAP_MAX = int(0.40 * RATE), int(0.75 * RATE)  # pause before each char
SILENT_EDGE = 2  # |sample - 128| <= this counts as silence when trimming
EDGE_KEEP = 200  # samples (25 ms) kept either side of a trimmed voice


def _read_wav(path: str) -> bytes:
    with wave.open(path) as w:
        return bytes(w.readframes(w.getnframes()))


def _trim(body: bytes) -> bytes:
    loud = [i for i, v in enumerate(body) if abs(v - 128) > SILENT_EDGE]
    if not loud:
        return body
    return body[max(0, loud[0] - EDGE_KEEP) : loud[-1] + 1 + EDGE_KEEP]


def _load_voices() -> dict[str, list[bytes]]:
    voices: dict[str, list[bytes]] = {}
    for name in os.listdir(DATA_DIR):
        folder = os.path.join(DATA_DIR, name)
        if len(name) == 1 and os.path.isdir(folder):
            voices[name] = [
                _read_wav(os.path.join(folder, f)) for f in sorted(os.listdir(folder)) if f.endswith(".wav")
            ]
    return voices


def _mix_value(s: int, d: int) -> int:
    # Same soft-clipping mix as captcha.audio.mix_wave, precomputed once.
    v = s * d / 128 if s < 128 and d < 128 else 2 * (s + d) - s * d / 128 - 256
    return min(255, max(0, int(v)))


# Built once per container (~0.1 s of the cold start).
_NOISE_VOICES = _load_voices()  # untrimmed: babble density as in captcha
_VOICES = {k: [_trim(v) for v in vs] for k, vs in _NOISE_VOICES.items()}
_CHOICES = sorted(_VOICES)
_BEEP = _read_wav(os.path.join(DATA_DIR, "beep.wav"))
_SILENCE = bytes([128]) * (RATE // 5)
_END_BEEP = bytes(_BEEP[int(i / 1.4)] for i in range(int(len(_BEEP) * 1.4)))
_INTRO = _BEEP + _SILENCE + _BEEP + _SILENCE + _BEEP
_MIX = bytes(_mix_value(s, d) for s in range(256) for d in range(256))  # 64 KiB
_NOISE = bytes(v % 4 + 126 for v in range(256))  # faint white noise, as captcha


def _uniform(lo: float, hi: float) -> float:
    return lo + (hi - lo) * secrets.randbits(32) / 2**32


def _speed(body: bytes, speed: float) -> bytes:
    # Nearest-neighbour stretch (speed > 1 = slower, lower), like captcha's.
    n, last = int(len(body) * speed), len(body) - 1
    return bytes(body[min(last, int(i / speed))] for i in range(n))


def _volume(body: bytes, level: float) -> bytes:
    table = bytes(min(255, max(0, int(128 + (v - 128) * level))) for v in range(256))
    return body.translate(table)


def _mix(src: bytes, dst: bytes | bytearray) -> bytes:
    # All-C pipeline: look up (src << 8) + dst in the 64 KiB table.
    return bytes(map(_MIX.__getitem__, map(add, map(mul, src, repeat(256)), dst)))


def _overlay(track: bytearray, sound: bytes, pos: int) -> None:
    sound = sound[: len(track) - pos]
    track[pos : pos + len(sound)] = _mix(sound, track[pos : pos + len(sound)])


def max_wav_bytes(answer_length: int) -> int:
    """Upper bound on render_audio's size: every character its longest voice, slowest speed,
    longest pause."""
    longest = max(len(v) for voices in _VOICES.values() for v in voices)
    body = answer_length * (int(longest * 1.2) + GAP_MAX) + GAP_MIN
    return 44 + len(_INTRO) + body + len(_END_BEEP)  # 44: the WAV header


def render_audio(answer: str) -> bytes:
    """Return a WAV (8 kHz, 8-bit PCM, mono) speaking *answer* over babble."""
    voices, gaps = [], []
    for ch in answer.upper():
        v = _speed(secrets.choice(_VOICES[ch]), _uniform(0.9, 1.2))
        voices.append(_volume(v, _uniform(0.8, 1.2)))
        gaps.append(GAP_MIN + secrets.randbelow(GAP_MAX - GAP_MIN + 1))
    length = sum(map(len, voices)) + sum(gaps) + GAP_MIN  # + trailing pause
    track = bytearray(os.urandom(length).translate(_NOISE))
    pos = 0  # background babble: quieter, reversed random voices, as captcha
    while pos < length:
        noise = secrets.choice(_NOISE_VOICES[secrets.choice(_CHOICES)])[::-1]
        noise = _volume(_speed(noise, _uniform(0.8, 1.6)), _uniform(0.2, 0.6))
        _overlay(track, noise, pos)
        pos += len(noise) + secrets.randbelow(RATE // 10 + 1)
    pos = 0
    for gap, voice in zip(gaps, voices, strict=True):
        pos += gap
        _overlay(track, voice, pos)
        pos += len(voice)
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(RATE)
        w.writeframes(_INTRO + bytes(track) + _END_BEEP)
    return out.getvalue()
