"""Off-the-shelf OCR: Tesseract 5 with the preprocessing anyone would try first.

Nothing here is CAPTCHA-specific or trained: the image (as rendered, or cleaned up by a few
common steps) goes to stock Tesseract with its English LSTM model, the character whitelist set to
the CAPTCHA's alphabet and the dictionaries off. Shared by the attack harness and
bench/captcha_strength.py. The ``tesseract`` binary (Debian: tesseract-ocr) is optional:
`tesseract_status` says why it cannot run when it can't.
"""

from __future__ import annotations

import math
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PIL import Image, ImageFilter, ImageOps

from bench.attack.harness import AttackResult, Samples, score
from bench.attack.image_variants import Variant


@dataclass(frozen=True)
class Pipeline:
    """One way of preparing an image for Tesseract. Steps run in the order of the fields."""

    name: str
    grayscale: bool = True
    dark_text: bool = False  # invert light-on-dark images, so the text is the dark part
    median: bool = False  # 3×3 median filter: removes dot noise, at some cost to thin strokes
    upscale: int = 1  # Lanczos upscale factor (Tesseract likes ~30 px capitals)
    otsu: bool = True  # binarize at Otsu's threshold
    psm: int = 7  # page segmentation mode: 7 a single line, 8 a single word


# What the attack harness tries: the image as rendered and three cumulative clean-ups (the last
# is bench/captcha_strength.py's best pipeline on the shipped images).
ATTACK_PIPELINES: tuple[Pipeline, ...] = (
    Pipeline("raw/psm7", grayscale=False, otsu=False),
    Pipeline("otsu/psm7"),
    Pipeline("median+otsu/psm7", median=True),
    Pipeline("invert+median+3x+otsu/psm7", median=True, dark_text=True, upscale=3),
)

# What bench/captcha_strength.py has always run (its published figures use these).
STRENGTH_PIPELINES: tuple[Pipeline, ...] = (
    Pipeline("otsu/psm7", dark_text=True, upscale=3),
    Pipeline("median+otsu/psm7", median=True, dark_text=True, upscale=3),
    Pipeline("median+otsu/psm8", median=True, dark_text=True, upscale=3, psm=8),
)


def otsu_threshold(gray: Image.Image) -> int:
    hist = gray.histogram()
    total = sum(hist)
    sum_all = sum(i * h for i, h in enumerate(hist))
    best_t, best_var, w_b, sum_b = 0, -1.0, 0, 0
    for t, h in enumerate(hist):
        w_b += h
        if w_b == 0 or w_b == total:
            continue
        sum_b += t * h
        w_f = total - w_b
        m_b, m_f = sum_b / w_b, (sum_all - sum_b) / w_f
        var = w_b * w_f * (m_b - m_f) ** 2
        if var > best_var:
            best_t, best_var = t, var
    return best_t


def _is_dark(gray: Image.Image) -> bool:
    hist = gray.histogram()
    return sum(i * h for i, h in enumerate(hist)) < 128 * sum(hist)


def preprocess(im: Image.Image, pipeline: Pipeline) -> Image.Image:
    if not pipeline.grayscale:
        return im
    gray = ImageOps.grayscale(im)
    if pipeline.dark_text and _is_dark(gray):
        gray = ImageOps.invert(gray)
    if pipeline.median:
        gray = gray.filter(ImageFilter.MedianFilter(3))
    if pipeline.upscale > 1:
        gray = gray.resize((gray.width * pipeline.upscale, gray.height * pipeline.upscale), Image.Resampling.LANCZOS)
    if pipeline.otsu:
        t = otsu_threshold(gray)
        gray = gray.point(lambda v: 255 if v > t else 0)
    # Tesseract wants margins; they take the background's shade (the majority of the pixels).
    return ImageOps.expand(gray, border=30, fill=0 if _is_dark(gray) else 255)


def _clean(page: str, alphabet: str) -> str:
    text = page if any(ch.islower() for ch in alphabet) else page.upper()
    return "".join(ch for ch in text if ch in alphabet)


