"""Image CAPTCHA variants the attack harness and the reading trials compare.

Each variant is an alphabet, an answer length and a renderer (answer -> PIL image, RGB). `shipped`
is what lambdas/captcha_auth/challenge.py renders today; `v1` is a frozen copy of that rendering
(so the curve keeps it after challenge.py changes); the others are candidates measured beside it
(bench/RESULTS.md has the curve: people's first-try reading vs each attacker).

The candidate renderers use only the standard library, Pillow and captcha, draw their randomness
from `secrets` (except the deployment style, whose seed is the point), and are written so that
one can be moved into challenge.py as it is. Fonts: captcha's DroidSansMono plus DejaVu bold
faces (Debian's fonts-dejavu-core; Bitstream Vera licence, DejaVu changes public domain). They
are looked up in lambdas/captcha_auth/fonts/ first, then by file name in the system's font
directories (Pillow searches those), so the benchmarks run before any font is committed.

    python -m bench.attack.image_variants                         # screening table, 200 samples each
    python -m bench.attack.image_variants --samples 20 --save-dir /tmp/variants
    python -m bench.attack.image_variants --reading-trial /tmp/reading --answers-dir /tmp/reading-answers
"""

from __future__ import annotations

import argparse
import colorsys
import math
import os
import random
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from captcha.image import DEFAULT_FONTS, ImageCaptcha
from PIL import ImageDraw
from PIL.Image import Image

from bench.common import ensure_lambdas_importable

ensure_lambdas_importable()
from captcha_auth import challenge  # noqa: E402


@dataclass(frozen=True)
class Variant:
    name: str
    alphabet: str
    length: int
    render: Callable[[str], Image]
    note: str = ""

    def new_answer(self) -> str:
        return "".join(secrets.choice(self.alphabet) for _ in range(self.length))


Colour = tuple[int, int, int]
InkColour = tuple[int, int, int, int]

# --------------------------------------------------------------------------
# v1: today's rendering, frozen (a copy of challenge.py as of this file, not an import of it).
# --------------------------------------------------------------------------

V1_ALPHABET = "3469AFHKMRWXY"
V1_LENGTH = 7
_v1_image = ImageCaptcha(width=320, height=90)


def night_colours() -> tuple[Colour, InkColour]:
    """Dark background, light ink (ImageCaptcha pastes glyphs through a mask made from the ink's
    own brightness: dark ink would come out faint)."""
    background = (secrets.randbelow(51), secrets.randbelow(51), secrets.randbelow(51))
    ink = (150 + secrets.randbelow(106), 150 + secrets.randbelow(106), 150 + secrets.randbelow(106), 255)
    return background, ink


def render_v1(answer: str) -> Image:
    background, ink = night_colours()
    return _v1_image.generate_image(answer, bg_color=background, fg_color=ink)


# --------------------------------------------------------------------------
# Candidates: challenge.py's outlined glyphs, warp and noise (so what ships is what was measured),
# plus the knobs only the per-deployment style uses.
# --------------------------------------------------------------------------

# 9 symbols whose shapes stay apart under rotation and warping (challenge.ALPHABET).
READABLE_ALPHABET = "3469FHMRX"

DROID = DEFAULT_FONTS[0]  # captcha's own font (Apache 2.0)
SANS_BOLD = str(challenge.FONTS_DIR / "DejaVuSans-Bold-CAPTCHA.ttf")
MONO_BOLD = str(challenge.FONTS_DIR / "DejaVuSansMono-Bold-CAPTCHA.ttf")
SERIF_BOLD = str(challenge.FONTS_DIR / "DejaVuSerif-Bold-CAPTCHA.ttf")
FONT_POOL = (DROID, SANS_BOLD, MONO_BOLD, SERIF_BOLD)


