"""Benchmark CAPTCHA renderings: OCR resistance, render time and payload size.

For each image variant this renders ``--samples`` random answers, times the
render (image + PNG encode, as the Lambda would do it), measures the PNG and
its ``data:`` URL size, and then asks off-the-shelf Tesseract (several common
preprocessing pipelines) to read the answer back.  It also times and sizes the
audio CAPTCHA, both the stock ``captcha.audio.AudioCaptcha`` and the faster,
smaller ``render_audio`` proposed for the create-auth-challenge trigger.

It measures the renderers the create trigger ships (lambdas/captcha_auth/challenge.py and
audio.py) beside the alternatives they were chosen over. The ``tesseract`` binary (Debian:
tesseract-ocr) is optional: without it only timing and size figures are printed.

    python -m bench.captcha_strength                 # 200 samples a variant, ~3 min on 2 cores
    python -m bench.captcha_strength --samples 1     # smoke test, ~4 s
    python -m bench.captcha_strength --save-dir captcha-samples        # + a few PNGs/WAVs to look at
"""

from __future__ import annotations

import argparse
import io
import math
import os
import statistics
import sys
import time
import wave
from collections.abc import Callable

from captcha.audio import AudioCaptcha
from captcha.image import DEFAULT_FONTS, ImageCaptcha
from PIL import Image, ImageDraw, ImageFont

from bench.attack.harness import char_accuracy
from bench.attack.tesseract import STRENGTH_PIPELINES, ocr_images, tesseract_version
from bench.common import ensure_lambdas_importable

ensure_lambdas_importable()
from captcha_auth.audio import max_wav_bytes, render_audio  # noqa: E402
from captcha_auth.challenge import ALPHABET, ANSWER_LENGTH, new_answer, night_colours, render_image  # noqa: E402

PARAM_LIMIT = 131_072  # Cognito challenge-parameter size, in characters
PNG_PREFIX = "data:image/png;base64,"
WAV_PREFIX = "data:audio/wav;base64,"


def data_url_len(prefix: str, n_bytes: int) -> int:
    """Length of the base64 data URL for a payload of n_bytes."""
    return len(prefix) + 4 * math.ceil(n_bytes / 3)


# --------------------------------------------------------------------------
# Image variants: each maps an answer to a PIL image.
# --------------------------------------------------------------------------