def tesseract_batch(paths: list[str], psm: int, workdir: str, alphabet: str) -> list[str | None]:
    """OCR many images in one tesseract run (model loading dominates a single call).

    None marks an image tesseract crashed on (5.3 sometimes dies with SIGFPE on
    these images); the batch is bisected so one bad image costs only its read.
    """
    listing = os.path.join(workdir, f"list-{psm}-{secrets.token_hex(4)}.txt")
    with open(listing, "w") as f:
        f.write("\n".join(paths) + "\n")
    command = [
        "tesseract",
        listing,
        "stdout",
        "--oem",
        "1",
        "--psm",
        str(psm),
        "-c",
        "tessedit_char_whitelist=" + alphabet,
        # Random strings: the dictionaries only pull reads towards words.
        "-c",
        "load_system_dawg=0",
        "-c",
        "load_freq_dawg=0",
    ]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}  # parallelism comes from our workers
    run = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    pages = run.stdout.split("\f")  # one page per input image, form-feed separated
    if len(pages) == len(paths) + 1 and not pages[-1].strip():
        pages.pop()
    if run.returncode != 0 or len(pages) != len(paths):
        if len(paths) == 1:
            return [None]
        half = len(paths) // 2
        return tesseract_batch(paths[:half], psm, workdir, alphabet) + tesseract_batch(
            paths[half:], psm, workdir, alphabet
        )
    return [_clean(page, alphabet) for page in pages]


def ocr_images(
    images: list[Image.Image], workers: int, alphabet: str, pipelines: tuple[Pipeline, ...]
) -> dict[str, list[str | None]]:
    """Read every image with every pipeline; returns pipeline name -> reads (None: crashed)."""
    reads: dict[str, list[str | None]] = {}
    with tempfile.TemporaryDirectory(prefix="captcha-ocr-") as tmp, ThreadPoolExecutor(workers) as pool:
        for pipeline in pipelines:
            paths = []
            for i, im in enumerate(images):
                path = os.path.join(tmp, f"{i}.png")
                preprocess(im, pipeline).save(path)
                paths.append(path)
            size = math.ceil(len(paths) / workers)
            chunks = [paths[k : k + size] for k in range(0, len(paths), size)]
            results = pool.map(lambda chunk, psm=pipeline.psm: tesseract_batch(chunk, psm, tmp, alphabet), chunks)
            reads[pipeline.name] = [text for chunk in results for text in chunk]
    return reads


def tesseract_status() -> tuple[str | None, str | None]:
    """(version line, None) when OCR can run here, else (None, why not)."""
    if shutil.which("tesseract") is None:
        return None, "tesseract is not installed (apt-get install tesseract-ocr)"
    with tempfile.TemporaryDirectory(prefix="captcha-ocr-") as tmp:  # probe: binary + English model
        probe = os.path.join(tmp, "probe.png")
        Image.new("L", (64, 32), 255).save(probe)
        run = subprocess.run(["tesseract", probe, "stdout"], capture_output=True, text=True, check=False)
    if run.returncode != 0:
        return None, f"tesseract cannot run ({run.stderr.strip()[-200:]})"
    version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, check=False)
    lines = (version.stdout or version.stderr).splitlines()
    return (lines[0] if lines else "tesseract"), None


def tesseract_version() -> str | None:
    """Tesseract's version line, or None (with a message) when OCR cannot run here."""
    version, reason = tesseract_status()
    if reason:
        print(f"{reason}: OCR skipped, timing and size figures only.")
    return version


def tesseract_attack(variant: Variant, evaluation: Samples, workers: int) -> AttackResult:
    """Stock Tesseract on the evaluation images; the figure is the best single pipeline's (named
    in the note), as an attacker would pick it after trying them all on a few of their own."""
    version, reason = tesseract_status()
    if reason:
        return AttackResult(variant.name, "tesseract", skipped=f"skipped: {reason}")
    result = AttackResult(variant.name, "tesseract", eval_samples=len(evaluation.answers))
    start = time.perf_counter()
    reads = ocr_images(evaluation.images, workers, variant.alphabet, ATTACK_PIPELINES)
    scores = {name: score(predictions, evaluation.answers) for name, predictions in reads.items()}
    best = max(scores, key=lambda name: scores[name])
    result.success, result.chars = scores[best]
    crashes = sum(read is None for read in reads[best])
    result.note = f"{version}, best of {len(ATTACK_PIPELINES)} pipelines: {best}" + (
        f" ({crashes} reads crashed)" if crashes else ""
    )
    result.eval_seconds = time.perf_counter() - start
    result.extra = {
        "pipelines": {name: {"success": s, "chars": c} for name, (s, c) in scores.items()},
        "version": version,
    }
    return result
