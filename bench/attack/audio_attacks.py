"""Attacks on the audio CAPTCHA, by someone who has this repository.

    python -m bench.attack audio                      # 500 fresh CAPTCHAs per figure, trains ~15 min
    python -m bench.attack audio --quick              # tiny counts, seconds; torch not needed
    python -m bench.attack audio --json results.json

Renderers compared: `v1`, the renderer before the synthetic voices (bench/attack/audio_v1.py:
the captcha library's one recording per symbol, constant speed jitter), and `shipped`,
lambdas/captcha_auth/audio.py. The answer alphabet and length are challenge.py's.

Attackers:

- `matched-filter`: every voice clip the attacker has (the captcha library's and
  lambdas/captcha_auth/voices/), resampled at a grid of constant speeds covering the renderer's
  range, slid over the CAPTCHA by normalised cross-correlation (FFT, at 4 kHz); per symbol the
  best score at each offset; then the best-scoring set of exactly `length` non-overlapping
  detections, read in time order. No training. Needs numpy.
- `learned`: log-mel spectrogram (torch.stft), a small CNN + bidirectional GRU read out with
  CTC, trained on CAPTCHAs from the renderer itself (--train of them, at most --minutes of
  training) and tested on --eval fresh ones. Needs torch.

Each row gives whole-answer and per-character accuracy (characters compared position by
position), sample counts and training time. An attack whose library is missing is reported as
skipped, with the reason.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import secrets
import sys
import time
import wave
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from bench.common import ensure_lambdas_importable

ensure_lambdas_importable()
from bench.attack import audio_v1  # noqa: E402
from captcha_auth import audio, challenge  # noqa: E402

FULL_EVAL, FULL_TRAIN, FULL_MINUTES = 500, 20000, 15.0
QUICK_EVAL, QUICK_TRAIN, QUICK_MINUTES, QUICK_MF_STEP = 4, 16, 0.05, 0.05
RATE = 8000


@dataclass(frozen=True)
class Renderer:
    name: str
    render: Callable[[str], bytes]
    intro: int  # samples of beeps before the first possible character (the attacker knows it)
    outro: int  # samples of the end beep
    speeds: tuple[float, float]  # range of source-samples-per-output-sample the attacker searches
    voices: str  # where its recordings come from: "captcha" (the library) or "espeak" (the repo)
    mf_step: float  # the matched filter's speed grid step (relative); finer costs more templates
    note: str


RENDERERS = {
    "v1": Renderer(
        "v1",
        audio_v1.render_audio,
        len(audio_v1._INTRO),
        len(audio_v1._END_BEEP),
        # v1 stretches by 0.9-1.2 (output longer): reading speed 1/1.2 .. 1/0.9
        (1 / 1.2, 1 / 0.9),
        "captcha",
        0.005,  # needed: at 0.02 the filter reads far fewer of these
        "captcha library voices, constant speed 0.9-1.2",
    ),
    "shipped": Renderer(
        "shipped",
        audio.render_audio,
        len(audio._INTRO),
        len(audio._END),
        (audio.SLOWEST, audio.SPEED_MAX * (1 + audio.WARP_MAX)),
        "espeak",
        0.03,  # the warp leaves no constant speed to hit; --mf-step 0.005 on 50 samples checks it
        "espeak-ng voices, warped (lambdas/captcha_auth/audio.py)",
    ),
}


@dataclass
class Row:
    attack: str
    renderer: str
    status: str  # "ok" or "skipped"
    whole_pct: float | None = None
    char_pct: float | None = None
    eval_samples: int = 0
    train_samples: int = 0
    train_seconds: float = 0.0
    seconds_per_sample: float | None = None
    reason: str = ""
    detail: dict[str, Any] | None = None


def new_answer(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def wav_samples(wav: bytes) -> bytes:
    with wave.open(io.BytesIO(wav)) as w:
        if (w.getframerate(), w.getsampwidth(), w.getnchannels()) != (RATE, 1, 1):
            raise ValueError("expected 8 kHz 8-bit mono")
        return w.readframes(w.getnframes())


def score(pairs: Sequence[tuple[str, str]]) -> tuple[float, float]:
    whole = sum(a == b for a, b in pairs)
    chars = sum(sum(x == y for x, y in zip(a, b, strict=False)) for a, b in pairs)
    total = sum(len(a) for a, _ in pairs)
    return 100 * whole / max(1, len(pairs)), 100 * chars / max(1, total)


# --- matched filter ------------------------------------------------------------------------


def _voice_clips(alphabet: str, source: str) -> dict[str, list[bytes]]:
    """Every recording of each symbol the attacker can get from the repository and its
    dependencies for the renderer attacked: the captcha library's (trimmed as v1 trims them) or
    the espeak-ng set in lambdas/captcha_auth/voices/."""
    if source == "captcha":
        return {ch: list(audio_v1._VOICES[ch]) for ch in alphabet}
    return {ch: list(audio._voices(ch)) for ch in alphabet}


def _fast_len(n: int) -> int:
    best = 1 << (n - 1).bit_length()
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


class MatchedFilter:
    """Normalised cross-correlation of every clip at every grid speed, at 4 kHz."""

    def __init__(self, alphabet: str, speeds: tuple[float, float], voices: str, step: float = 0.005) -> None:
        import numpy as np

        self.np = np
        self.factor = int(os.environ.get("MF_FACTOR", "1"))
        self.alphabet = alphabet
        lo, hi = speeds
        count = max(2, math.ceil(math.log(hi / lo) / math.log(1 + step)) + 1)
        self.grid = [lo * (hi / lo) ** (k / (count - 1)) for k in range(count)]
        templates: list[Any] = []
        symbol_of: list[int] = []
        for s_index, (_ch, clips) in enumerate(_voice_clips(alphabet, voices).items()):
            for clip in clips:
                src = np.frombuffer(clip, dtype=np.uint8).astype(np.float64) - 128
                for speed in self.grid:
                    t = np.interp(np.arange(0, len(src) - 1, speed), np.arange(len(src)), src)
                    t = self._decimate(t)
                    t = t - t.mean()
                    templates.append(t / (np.linalg.norm(t) + 1e-9))
                    symbol_of.append(s_index)
        self.templates = templates
        self.symbol_of = np.array(symbol_of)
        self.lengths = np.array([len(t) for t in templates])
        self._spectra: dict[int, Any] = {}

    def _decimate(self, x: Any) -> Any:
        if self.factor == 1:
            return x
        n = len(x) // 2 * 2
        return (x[0:n:2] + x[1:n:2]) / 2

    def _template_spectra(self, n: int) -> Any:
        if n not in self._spectra:
            np = self.np
            spec = np.zeros((len(self.templates), n // 2 + 1), dtype=np.complex64)
            for k, t in enumerate(self.templates):
                spec[k] = np.conj(np.fft.rfft(t, n)).astype(np.complex64)
            self._spectra = {n: spec}  # one size at a time: they are large
        return self._spectra[n]

    def read(self, samples: bytes, length: int, intro: int, outro: int) -> str:
        np = self.np
        x = np.frombuffer(samples, dtype=np.uint8).astype(np.float64)[intro : len(samples) - outro] - 128
        x = self._decimate(x)
        m_max = int(self.lengths.max())
        # A fixed FFT size (rounded up generously) so the template spectra are computed once.
        n = _fast_len(max(len(x) + m_max, 1 << 15) // 4096 * 4096 + 4096)
        spec = self._template_spectra(n)
        xs = np.fft.rfft(x, n).astype(np.complex64)
        energy = np.concatenate(([0.0], np.cumsum(x * x)))
        positions = len(x)
        best = np.full((len(self.alphabet), positions), -1.0, dtype=np.float32)
        best_len = np.zeros((len(self.alphabet), positions), dtype=np.int64)
        idx = np.arange(positions)
        # 1 / window energy, for windows rounded to 10 ms (the NCC's denominator), zero where less
        # than half of the window fits.
        inverse: dict[int, Any] = {}
        for start in range(0, len(self.templates), 64):
            stop = min(start + 64, len(self.templates))
            corr = np.fft.irfft(spec[start:stop] * xs, n)[:, :positions]
            for k in range(stop - start):
                m = int(self.lengths[start + k])
                q = (m + 40) // 80 * 80
                if q not in inverse:
                    end = np.minimum(idx + q, positions)
                    inv = 1 / np.sqrt(np.maximum(energy[end] - energy[idx], 1e-3))
                    inv[positions - q // 2 :] = 0
                    inverse[q] = inv.astype(np.float32)
                ncc = corr[k] * inverse[q]
                sym = int(self.symbol_of[start + k])
                better = ncc > best[sym]
                best[sym][better] = ncc[better]
                best_len[sym][better] = m
        return self._decode(best, best_len, length)

    def _decode(self, best: Any, best_len: Any, length: int) -> str:
        """Exactly `length` non-overlapping detections with the largest total score."""
        np = self.np
        cands: list[tuple[int, int, float, int]] = []  # (start, end, score, symbol)
        radius = 400 // self.factor  # 50 ms: one detection per symbol per neighbourhood
        for sym in range(best.shape[0]):
            row = best[sym]
            pooled = np.maximum.reduceat(row, np.arange(0, len(row), radius))
            for b in np.argsort(pooled)[::-1][:40]:
                p = int(b * radius + np.argmax(row[b * radius : (b + 1) * radius]))
                m = int(best_len[sym][p])
                shrink = m // 6  # tolerate edges that overlap: clips are trimmed loosely
                cands.append((p + shrink, p + m - shrink, float(row[p]), sym))
        cands.sort(key=lambda c: c[1])
        ends = [c[1] for c in cands]
        import bisect

        prev = [bisect.bisect_right(ends, c[0]) for c in cands]  # candidates ending before c starts
        neg = float("-inf")
        # dp[i][k]: best total using the first i candidates and k detections
        dp = [[neg] * (length + 1) for _ in range(len(cands) + 1)]
        take = [[False] * (length + 1) for _ in range(len(cands) + 1)]
        for i in range(len(cands) + 1):
            dp[i][0] = 0.0
        for i in range(1, len(cands) + 1):
            c = cands[i - 1]
            for k in range(1, length + 1):
                skip, use = dp[i - 1][k], dp[prev[i - 1]][k - 1] + c[2]
                if use > skip:
                    dp[i][k], take[i][k] = use, True
                else:
                    dp[i][k] = skip
        out: list[tuple[int, int]] = []
        i, k = len(cands), length
        while k > 0 and i > 0:
            if take[i][k]:
                out.append((cands[i - 1][0], cands[i - 1][3]))
                i, k = prev[i - 1], k - 1
            else:
                i -= 1
        return "".join(self.alphabet[s] for _, s in sorted(out))


def matched_filter_row(renderer: Renderer, alphabet: str, length: int, count: int, step: float | None = None) -> Row:
    try:
        import numpy  # noqa: F401
    except ImportError:
        return Row("matched-filter", renderer.name, "skipped", reason="numpy not installed")
    t0 = time.perf_counter()
    step = step or renderer.mf_step
    attacker = MatchedFilter(alphabet, renderer.speeds, renderer.voices, step)
    setup = time.perf_counter() - t0
    pairs: list[tuple[str, str]] = []
    t0 = time.perf_counter()
    for _ in range(count):
        answer = new_answer(alphabet, length)
        guess = attacker.read(wav_samples(renderer.render(answer)), length, renderer.intro, renderer.outro)
        pairs.append((answer, guess))
        if len(pairs) % 25 == 0:
            print(f"matched-filter {renderer.name}: {len(pairs)}/{count}, {score(pairs)}", file=sys.stderr, flush=True)
    spent = time.perf_counter() - t0
    whole, chars = score(pairs)
    return Row(
        "matched-filter",
        renderer.name,
        "ok",
        whole,
        chars,
        count,
        0,
        round(setup, 1),
        round(spent / max(1, count), 3),
        detail={
            "templates": len(attacker.templates),
            "speed_step": step,
            "speeds": [round(s, 3) for s in attacker.grid],
            "examples": [list(p) for p in pairs[:5]],
        },
    )


# --- learned attacker --------------------------------------------------------------------------

N_FFT, HOP, MELS = 256, 160, 48  # 32 ms windows every 20 ms


def _mel_matrix(torch: Any) -> Any:
    def mel(f: float) -> float:
        return 2595 * math.log10(1 + f / 700)

    def hz(m: float) -> float:
        return 700 * (10 ** (m / 2595) - 1)

    edges = [hz(mel(60) + (mel(RATE / 2) - mel(60)) * k / (MELS + 1)) for k in range(MELS + 2)]
    freqs = [RATE * b / N_FFT for b in range(N_FFT // 2 + 1)]
    rows = []
    for m in range(MELS):
        lo, mid, hi = edges[m : m + 3]
        rows.append([max(0.0, min((f - lo) / (mid - lo), (hi - f) / (hi - mid))) for f in freqs])
    return torch.tensor(rows, dtype=torch.float32)


def features(torch: Any, samples: bytes, mel: Any) -> Any:
    """Log-mel spectrogram, (frames, MELS), standardised per clip, stored as uint8 to save memory."""
    x = torch.frombuffer(bytearray(samples), dtype=torch.uint8).float() - 128
    spec = torch.stft(x, N_FFT, HOP, window=torch.hann_window(N_FFT), return_complex=True).abs() ** 2
    logmel = torch.log(mel @ spec + 1e-2).T
    logmel = (logmel - logmel.mean()) / (logmel.std() + 1e-5)
    return (logmel * 32 + 128).clamp(0, 255).to(torch.uint8)


def _make_sample(job: tuple[str, str, int]) -> tuple[str, bytes]:
    name, alphabet, length = job
    answer = new_answer(alphabet, length)
    return answer, wav_samples(RENDERERS[name].render(answer))


def _generate(name: str, alphabet: str, length: int, count: int, workers: int) -> list[tuple[str, bytes]]:
    jobs = [(name, alphabet, length)] * count
    if workers <= 1 or count < 64:
        return [_make_sample(j) for j in jobs]
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(workers) as pool:
        return pool.map(_make_sample, jobs, chunksize=64)


def _model(torch: Any, classes: int) -> Any:
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Sequential(
                nn.Conv2d(1, 16, 3, padding=1),
                nn.BatchNorm2d(16),
                nn.ReLU(),
                nn.MaxPool2d((2, 2)),
                nn.Conv2d(16, 32, 3, padding=1),
                nn.BatchNorm2d(32),
                nn.ReLU(),
                nn.MaxPool2d((2, 2)),
                nn.Conv2d(32, 32, 3, padding=1),
                nn.BatchNorm2d(32),
                nn.ReLU(),
                nn.MaxPool2d((2, 1)),
            )
            self.rnn = nn.GRU(32 * (MELS // 8), 96, batch_first=True, bidirectional=True)
            self.out = nn.Linear(192, classes + 1)  # + CTC blank (index 0)

        def forward(self, x: Any) -> Any:  # x: (batch, frames, mels) float
            h = self.conv(x.transpose(1, 2).unsqueeze(1))  # (b, c, mels/8, frames/4)
            h = h.flatten(1, 2).transpose(1, 2)  # (b, frames/4, c*mels/8): 80 ms steps
            h, _ = self.rnn(h)
            return self.out(h).log_softmax(-1)  # (b, t, classes+1)

    return Net()


def _batch(torch: Any, feats: Sequence[Any]) -> tuple[Any, Any]:
    lengths = torch.tensor([f.shape[0] for f in feats])
    x = torch.zeros(len(feats), int(lengths.max()), MELS)
    for i, f in enumerate(feats):
        x[i, : f.shape[0]] = (f.float() - 128) / 32
    return x, lengths


def _greedy(log_probs: Any, lengths: Any, alphabet: str) -> list[str]:
    out = []
    for row, n in zip(log_probs.argmax(-1).tolist(), lengths.tolist(), strict=True):
        text, last = [], 0
        for c in row[:n]:
            if c != last and c != 0:
                text.append(alphabet[c - 1])
            last = c
        out.append("".join(text))
    return out


def learned_row(
    renderer: Renderer, alphabet: str, length: int, train: int, evaluate: int, minutes: float, workers: int
) -> Row:
    try:
        import torch
    except ImportError:
        return Row("learned", renderer.name, "skipped", reason="torch not installed")
    torch.set_num_threads(1)
    torch.manual_seed(int.from_bytes(os.urandom(4), "little"))
    mel = _mel_matrix(torch)
    t0 = time.perf_counter()
    raw = _generate(renderer.name, alphabet, length, train + evaluate, workers)
    gen_seconds = time.perf_counter() - t0
    feats = [features(torch, s, mel) for _, s in raw]
    answers = [a for a, _ in raw]
    del raw
    train_x, train_y = feats[:train], answers[:train]
    test_x, test_y = feats[train:], answers[train:]
    model = _model(torch, len(alphabet))
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    ctc = torch.nn.CTCLoss(blank=0, zero_infinity=True)
    index = {c: i + 1 for i, c in enumerate(alphabet)}
    batch_size = 32
    deadline = time.perf_counter() + minutes * 60
    t0 = time.perf_counter()
    steps, epochs, losses = 0, 0, []
    order: list[int] = []
    budget_steps = None
    while time.perf_counter() < deadline:
        if not order:
            order = list(range(len(train_x)))
            for i in range(len(order) - 1, 0, -1):  # shuffle
                j = secrets.randbelow(i + 1)
                order[i], order[j] = order[j], order[i]
            epochs += 1
        picked, order = order[:batch_size], order[batch_size:]
        x, lengths = _batch(torch, [train_x[i] for i in picked])
        targets = torch.tensor([index[c] for i in picked for c in train_y[i]])
        target_lengths = torch.tensor([len(train_y[i]) for i in picked])
        model.train()
        log_probs = model(x)
        out_lengths = (lengths // 4).clamp(max=log_probs.shape[1])
        loss = ctc(log_probs.transpose(0, 1), targets, out_lengths, target_lengths)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        # One-cycle-ish: decay the learning rate over the time budget.
        frac = min(1.0, (time.perf_counter() - t0) / (minutes * 60))
        for g in opt.param_groups:
            g["lr"] = 2e-3 * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
        opt.step()
        steps += 1
        losses.append(loss.item())
        if budget_steps is not None and steps >= budget_steps:
            break
    train_seconds = time.perf_counter() - t0
    model.eval()
    guesses: list[str] = []
    t1 = time.perf_counter()
    with torch.no_grad():
        for k in range(0, len(test_x), 50):
            x, lengths = _batch(torch, test_x[k : k + 50])
            guesses += _greedy(model(x), (lengths // 4), alphabet)
    infer = time.perf_counter() - t1
    pairs = list(zip(test_y, guesses, strict=True))
    whole, chars = score(pairs)
    confusions: dict[str, dict[str, int]] = {}
    for a, g in pairs:
        if len(g) == len(a):
            for x_, y_ in zip(a, g, strict=True):
                if x_ != y_:
                    confusions.setdefault(x_, {}).setdefault(y_, 0)
                    confusions[x_][y_] += 1
    return Row(
        "learned",
        renderer.name,
        "ok",
        whole,
        chars,
        len(test_x),
        len(train_x),
        round(train_seconds, 1),
        round(infer / max(1, len(test_x)), 4),
        detail={
            "generate_seconds": round(gen_seconds, 1),
            "steps": steps,
            "epochs": epochs,
            "final_loss": round(sum(losses[-50:]) / max(1, len(losses[-50:])), 4),
            "wrong_length": sum(len(g) != len(a) for a, g in pairs),
            "confusions": confusions,
            "examples": [list(p) for p in pairs[:5]],
        },
    )


# --- level and timing -----------------------------------------------------------------------


def level_row(count: int) -> dict[str, Any]:
    """Target-to-babble level of the shipped renderer, in dB (RMS over the target clips' spans,
    targets alone vs babble alone), plus render time and the largest data URL seen."""
    ratios, times, largest = [], [], 0
    for _ in range(count):
        answer = new_answer(challenge.ALPHABET, challenge.ANSWER_LENGTH)
        plan = audio._plan(answer)
        babble = [0.0] * plan.length
        for p in plan.babble:
            for k, v in enumerate(p.samples):
                babble[p.start + k] += v
        t_pow = sum(v * v for p in plan.targets for v in p.samples)
        b_pow = sum(babble[k] ** 2 for p in plan.targets for k in range(p.start, p.end))
        ratios.append(10 * math.log10(t_pow / max(b_pow, 1e-9)))
        t0 = time.process_time()
        wav = audio.render_audio(answer)
        times.append(1000 * (time.process_time() - t0))
        largest = max(largest, len("data:audio/wav;base64,") + 4 * math.ceil(len(wav) / 3))
    ratios.sort()
    times.sort()
    bound = audio.max_wav_bytes(challenge.ANSWER_LENGTH)
    return {
        "samples": count,
        "target_to_babble_db_median": round(ratios[len(ratios) // 2], 1),
        "target_to_babble_db_min": round(ratios[0], 1),
        "render_ms_median": round(times[len(times) // 2], 1),
        "render_ms_max": round(times[-1], 1),
        "data_url_chars_max_seen": largest,
        "data_url_chars_bound": len("data:audio/wav;base64,") + 4 * math.ceil(bound / 3),
        "max_wav_bytes": bound,
        "voice_bytes": sum(
            os.path.getsize(os.path.join(audio.VOICE_DIR, f)) for f in os.listdir(audio.VOICE_DIR) if f.endswith(".v8")
        ),
    }


def v1_target_to_babble_db(count: int) -> float:
    """The same measure for the old renderer, by replaying its recipe (bench/attack/audio_v1.py)
    with the voices and the babble on separate tracks; median over `count` answers, in dB."""
    v1 = audio_v1
    ratios = []
    for _ in range(count):
        answer = new_answer(challenge.ALPHABET, challenge.ANSWER_LENGTH)
        voices, gaps = [], []
        for ch in answer:
            voice = v1._speed(secrets.choice(v1._VOICES[ch]), v1._uniform(0.9, 1.2))
            voices.append(v1._volume(voice, v1._uniform(0.8, 1.2)))
            gaps.append(v1.GAP_MIN + secrets.randbelow(v1.GAP_MAX - v1.GAP_MIN + 1))
        length = sum(map(len, voices)) + sum(gaps) + v1.GAP_MIN
        track = bytearray([128]) * length
        pos = 0
        while pos < length:
            noise = secrets.choice(v1._NOISE_VOICES[secrets.choice(v1._CHOICES)])[::-1]
            noise = v1._volume(v1._speed(noise, v1._uniform(0.8, 1.6)), v1._uniform(0.2, 0.6))
            v1._overlay(track, noise, pos)
            pos += len(noise) + secrets.randbelow(v1.RATE // 10 + 1)
        t_pow = b_pow = 0.0
        pos = 0
        for gap, voice in zip(gaps, voices, strict=True):
            pos += gap
            t_pow += sum((v - 128) ** 2 for v in voice)
            b_pow += sum((v - 128) ** 2 for v in track[pos : pos + len(voice)])
            pos += len(voice)
        ratios.append(10 * math.log10(t_pow / max(b_pow, 1e-9)))
    return round(sorted(ratios)[len(ratios) // 2], 1)


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| attack | renderer | whole-answer % | char % | eval n | train n | train s | status |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        whole = f"{r.whole_pct:.1f}" if r.whole_pct is not None else "-"
        chars = f"{r.char_pct:.1f}" if r.char_pct is not None else "-"
        status = r.status + (f": {r.reason}" if r.reason else "")
        lines.append(
            f"| {r.attack} | {r.renderer} | {whole} | {chars} | {r.eval_samples} | {r.train_samples} "
            f"| {r.train_seconds:.0f} | {status} |"
        )
    return "\n".join(lines)


def main(args: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.attack audio", description=__doc__.split("\n")[0])
    parser.add_argument("--eval", type=int, help=f"fresh CAPTCHAs per figure (default {FULL_EVAL})")
    parser.add_argument("--train", type=int, help=f"training CAPTCHAs for the learned attacker ({FULL_TRAIN})")
    parser.add_argument("--minutes", type=float, help=f"training time limit ({FULL_MINUTES:g})")
    parser.add_argument("--quick", action="store_true", help="tiny counts: checks the attacks run")
    parser.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    parser.add_argument("--renderers", default="v1,shipped", help="comma-separated: v1, shipped")
    parser.add_argument("--attacks", default="matched-filter,learned", help="comma-separated")
    parser.add_argument("--learned-on", default="shipped", help="renderers the learned attacker is trained on")
    parser.add_argument("--mf-step", type=float, help="matched filter speed grid step (default per renderer)")
    parser.add_argument("--workers", type=int, default=2, help="processes rendering training CAPTCHAs")
    opts = parser.parse_args(list(args))
    quick = opts.quick
    evaluate = opts.eval or (QUICK_EVAL if quick else FULL_EVAL)
    train = opts.train or (QUICK_TRAIN if quick else FULL_TRAIN)
    minutes = opts.minutes if opts.minutes is not None else (QUICK_MINUTES if quick else FULL_MINUTES)
    mf_step = opts.mf_step or (QUICK_MF_STEP if quick else None)
    alphabet, length = challenge.ALPHABET, challenge.ANSWER_LENGTH
    names = [n for n in opts.renderers.split(",") if n]
    attacks = set(opts.attacks.split(","))
    rows: list[Row] = []
    started = time.perf_counter()
    if "matched-filter" in attacks:
        for name in names:
            rows.append(matched_filter_row(RENDERERS[name], alphabet, length, evaluate, mf_step))
            print(table(rows[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    if "learned" in attacks:
        for name in opts.learned_on.split(","):
            if name in names:
                workers = 1 if quick else opts.workers
                rows.append(learned_row(RENDERERS[name], alphabet, length, train, evaluate, minutes, workers))
                print(table(rows[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    levels = level_row(min(evaluate, 50))
    levels["v1_target_to_babble_db_median"] = v1_target_to_babble_db(min(evaluate, 50))
    print(f"Audio CAPTCHA attacks: alphabet {alphabet}, length {length}\n")
    print(table(rows))
    print(
        f"\nshipped renderer: target-to-babble {levels['target_to_babble_db_median']} dB median "
        f"(min {levels['target_to_babble_db_min']}; v1: {levels['v1_target_to_babble_db_median']} dB), "
        f"{levels['render_ms_median']} ms median / "
        f"{levels['render_ms_max']} ms max CPU, data URL <= {levels['data_url_chars_bound']:,} chars "
        f"(largest seen {levels['data_url_chars_max_seen']:,}), voices {levels['voice_bytes']:,} bytes"
    )
    if opts.json:
        payload = {
            "alphabet": alphabet,
            "length": length,
            "quick": quick,
            "seconds": round(time.perf_counter() - started, 1),
            "renderers": {n: RENDERERS[n].note for n in names},
            "rows": [asdict(r) for r in rows],
            "shipped_levels": levels,
        }
        with open(opts.json, "w") as f:
            json.dump(payload, f, indent=2)
    return 0
