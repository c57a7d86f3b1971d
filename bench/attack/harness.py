"""What every attack shares: labelled samples, scoring, result rows and their tables.

Samples are what an attacker who has this repository can make without limit: fresh random
answers (drawn from `random.Random(seed)`, so a run can be repeated) drawn by the variant's own
renderer (whose randomness is its own). Models see every image the same way, whatever the
variant's size: grayscale, squeezed to INPUT_HEIGHT × INPUT_WIDTH (the aspect is not kept; the
shipped 320×90 becomes 160×48, nearly its own 3.6:1). Evaluation sets keep the images as rendered
too, for the attacks that read them whole (Tesseract).

Nothing here needs torch or numpy.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from bench.attack.image_variants import Variant
from bench.common import Table

INPUT_HEIGHT = 48
INPUT_WIDTH = 160

# --------------------------------------------------------------------------
# Samples
# --------------------------------------------------------------------------


@dataclass
class Samples:
    answers: list[str]
    pixels: list[bytes]  # INPUT_HEIGHT * INPUT_WIDTH grayscale bytes per sample, row-major
    images: list[Image.Image] = field(default_factory=list)  # as rendered (evaluation sets only)
    seconds: float = 0.0  # wall time to render and resize them


def random_answers(variant: Variant, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(variant.alphabet) for _ in range(variant.length)) for _ in range(count)]


def model_input(im: Image.Image) -> bytes:
    """The image as the models see it (see the module docstring)."""
    gray = ImageOps.grayscale(im)
    return gray.resize((INPUT_WIDTH, INPUT_HEIGHT), Image.Resampling.BILINEAR).tobytes()


_worker_variant: Variant | None = None


def _start_worker(variant: Variant) -> None:
    global _worker_variant
    _worker_variant = variant
    # Forked workers would otherwise share the parent's `random` state, and a renderer drawing
    # its distortions from `random` would repeat them in every worker.
    random.seed()


_Rendered = tuple[bytes, tuple[str, tuple[int, int], bytes] | None]


def _render(variant: Variant, answer: str, keep_image: bool) -> _Rendered:
    im = variant.render(answer)
    return model_input(im), ((im.mode, im.size, im.tobytes()) if keep_image else None)


def _render_in_worker(job: tuple[str, bool]) -> _Rendered:
    assert _worker_variant is not None
    return _render(_worker_variant, *job)


def generate(variant: Variant, count: int, seed: int, *, keep_images: bool = False, workers: int = 2) -> Samples:
    """`count` fresh samples of `variant`, rendered in `workers` processes when that is possible
    here (fork: the renderer need not be picklable) and worth it."""
    start = time.perf_counter()
    answers = random_answers(variant, count, seed)
    jobs = [(answer, keep_images) for answer in answers]
    if workers > 1 and count >= 100 and "fork" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, initializer=_start_worker, initargs=(variant,)) as pool:
            rendered = pool.map(_render_in_worker, jobs, chunksize=max(1, min(256, count // (4 * workers))))
    else:
        rendered = [_render(variant, *job) for job in jobs]
    samples = Samples(answers, [pixels for pixels, _ in rendered])
    samples.images = [Image.frombytes(*raw) for _, raw in rendered if raw is not None]
    samples.seconds = time.perf_counter() - start
    return samples


# --------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def char_accuracy(pred: str | None, answer: str) -> float:
    """1 - edit distance / length: credits partly right reads, penalises dropped/extra chars."""
    return max(0.0, 1 - levenshtein(pred or "", answer) / len(answer))


def score(predictions: Sequence[str | None], answers: Sequence[str]) -> tuple[float, float]:
    """(whole answers right %, mean character accuracy %). A read that is None (the reader
    failed) counts as wrong."""
    if len(predictions) != len(answers) or not answers:
        raise ValueError(f"{len(predictions)} predictions for {len(answers)} answers")
    success = sum(p == a for p, a in zip(predictions, answers, strict=True)) / len(answers)
    chars = statistics.fmean(char_accuracy(p, a) for p, a in zip(predictions, answers, strict=True))
    return 100 * success, 100 * chars


# --------------------------------------------------------------------------
# Result rows
# --------------------------------------------------------------------------


@dataclass
class EpochPoint:
    epoch: int
    train_seconds: float  # cumulative wall time, training only (evaluation time excluded)
    train_cpu_seconds: float  # the same in CPU time: what the budget counts
    success: float
    chars: float
    loss: float


@dataclass
class AttackResult:
    """One attacker against one variant. Either `success` and `chars` are set, or `skipped` says
    why not (a missing optional tool is a skip, not an error) and the counts are 0."""

    variant: str
    attacker: str
    success: float | None = None  # whole answers right, % of the evaluation set
    chars: float | None = None  # character accuracy, %
    train_samples: int = 0
    eval_samples: int = 0
    train_seconds: float = 0.0  # wall, training only
    train_cpu_seconds: float = 0.0
    eval_seconds: float = 0.0
    epochs: int = 0
    note: str = ""
    skipped: str | None = None
    curve: list[EpochPoint] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def results_table(results: Sequence[AttackResult], title: str = "") -> Table:
    headers = [
        "variant",
        "attacker",
        "whole answer %",
        "char %",
        "train samples",
        "train s",
        "train CPU s",
        "epochs",
        "eval samples",
        "note",
    ]
    rows = []
    for r in results:
        trained = r.train_samples > 0
        rows.append(
            [
                r.variant,
                r.attacker,
                _pct(r.success),
                _pct(r.chars),
                f"{r.train_samples:,}" if trained else "–",
                f"{r.train_seconds:.0f}" if trained and r.skipped is None else "–",
                f"{r.train_cpu_seconds:.0f}" if trained and r.skipped is None else "–",
                str(r.epochs) if trained and r.skipped is None else "–",
                str(r.eval_samples) if r.skipped is None else "–",
                r.skipped or r.note,
            ]
        )
    return Table(headers, rows, title)


def curve_table(results: Sequence[AttackResult], title: str = "") -> Table | None:
    """The learning curves: evaluation after each epoch, against cumulative training time."""
    rows = [
        [
            r.variant,
            r.attacker,
            str(p.epoch),
            f"{p.train_seconds:.0f}",
            f"{p.train_cpu_seconds:.0f}",
            _pct(p.success),
            _pct(p.chars),
            f"{p.loss:.3f}",
        ]
        for r in results
        for p in r.curve
    ]
    if not rows:
        return None
    headers = ["variant", "attacker", "epoch", "train s", "train CPU s", "whole answer %", "char %", "train loss"]
    return Table(headers, rows, title)


def write_json(path: str | os.PathLike[str], header: dict[str, Any], results: Sequence[AttackResult]) -> None:
    document = {**header, "results": [r.as_dict() for r in results]}
    Path(path).write_text(json.dumps(document, indent=2) + "\n")
