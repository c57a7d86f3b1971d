"""Audio CAPTCHA: each character spoken by one of several synthetic voices, warped, over babble.

The voices (voices/<symbol>.v8, made by bench/make_voices.py from espeak-ng) are 8 kHz 8-bit
clips, six per symbol: different accents, sexes, pitches and synthesizers. Each character of the
answer gets a random clip, a random base speed (which moves its pitch with it), a random gain,
and a smooth time-varying speed warp within the clip, so no fixed copy of any voice at any
constant speed lines up with what is played: a matched filter built from the voice files (the
attack a stock audio CAPTCHA falls to) has nothing exact to match. Characters follow one
another in order with random pauses, each spoken whole and never overlapping another; under
them runs a babble of other clips played backwards, at roughly the old renderer's level.

Pure Python (the Lambda bundle has no numpy): one loop per warped sample and C-level
map()s for mixing. A 7-character answer renders in ~35 ms of CPU and its WAV is at most
max_wav_bytes(7) = 79,525 bytes (106,058 characters as a data URL; typical ~50 KB). Voice files
are read the first time a symbol is needed, so importing this module reads none of them.
Measured against a matched filter and a trained network: bench/attack/audio_attacks.py.
"""

from __future__ import annotations

import io
import math
import os
import secrets
import struct
import wave
from dataclasses import dataclass
from itertools import repeat
from operator import add

RATE = 8000
VOICE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "voices")

SPEED_MIN, SPEED_MAX = 0.9, 1.2  # base speed per character: source samples per output sample
WARP_MIN, WARP_MAX = 0.06, 0.15  # depth of the time-varying warp, a fraction of the base speed
KNOT_MIN, KNOT_MAX = 640, 1120  # 80-140 ms between the warp's random control points
SLOWEST = SPEED_MIN * (1 - WARP_MAX)  # no output sample reads the source slower than this
GAIN_MIN, GAIN_MAX = 0.72, 0.85  # of the clips' common peak level (112/127)
GAP_MIN, GAP_MAX = int(0.20 * RATE), int(0.50 * RATE)  # pause before each character
LEAD = int(0.25 * RATE)  # babble alone between the intro and the first pause
TAIL = int(0.25 * RATE)  # after the last character
BABBLE_STREAMS = 2  # independent streams of reversed clips, summed
BABBLE_GAIN_MIN, BABBLE_GAIN_MAX = 0.15, 0.30
BABBLE_SPEED_MIN, BABBLE_SPEED_MAX = 0.8, 1.4
BABBLE_SPACE = RATE // 10  # up to 0.1 s between clips of one stream


def _tone(freq: float, samples: int, level: float) -> bytes:
    fade = RATE // 200  # 5 ms
    return bytes(
        128 + round(level * math.sin(2 * math.pi * freq * n / RATE) * min(1.0, (n + 1) / fade, (samples - n) / fade))
        for n in range(samples)
    )


