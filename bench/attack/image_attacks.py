"""Attacks on the image CAPTCHA variants: stock Tesseract, a per-position CNN and a CNN + CTC
recogniser, each scored on the same held-out renders of each variant.

The attacker has this repository and a CPU: they render as many labelled samples as they like
with the variant's own renderer, and train on them. Figures are whole answers read right (what a
sign-in needs) and character accuracy, on fresh renders never trained on.

torch is optional (bench/requirements-attack.txt); without it the learned attackers are reported
as skipped, as Tesseract is when it is not installed.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench.attack.harness import (
    INPUT_HEIGHT,
    INPUT_WIDTH,
    AttackResult,
    Samples,
    curve_table,
    generate,
    results_table,
    write_json,
)
from bench.attack.image_variants import VARIANTS, Variant
from bench.attack.tesseract import tesseract_attack, tesseract_status

ATTACKERS = ("tesseract", "cnn", "ctc")
TORCH_MISSING = "skipped: torch not installed (make attack-install)"
TRAIN_SEED, EVAL_SEED = 1, 2  # answers of the training and evaluation sets (different seeds)


@dataclass(frozen=True)
class Settings:
    train: int = 20_000
    eval: int = 500
    ctc_minutes: float = 20.0
    cnn_minutes: float = 5.0
    max_epochs: int | None = None  # per learned attacker; None: the time budget decides
    workers: int = 2  # processes rendering samples, tesseract processes
    train_on: str | None = None  # the learned attackers train on this variant's renders (default: the target's)


# Enough for every code path (a few batches, one epoch, each pipeline), and no more: it runs in
# the test suite.
QUICK = Settings(train=96, eval=16, ctc_minutes=0.5, cnn_minutes=0.5, max_epochs=1)


def torch_status() -> tuple[str | None, str | None]:
    """(torch version, None), or (None, why the learned attackers are skipped)."""
    try:
        import torch
    except ImportError:
        return None, TORCH_MISSING
    return str(torch.__version__), None


def _load() -> float | None:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def attack_variant(
    variant: Variant, attackers: Sequence[str], settings: Settings, record: Callable[[AttackResult], None]
) -> None:
    """Run each attacker on `variant`, handing each result to `record` as soon as it is in."""
    learned = [name for name in attackers if name in ("cnn", "ctc")]
    _, torch_missing = torch_status() if learned else (None, None)
    train_needed = bool(learned) and torch_missing is None

    evaluation = generate(
        variant, settings.eval, EVAL_SEED, keep_images="tesseract" in attackers, workers=settings.workers
    )
    print(f"{variant.name}: {settings.eval} evaluation samples rendered in {evaluation.seconds:.0f} s", flush=True)
    train = Samples([], [])
    source = VARIANTS[settings.train_on] if settings.train_on else variant
    if train_needed:
        train = generate(source, settings.train, TRAIN_SEED, workers=settings.workers)
        print(f"{source.name}: {settings.train} training samples rendered in {train.seconds:.0f} s", flush=True)

    for name in attackers:
        started, load = time.perf_counter(), _load()
        if name == "tesseract":
            result = tesseract_attack(variant, evaluation, settings.workers)
        elif torch_missing:
            result = AttackResult(variant.name, name, skipped=torch_missing)
        else:
            from bench.attack.image_models import train_attack  # needs torch

            minutes = settings.ctc_minutes if name == "ctc" else settings.cnn_minutes
            result = train_attack(name, variant, train, evaluation, minutes=minutes, max_epochs=settings.max_epochs)
            result.extra["train_render_seconds"] = train.seconds
            result.extra["trained_on"] = source.name
        result.extra["wall_seconds"] = time.perf_counter() - started
        result.extra["load_average"] = {"start": load, "end": _load()}  # other work on the machine
        print(f"{variant.name} × {name}: {result.skipped or f'{result.success:.1f} % whole answers'}", flush=True)
        record(result)


def run_header(settings: Settings, variants: Sequence[Variant], attackers: Sequence[str]) -> dict[str, Any]:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    torch_version, _ = torch_status() if {"cnn", "ctc"} & set(attackers) else (None, None)
    tesseract, _ = tesseract_status() if "tesseract" in attackers else (None, None)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"arch": platform.machine(), "cpus": cpus, "python": platform.python_version()},
        "versions": {"torch": torch_version, "tesseract": tesseract},
        "settings": {
            "train": settings.train,
            "eval": settings.eval,
            "ctc_minutes": settings.ctc_minutes,
            "cnn_minutes": settings.cnn_minutes,
            "max_epochs": settings.max_epochs,
            "train_seed": TRAIN_SEED,
            "eval_seed": EVAL_SEED,
            "model_input": f"grayscale {INPUT_WIDTH}x{INPUT_HEIGHT}",
            "train_on": settings.train_on,
        },
        "variants": {v.name: {"alphabet": v.alphabet, "length": v.length, "note": v.note} for v in variants},
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--variant",
        action="append",
        choices=sorted(VARIANTS),
        help="variant to attack (repeatable; default: shipped)",
    )
    parser.add_argument("--train", type=int, help=f"training samples per variant (default {Settings.train:,})")
    parser.add_argument("--eval", type=int, help=f"evaluation samples per variant (default {Settings.eval})")
    parser.add_argument(
        "--minutes", type=float, help=f"CNN + CTC training budget, CPU minutes (default {Settings.ctc_minutes:g})"
    )
    parser.add_argument(
        "--cnn-minutes",
        type=float,
        help=f"per-position CNN training budget, CPU minutes (default {Settings.cnn_minutes:g})",
    )
    parser.add_argument("--epochs", type=int, help="at most this many epochs per learned attacker")
    parser.add_argument(
        "--attackers",
        default=",".join(ATTACKERS),
        help=f"comma-separated, from {', '.join(ATTACKERS)} (default: all)",
    )
    parser.add_argument(
        "--workers", type=int, help=f"processes rendering samples and running tesseract (default {Settings.workers})"
    )
    parser.add_argument(
        "--train-on",
        choices=sorted(VARIANTS),
        help="train the learned attackers on this variant (e.g. another deployment's style), score on --variant",
    )
    parser.add_argument("--quick", action="store_true", help="tiny counts and one epoch: checks the harness runs")
    parser.add_argument("--json", metavar="PATH", help="also write every figure (and the learning curves) here")


def settings_from(args: argparse.Namespace) -> Settings:
    base = QUICK if args.quick else Settings()
    overrides = {
        "train": args.train,
        "eval": args.eval,
        "ctc_minutes": args.minutes,
        "cnn_minutes": args.cnn_minutes,
        "max_epochs": args.epochs,
        "workers": args.workers,
        "train_on": args.train_on,
    }
    values = {**base.__dict__, **{k: v for k, v in overrides.items() if v is not None}}
    return Settings(**values)


def main(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    attackers = [name.strip() for name in args.attackers.split(",") if name.strip()]
    unknown = sorted(set(attackers) - set(ATTACKERS))
    if unknown or not attackers:
        parser.error(f"unknown attackers: {', '.join(unknown) or '(none given)'}; choose from {', '.join(ATTACKERS)}")
    settings = settings_from(args)
    if min(settings.train, settings.eval, settings.workers) < 1:
        parser.error("--train, --eval and --workers must be at least 1")
    variants = [VARIANTS[name] for name in dict.fromkeys(args.variant or ["shipped"])]
    if settings.train_on:
        source = VARIANTS[settings.train_on]
        if any((v.alphabet, v.length) != (source.alphabet, source.length) for v in variants):
            parser.error("--train-on needs a variant with the same alphabet and answer length")
    header = run_header(settings, variants, attackers)

    results: list[AttackResult] = []

    def record(result: AttackResult) -> None:
        results.append(result)
        if args.json:  # after each attacker: a long run stopped early keeps what it measured
            write_json(args.json, header, results)

    status = 0
    try:
        for variant in variants:
            attack_variant(variant, attackers, settings, record)
    except KeyboardInterrupt:
        print("\nInterrupted: the figures below are those measured so far.")
        status = 130
    if not results:
        return status
    print()
    print(results_table(results, "Image CAPTCHA attacks").render())
    curves = curve_table(results, "Learning curves (evaluated after each epoch)")
    if curves:
        print()
        print(curves.render())
    print()
    print(
        f"Whole answer: share of the {settings.eval} evaluation renders read exactly right; char: 1 - edit "
        "distance / length. Learned attackers: last epoch's figure, trained on fresh renders with a single CPU "
        "thread; train s is training wall time (rendering and evaluation excluded)."
    )
    return status