@dataclass(frozen=True)
class Style(challenge.Style):
    """challenge.Style plus what a per-deployment style varies: baseline jitter, a share of solid
    glyphs, background-coloured cuts through the strokes, and colour hues."""

    jitter_dy: int = 0  # px up or down, per glyph
    hollow_chance: float = 1.0  # with outline: the share of glyphs drawn as outlines
    cuts: int = 0  # arcs in the background colour: gaps through the strokes
    cut_width: int = 2
    background_hue: float | None = None  # None: any dark colour (challenge.night_colours)
    ink_hue: float | None = None  # None: any light colour


class LayoutCaptcha(challenge.OutlineCaptcha):
    """challenge.OutlineCaptcha with each glyph's baseline moved up or down, and a share of the
    glyphs solid (captcha's own drawing)."""

    style: Style

    def _draw_character(self, c: str, draw: ImageDraw.ImageDraw, color: challenge.InkColour) -> Image:  # type: ignore[override]
        if challenge.uniform(0, 1) >= self.style.hollow_chance:
            return ImageCaptcha._draw_character(self, c, draw, color)  # type: ignore[arg-type]
        return super()._draw_character(c, draw, color)

    def _glyph_top(self, height: int) -> int:
        top = super()._glyph_top(height)
        if not self.style.jitter_dy or height >= self._height:
            return top
        jitter = secrets.randbelow(2 * self.style.jitter_dy + 1) - self.style.jitter_dy
        return max(0, min(self._height - height, top + jitter))


def style_colours(style: Style) -> tuple[challenge.Colour, challenge.InkColour]:
    if style.background_hue is None or style.ink_hue is None:
        return challenge.night_colours()
    u = challenge.uniform
    bg = colorsys.hsv_to_rgb((style.background_hue + u(-0.05, 0.05)) % 1, u(0.4, 0.9), u(0.08, 0.2))
    ink = colorsys.hsv_to_rgb((style.ink_hue + u(-0.05, 0.05)) % 1, u(0.0, 0.35), u(0.8, 1.0))
    return (
        tuple(round(255 * c) for c in bg),  # type: ignore[return-value]
        (*(round(255 * c) for c in ink), 255),
    )


class StyledRenderer(challenge.Renderer):
    """challenge.Renderer with the per-deployment knobs: hues, and cuts through the strokes."""

    style: Style

    def __init__(self, style: Style) -> None:
        super().__init__(style)
        self._captcha = LayoutCaptcha(style)

    def colours(self) -> tuple[challenge.Colour, challenge.InkColour]:
        return style_colours(self.style)

    def decorate(self, im: Image, ink: challenge.InkColour, background: challenge.Colour) -> None:
        super().decorate(im, ink, background)
        if self.style.cuts:
            challenge.noise_arcs(im, (*background, 255), self.style.cuts, self.style.cut_width)


def deployment_style(seed: int) -> Style:
    """A deployment's own look, drawn from a secret seed chosen once at deploy time (e.g.
    secrets.randbits(64), kept beside the stack like any other secret setting). A model trained on
    the public generator with another seed meets fonts, sizes, slant, spacing, warp and colours it
    has not seen; the attacker has to label this deployment's CAPTCHAs to catch up."""
    rng = random.Random(seed)  # not secrets: the same seed must give the same style
    fonts = tuple(rng.sample(FONT_POOL, rng.choice((2, 2, 3))))
    base = rng.randrange(48, 57)
    step = rng.randrange(4, 8)
    amp_lo = rng.uniform(4.0, 6.5)
    period_lo = rng.uniform(90.0, 160.0)
    return Style(
        fonts=fonts,
        font_sizes=(base, base + step, base + 2 * step),
        rotate=rng.randrange(15, 31),
        space_chance=rng.uniform(0.3, 0.6),
        jitter_dy=rng.randrange(0, 9),
        word_offset_dx=rng.uniform(0.15, 0.3),
        warp_amp=(amp_lo, amp_lo + rng.uniform(2.0, 3.5)),
        warp_period=(period_lo, period_lo + rng.uniform(50.0, 100.0)),
        warp_amp_x=(0.5, rng.uniform(1.5, 3.5)),
        warp_period_x=(rng.uniform(50.0, 80.0), rng.uniform(90.0, 140.0)),
        outline=rng.choice((2, 2, 3)),
        arcs=rng.choice((1, 2)),
        arc_width=1,
        dots=rng.choice((10, 20, 30)),
        background_hue=rng.random(),
        ink_hue=rng.random(),
    )