_BEEP = _tone(1000, RATE // 10, 60)
_PAUSE = bytes([128]) * int(0.15 * RATE)
_INTRO = _BEEP + _PAUSE + _BEEP  # "beep beep", then the characters
_END = _tone(700, int(0.14 * RATE), 60)
_OUT = 1024  # _TO_BYTE[int(value + _OUT + 128.5)]: clip a float sample to 0..255, rounding
_TO_BYTE = bytes(min(255, max(0, v - _OUT)) for v in range(2 * _OUT + 256))
_NOISE = bytes(v % 3 + 127 for v in range(256))  # faint white noise under everything

# Every symbol there is a voice file for (0-9, A-Z); only the directory listing is read here.
SYMBOLS = frozenset(name[0] for name in os.listdir(VOICE_DIR) if name.endswith(".v8") and len(name) == 4)
_VOICES = SYMBOLS  # the name the challenge tests check the alphabet against
_clips: dict[str, list[bytes]] = {}


def _voices(symbol: str) -> list[bytes]:
    """A symbol's clips, read from its file the first time they are needed."""
    if symbol not in _clips:
        with open(os.path.join(VOICE_DIR, f"{symbol}.v8"), "rb") as f:
            data = f.read()
        if data[:2] != b"V8":
            raise ValueError(f"{symbol}.v8 is not a voice file")
        count = data[2]
        lengths = struct.unpack(f"<{count}H", data[3 : 3 + 2 * count])
        pos, clips = 3 + 2 * count, []
        for n in lengths:
            clips.append(data[pos : pos + n])
            pos += n
        _clips[symbol] = clips
    return _clips[symbol]


def _longest_clip() -> int:
    return max(max(map(len, _voices(s))) for s in SYMBOLS)


def _uniform(lo: float, hi: float) -> float:
    return lo + (hi - lo) * secrets.randbits(32) / 2**32


@dataclass(frozen=True)
class Placement:
    """One clip on the track: where it starts, what it says, and the samples played."""

    start: int
    symbol: str
    source_length: int  # samples in the voice clip
    consumed: float  # how far through the clip the warp read (>= source_length - 1: whole)
    samples: list[float]  # centred on 0, gain applied

    @property
    def end(self) -> int:
        return self.start + len(self.samples)


@dataclass(frozen=True)
class Plan:
    length: int  # samples between the intro and the end beep
    targets: list[Placement]  # the answer, in order
    babble: list[Placement]


def _warp(clip: bytes, speed: float, depth: float, gain: float) -> tuple[list[float], float]:
    """Play *clip* through a smooth random speed curve: the base *speed* times 1 +/- *depth*,
    moving between random control points 80-140 ms apart (cosine-interpolated). Reads the
    whole clip, linearly interpolated; returns the samples and how far the reading got."""
    src = [(v - 128) * gain for v in clip]
    src.append(0.0)
    last = len(clip) - 1
    out: list[float] = []
    pos = 0.0
    here = _uniform(-1, 1)
    while pos < last:
        there = _uniform(-1, 1)
        span = KNOT_MIN + secrets.randbelow(KNOT_MAX - KNOT_MIN + 1)
        for k in range(span):
            w = 0.5 - 0.5 * math.cos(math.pi * k / span)
            i = int(pos)
            f = pos - i
            out.append(src[i] + (src[i + 1] - src[i]) * f)
            pos += speed * (1 + depth * (here + (there - here) * w))
            if pos >= last:
                break
        here = there
    out.append(src[last])
    return out, pos


def _resample(clip: bytes, speed: float, gain: float) -> list[float]:
    """Constant-speed nearest-neighbour resampling, for babble (cheap; it is only background)."""
    n = int(len(clip) / speed)
    scale = [(v - 128) * gain for v in range(256)]
    return [scale[clip[int(k * speed)]] for k in range(n)]


def _plan(answer: str) -> Plan:
    """Everything render_audio plays, decided before any mixing (the tests check it)."""
    known = SYMBOLS
    text = answer.upper()
    unknown = sorted(set(text) - known)
    if unknown:
        raise ValueError(f"no voice for {''.join(unknown)!r}: render_audio speaks only 0-9 and A-Z")
    targets: list[Placement] = []
    pos = LEAD
    for ch in text:
        clips = _voices(ch)
        clip = clips[secrets.randbelow(len(clips))]
        pos += GAP_MIN + secrets.randbelow(GAP_MAX - GAP_MIN + 1)
        samples, consumed = _warp(
            clip,
            _uniform(SPEED_MIN, SPEED_MAX),
            _uniform(WARP_MIN, WARP_MAX),
            _uniform(GAIN_MIN, GAIN_MAX),
        )
        targets.append(Placement(pos, ch, len(clip), consumed, samples))
        pos += len(samples)
    length = pos + TAIL
    pool = sorted(known)
    babble: list[Placement] = []
    for _ in range(BABBLE_STREAMS):
        pos = -secrets.randbelow(RATE // 2)  # streams start part-way through a clip
        while pos < length:
            sym = pool[secrets.randbelow(len(pool))]
            clips = _voices(sym)
            clip = clips[secrets.randbelow(len(clips))][::-1]
            samples = _resample(
                clip, _uniform(BABBLE_SPEED_MIN, BABBLE_SPEED_MAX), _uniform(BABBLE_GAIN_MIN, BABBLE_GAIN_MAX)
            )
            if pos < 0:
                samples, pos = samples[-pos:], 0
            samples = samples[: length - pos]
            babble.append(Placement(pos, sym, len(clip), float(len(clip)), samples))
            pos += len(samples) + secrets.randbelow(BABBLE_SPACE + 1)
    return Plan(length, targets, babble)


def max_wav_bytes(answer_length: int) -> int:
    """Upper bound on render_audio's size: every character its symbol set's longest clip at the
    slowest the warp ever reads, after the longest pause."""
    per_char = GAP_MAX + math.ceil((_longest_clip() - 1) / SLOWEST) + 2
    body = LEAD + answer_length * per_char + TAIL
    return 44 + len(_INTRO) + body + len(_END)  # 44: the WAV header


def _mix(plan: Plan) -> bytes:
    track = list(map(float, os.urandom(plan.length).translate(_NOISE)))
    track = list(map(add, track, repeat(-128.0 + _OUT + 128.5, plan.length)))
    for p in (*plan.babble, *plan.targets):
        track[p.start : p.end] = map(add, track[p.start : p.end], p.samples)
    return bytes(map(_TO_BYTE.__getitem__, map(int, track)))


def render_audio(answer: str) -> bytes:
    """Return a WAV (8 kHz, 8-bit PCM, mono) speaking *answer* (0-9, A-Z) over babble.

    Raises ValueError for a character there is no voice for."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(RATE)
        w.writeframes(_INTRO + _mix(_plan(answer)) + _END)
    return out.getvalue()