def plain_renderer(width: int = 280, height: int = 90, size: int = 48) -> Callable[[str], Image.Image]:
    """Undistorted text: the baseline that OCR is expected to read."""
    font = ImageFont.truetype(DEFAULT_FONTS[0], size)

    def render(answer: str) -> Image.Image:
        im = Image.new("RGB", (width, height), (255, 255, 255))
        ImageDraw.Draw(im).text((width // 2, height // 2), answer, font=font, fill=(0, 0, 0), anchor="mm")
        return im

    return render


def captcha_renderer(night: bool = False, **kwargs: object) -> Callable[[str], Image.Image]:
    gen = ImageCaptcha(**kwargs)  # type: ignore[arg-type]
    if not night:
        return gen.generate_image

    def render(answer: str) -> Image.Image:
        bg, fg = night_colours()
        return gen.generate_image(answer, bg_color=bg, fg_color=fg)

    return render


VARIANTS: dict[str, Callable[[str], Image.Image]] = {
    "plain PIL 280x90 (baseline)": plain_renderer(),
    "ImageCaptcha() 160x60 defaults": captcha_renderer(),
    "ImageCaptcha(240, 80)": captcha_renderer(width=240, height=80),
    "ImageCaptcha(280, 90)": captcha_renderer(width=280, height=90),
    "ImageCaptcha(280, 90, fs 50/56/62)": captcha_renderer(width=280, height=90, font_sizes=(50, 56, 62)),
    "ImageCaptcha(320, 90)": captcha_renderer(width=320, height=90),
    # Wider images squeeze 7 glyphs less; night colours fix faint/pale ink.
    "shipped: ImageCaptcha(320, 90) night": render_image,
    "ImageCaptcha(320, 100, fs 50/56/62) night": captcha_renderer(
        night=True, width=320, height=100, font_sizes=(50, 56, 62)
    ),
}


def encode_png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


# --------------------------------------------------------------------------
# OCR attack: typical "off-the-shelf" preprocessing, nothing CAPTCHA-specific
# (bench/attack/tesseract.py, shared with the attack harness).
# --------------------------------------------------------------------------

PIPELINES = [pipeline.name for pipeline in STRENGTH_PIPELINES]


# --------------------------------------------------------------------------
# Runner
# --------------------------------------------------------------------------


def median_ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


def bench_images(samples: int, ocr: bool, workers: int, save_dir: str | None) -> None:
    header = (
        f"{'variant':<42} {'OCR exact':>9} {'any pipe':>8} {'char acc':>8} "
        f"{'CPU ms':>9} {'PNG B med':>9} {'PNG B max':>9} {'URL max':>8} fits"
    )
    print(header)
    print("-" * len(header))
    for name, render in VARIANTS.items():
        answers = [new_answer() for _ in range(samples)]
        images, times, sizes = [], [], []
        for answer in answers:  # timed before any OCR runs: render + encode, like the Lambda
            t0 = time.process_time()
            im = render(answer)
            png = encode_png(im)
            times.append(time.process_time() - t0)
            images.append(im)
            sizes.append(len(png))
        if save_dir:
            slug = "".join(c if c.isalnum() else "_" for c in name)
            for i in range(min(4, samples)):
                images[i].save(os.path.join(save_dir, f"{slug}_{i}_{answers[i]}.png"))
        url_max = max(data_url_len(PNG_PREFIX, s) for s in sizes)
        fits = "yes" if url_max <= PARAM_LIMIT else "NO"
        ocr_cols, note = f"{'-':>9} {'-':>8} {'-':>8}", ""
        if ocr:
            per_pipe = ocr_images(images, workers, ALPHABET, STRENGTH_PIPELINES)
            exact = {p: sum(r == a for r, a in zip(rs, answers, strict=True)) / samples for p, rs in per_pipe.items()}
            chars = {
                p: statistics.mean(char_accuracy(r, a) for r, a in zip(rs, answers, strict=True))
                for p, rs in per_pipe.items()
            }
            # Best single pipeline an attacker could pick; "any" is an oracle upper bound.
            best_pipe = max(PIPELINES, key=lambda p: (exact[p], chars[p]))
            any_ok = sum(any(per_pipe[p][i] == a for p in PIPELINES) for i, a in enumerate(answers)) / samples
            crashes = sum(r is None for rs in per_pipe.values() for r in rs)
            ocr_cols = f"{exact[best_pipe]:>9.1%} {any_ok:>8.1%} {chars[best_pipe]:>8.1%}"
            note = f"  (best: {best_pipe}" + (f"; tesseract crashed on {crashes} reads)" if crashes else ")")
        print(
            f"{name:<42} {ocr_cols} {median_ms(times):>9.1f} "
            f"{statistics.median(sizes):>9.0f} {max(sizes):>9} {url_max:>8} {fits}{note}",
            flush=True,
        )
    print(
        "OCR exact: whole answer read by the best single pipeline; any pipe: by at least one (oracle bound);\n"
        "char acc: 1 - edit distance / length for that pipeline; CPU ms: median CPU time of render + PNG encode;\n"
        f"URL max: longest {PNG_PREFIX}... string; fits: within {PARAM_LIMIT} characters."
    )


def check_wav(data: bytes) -> str:
    with wave.open(io.BytesIO(data)) as w:
        return (
            f"{w.getnchannels()} ch, {w.getsampwidth() * 8}-bit, "
            f"{w.getframerate()} Hz, {w.getnframes() / w.getframerate():.1f} s"
        )


def bench_audio(samples: int, save_dir: str | None) -> None:
    # process_time (CPU actually spent) is what a Lambda's budget is about.
    stock = AudioCaptcha()
    stock.load()
    cases: list[tuple[str, Callable[[str], bytes], int]] = [
        ("render_audio (shipped)", render_audio, samples),
        # The stock generator takes 0.5-1 s a call; a few runs are enough.
        ("captcha AudioCaptcha().generate", lambda a: bytes(stock.generate(a)), min(samples, 10)),
    ]
    print(
        f"{'audio variant':<42} {'n':>4} {'CPU ms med':>10} {'CPU ms max':>10} "
        f"{'WAV B med':>9} {'WAV B max':>9} {'URL max':>8} fits  format"
    )
    for name, gen, n in cases:
        times, sizes, data = [], [], b""
        for _ in range(n):
            answer = new_answer()
            t0 = time.process_time()
            data = gen(answer)
            times.append(time.process_time() - t0)
            sizes.append(len(data))
        url_max = max(data_url_len(WAV_PREFIX, s) for s in sizes)
        fits = "yes " if url_max <= PARAM_LIMIT else "NO  "
        print(
            f"{name:<42} {n:>4} {median_ms(times):>10.1f} {max(times) * 1000:>10.1f} "
            f"{statistics.median(sizes):>9.0f} {max(sizes):>9} {url_max:>8} {fits} "
            f"{check_wav(data)}"
        )
        if save_dir:
            slug = "".join(c if c.isalnum() else "_" for c in name)
            with open(os.path.join(save_dir, f"{slug}.wav"), "wb") as f:
                f.write(data)
    worst = max_wav_bytes(ANSWER_LENGTH)
    print(
        f"render_audio worst case: {worst} B raw, "
        f"{data_url_len(WAV_PREFIX, worst)} chars as data URL "
        f"(limit {PARAM_LIMIT})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=200, help="answers per variant (default 200)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel tesseract processes")
    parser.add_argument("--save-dir", help="write a few sample PNGs/WAVs here")
    args = parser.parse_args()
    if args.samples < 1:
        parser.error("--samples must be >= 1")
    if args.save_dir:
        os.makedirs(args.save_dir, exist_ok=True)

    bits = ANSWER_LENGTH * math.log2(len(ALPHABET))
    print(
        f"answer: {ANSWER_LENGTH} chars from {ALPHABET!r} "
        f"({len(ALPHABET)} symbols) = {bits:.1f} bits; samples/variant: {args.samples}"
    )
    version = tesseract_version()
    if version:
        print(f"OCR: {version}; whole answer must match; pipelines: {', '.join(PIPELINES)}")
    print()
    bench_images(args.samples, version is not None, args.workers, args.save_dir)
    print()
    bench_audio(args.samples, args.save_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