def styled_variant(name: str, seed: int, length: int = 5, alphabet: str = READABLE_ALPHABET) -> Variant:
    style = deployment_style(seed)
    fonts = ", ".join(os.path.basename(f).removesuffix(".ttf") for f in style.fonts)
    return Variant(
        name,
        alphabet,
        length,
        StyledRenderer(style),
        f"per-deployment style from seed {seed:#x}: {fonts}; sizes {style.font_sizes}",
    )


# Hollow glyphs: solid ones from this 9-symbol alphabet, however warped, cut, jittered or noised,
# left Tesseract 2-16 % of 5- and 6-character answers (100-sample screens: sine warp alone 5-6 %,
# + background-coloured cuts 3-5 %, + baseline jitter 8-10 %, + ink arcs 4-8 %, bold or thin fonts
# alike 7-13 %, no global warp 16 %); outlined glyphs left it 0-1.5 % and read as easily. Hollow
# 5-character answers need the thin noise too (200-sample screens, hollow alone: 1.5 %; with 3-px
# outlines or a stronger warp: 1.0 %; half the glyphs hollow, 6 characters: 1.5 %).
HOLLOW = challenge.Style(fonts=FONT_POOL, outline=2)

# Two example deployments. The harness trains its attacker on `style5-other-seed` (the public
# generator with a seed that isn't the target's) and tests on `style5-seed`.
EXAMPLE_SEED = 0x5EED_0001
OTHER_SEED = 0x5EED_0002

VARIANTS: dict[str, Variant] = {
    "shipped": Variant(
        "shipped",
        challenge.ALPHABET,
        challenge.ANSWER_LENGTH,
        challenge.render_image,
        "what the create trigger renders now",
    ),
    "v1": Variant("v1", V1_ALPHABET, V1_LENGTH, render_v1, "today's rendering, frozen"),
    "hollow6": Variant(
        "hollow6",
        READABLE_ALPHABET,
        6,
        challenge.Renderer(HOLLOW),
        "readable alphabet, 6 chars; hollow (outlined) glyphs in 4 fonts; global sine warp",
    ),
    "hollow6-thick": Variant(
        "hollow6-thick",
        READABLE_ALPHABET,
        6,
        challenge.Renderer(replace(HOLLOW, outline=3, font_sizes=(56, 62, 68))),
        "hollow6 with 3-px outlines and larger glyphs",
    ),
    "hollow5-noise": Variant(
        "hollow5-noise",
        READABLE_ALPHABET,
        5,
        challenge.Renderer(replace(HOLLOW, arcs=2, arc_width=1, dots=20)),
        "readable alphabet, 5 chars; hollow glyphs, sine warp, two thin ink arcs and 20 dots",
    ),
    "style5-seed": styled_variant("style5-seed", EXAMPLE_SEED),
    "style5-other-seed": styled_variant("style5-other-seed", OTHER_SEED),
}


# --------------------------------------------------------------------------
# Screening: render time, data URL size, Tesseract (python -m bench.attack.image_variants).
# --------------------------------------------------------------------------


def tesseract_success(variant: Variant, images: list[Image], answers: list[str], workers: int) -> tuple[float, str]:
    """Whole-answer reads by the best of bench/captcha_strength.py's pipelines, whitelisted to
    the variant's alphabet."""
    from bench import captcha_strength as cs

    saved = cs.ALPHABET
    cs.ALPHABET = variant.alphabet  # tesseract_batch whitelists (and filters reads to) this global
    try:
        reads = cs.ocr_images(images, workers)
    finally:
        cs.ALPHABET = saved
    exact = {p: sum(r == a for r, a in zip(rs, answers, strict=True)) / len(answers) for p, rs in reads.items()}
    best = max(exact, key=lambda p: exact[p])
    return exact[best], best


def screen(names: list[str], samples: int, workers: int, save_dir: str | None, ocr: bool) -> None:
    from bench import captcha_strength as cs

    rows = []
    for name in names:
        variant = VARIANTS[name]
        variant.render(variant.new_answer())  # warm: fonts loaded, code paths hot
        answers = [variant.new_answer() for _ in range(samples)]
        images, times, url_chars = [], [], []
        for answer in answers:
            t0 = time.perf_counter()
            im = variant.render(answer)
            png = cs.encode_png(im)
            times.append(time.perf_counter() - t0)
            assert im.mode == "RGB", (name, im.mode)
            images.append(im)
            url_chars.append(cs.data_url_len(cs.PNG_PREFIX, len(png)))
        if save_dir:
            out = os.path.join(save_dir, name)
            os.makedirs(out, exist_ok=True)
            for i in range(min(12, samples)):
                images[i].save(os.path.join(out, f"{i:02d}-{answers[i]}.png"))
        ocr_col = "-"
        if ocr:
            rate, pipe = tesseract_success(variant, images, answers, workers)
            ocr_col = f"{rate:.1%} ({pipe})"
        bits = variant.length * math.log2(len(variant.alphabet))
        rows.append(
            f"| {name} | {variant.alphabet} | {variant.length} | {bits:.1f} | "
            f"{statistics.median(times) * 1000:.1f} | {max(url_chars):,} | {ocr_col} |"
        )
        print(rows[-1], file=sys.stderr, flush=True)
    print(f"\n{samples} samples a variant; ms: median wall time of render + PNG encode, warm.\n")
    print("| variant | alphabet | length | bits | ms | data URL max | Tesseract whole answer (best pipeline) |")
    print("|---|---|---:|---:|---:|---:|---|")
    print("\n".join(rows))


def reading_trial(names: list[str], images_dir: str, answers_dir: str, count: int) -> None:
    """count fresh images a variant as images_dir/<variant>/01.png..., answers (one a line, same
    order) in answers_dir/<variant>.txt, kept apart so the reader never sees them."""
    os.makedirs(answers_dir, exist_ok=True)
    for name in names:
        variant = VARIANTS[name]
        out = os.path.join(images_dir, name)
        os.makedirs(out, exist_ok=True)
        answers = [variant.new_answer() for _ in range(count)]
        for i, answer in enumerate(answers, 1):
            variant.render(answer).save(os.path.join(out, f"{i:02d}.png"))
        with open(os.path.join(answers_dir, f"{name}.txt"), "w") as f:
            f.write("\n".join(answers) + "\n")
        print(f"{name}: {count} images in {out}, answers in {answers_dir}/{name}.txt")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("variants", nargs="*", help="names (default: all)")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="parallel tesseract processes")
    parser.add_argument("--no-ocr", action="store_true", help="timing and size only")
    parser.add_argument("--save-dir", help="write 12 sample PNGs a variant to <dir>/<variant>/")
    parser.add_argument("--reading-trial", metavar="DIR", help="write 30 fresh PNGs a variant to DIR/<variant>/")
    parser.add_argument("--answers-dir", help="with --reading-trial: where <variant>.txt answers go")
    args = parser.parse_args()
    names = args.variants or list(VARIANTS)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {unknown}; known: {list(VARIANTS)}")
    if args.reading_trial:
        if not args.answers_dir:
            parser.error("--reading-trial needs --answers-dir (kept out of the images' directory)")
        reading_trial(names, args.reading_trial, args.answers_dir, 30)
        return 0
    screen(names, args.samples, args.workers, args.save_dir, not args.no_ocr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
