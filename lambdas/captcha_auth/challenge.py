"""The CAPTCHA itself: a random answer, and its picture or sound as a data URL.

Kept apart from the handler so the rendering can be measured (bench/attack/ and
bench/captcha_strength.py) and changed on its own. What the picture can and can't stop is
measured, not assumed: bench/RESULTS.md ("CAPTCHA strength") has every attacker's figure and
people's first-try reading for this style and the ones it was chosen over.
"""

from __future__ import annotations

import base64
import io
import itertools
import math
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import PIL.Image
from captcha.image import DEFAULT_FONTS, ImageCaptcha
from PIL import ImageDraw, ImageFilter

from captcha_auth.common import AUDIO_FORMAT

if TYPE_CHECKING:
    from PIL.Image import Image

# Upper case only (Verify case-folds). Shapes that stay apart when rotated, warped and drawn as
# outlines: people reading the earlier 13-symbol set confused X/K/Y, A/4 and M/W, so one of each
# pair is kept; 0/O/Q/D, 1/I/L/J/7, 2/Z, 5/S, 8/B and U/V were out already. Each is spoken whole by
# the audio CAPTCHA too. 9 ** 5 = 2 ** 15.8 answers: guessing is bounded by the attempt limit and
# the failure counter's lock (3 answers a sign-in, 5 sign-ins before a back-off), not by this.
ALPHABET = "3469FHMRX"
ANSWER_LENGTH = 5

Colour = tuple[int, int, int]
InkColour = tuple[int, int, int, int]

FONTS_DIR = Path(__file__).resolve().parent / "fonts"


@dataclass(frozen=True)
class Style:
    """Everything the picture is drawn from; per picture only the colours, the glyphs' fonts,
    sizes, rotations and places, the warp's phase and amplitude and the noise are random."""

    fonts: tuple[str, ...]
    font_sizes: tuple[int, ...] = (52, 58, 64)
    rotate: int = 25  # degrees either way, per glyph
    space_chance: float = 0.5  # chance of a gap before a glyph (ImageCaptcha's)
    outline: int = 2  # glyphs drawn as outlines this many px wide (0: solid, as ImageCaptcha)
    word_offset_dx: float = 0.25  # neighbours' overlap, as a share of a glyph's width
    warp_amp: tuple[float, float] = (5.0, 9.0)  # px up/down ...
    warp_period: tuple[float, float] = (110.0, 220.0)  # ... over this many px
    warp_amp_x: tuple[float, float] = (1.0, 3.0)  # px sideways ...
    warp_period_x: tuple[float, float] = (60.0, 120.0)
    arcs: int = 0  # thin ink arcs through the text
    arc_width: int = 1
    dots: int = 0
    width: int = 320
    height: int = 90


# captcha's own face and three DejaVu bold faces (cut to 0-9 and A-Z by bench/make_fonts.py;
# Bitstream Vera licence, in fonts/). Outlined glyphs: solid ones from this alphabet, however
# warped, cut or noised, left stock Tesseract 2-16 % of answers; outlines left it about 1 %.
# Two thin arcs and some dots bring 5-character answers under 1 %.
SHIPPED_STYLE = Style(
    fonts=(
        DEFAULT_FONTS[0],
        str(FONTS_DIR / "DejaVuSans-Bold-CAPTCHA.ttf"),
        str(FONTS_DIR / "DejaVuSansMono-Bold-CAPTCHA.ttf"),
        str(FONTS_DIR / "DejaVuSerif-Bold-CAPTCHA.ttf"),
    ),
    arcs=2,
    dots=20,
)


def new_answer() -> str:
    """A fresh answer from the OS's CSPRNG, every round."""
    return "".join(secrets.choice(ALPHABET) for _ in range(ANSWER_LENGTH))


def uniform(lo: float, hi: float) -> float:
    """A float in [lo, hi) from the OS's CSPRNG."""
    return lo + (hi - lo) * secrets.randbits(32) / 2**32


def night_colours() -> tuple[Colour, InkColour]:
    """A dark background and light ink. ImageCaptcha pastes each glyph through a mask made from
    the ink's own brightness, so dark ink comes out faint: light ink keeps every glyph opaque."""
    background = (secrets.randbelow(51), secrets.randbelow(51), secrets.randbelow(51))
    ink = (150 + secrets.randbelow(106), 150 + secrets.randbelow(106), 150 + secrets.randbelow(106), 255)
    return background, ink


class OutlineCaptcha(ImageCaptcha):
    """ImageCaptcha's layout (random gaps, neighbours overlapping) with each glyph drawn as its
    outline, rotated. Subclassed, not forked: only the glyph drawing differs, and it overrides
    captcha's private `_draw_character`, so captcha stays pinned (lambdas/requirements.txt)."""

    def __init__(self, style: Style) -> None:
        super().__init__(style.width, style.height, fonts=list(style.fonts), font_sizes=style.font_sizes)
        self.style = style
        # Instance attributes shadow ImageCaptcha's class-level settings.
        self.character_rotate = (-style.rotate, style.rotate)
        self.word_offset_dx = style.word_offset_dx

    def _draw_character(self, c: str, draw: ImageDraw.ImageDraw, color: InkColour) -> Image:  # type: ignore[override]
        if not self.style.outline:
            return super()._draw_character(c, draw, color)
        font = secrets.choice(self.truefonts)
        stroke = self.style.outline
        _, _, w, h = draw.multiline_textbbox((1, 1), c, font=font, stroke_width=stroke)
        glyph = PIL.Image.new("RGBA", (int(w) + 4, int(h) + 6))
        ImageDraw.Draw(glyph).text((2, 3), c, font=font, fill=(0, 0, 0, 0), stroke_width=stroke, stroke_fill=color)
        glyph = glyph.crop(glyph.getbbox())
        return glyph.rotate(uniform(*self.character_rotate), PIL.Image.Resampling.BILINEAR, expand=True)

    def create_captcha_image(self, chars: str, color: InkColour, background: Colour) -> Image:  # type: ignore[override]
        draw = ImageDraw.Draw(PIL.Image.new("RGB", (1, 1)))
        glyphs: list[Image] = []
        for c in chars:
            if uniform(0, 1) < self.style.space_chance:
                glyphs.append(self._draw_character(" ", draw, color))
            glyphs.append(self._draw_character(c, draw, color))
        text_width = sum(g.width for g in glyphs)
        width = max(text_width, self._width)
        image = PIL.Image.new("RGB", (width, self._height), background)
        average = int(text_width / len(chars))
        overlap = int(self.word_offset_dx * average)
        offset = int(average * 0.1)
        for glyph in glyphs:
            w, h = glyph.size
            image.paste(glyph, (offset, self._glyph_top(h)), glyph.convert("L").point(self.lookup_table))
            offset += w - secrets.randbelow(overlap + 1)
        if width > self._width:
            image = image.resize((self._width, self._height))
        return image

    def _glyph_top(self, height: int) -> int:
        """Where a glyph this tall sits: centred (bench/attack/ varies it)."""
        return (self._height - height) // 2


Quad = tuple[float, float, float, float, float, float, float, float]  # NW, SW, SE, NE corners: x, y
Mesh = list[tuple[tuple[int, int, int, int], Quad]]


def sine_warp(im: Image, amp_y: float, period_y: float, amp_x: float, period_x: float, fill: Colour) -> Image:
    """Bend the whole picture: each column moves up or down by amp_y * sin(x), each row sideways
    by amp_x * sin(y), at random phases."""
    mesh = warp_mesh(im.size, amp_y, period_y, amp_x, period_x, uniform(0, 2 * math.pi), uniform(0, 2 * math.pi))
    return mesh_transform(im, mesh, fill)


def warp_mesh(
    size: tuple[int, int], amp_y: float, period_y: float, amp_x: float, period_x: float, phase_y: float, phase_x: float
) -> Mesh:
    """The warp as a mesh of 8-px cells, each mapped from its four shifted corners. Each corner's
    shift depends on its column or its row alone, so the sines are taken once per grid line, not
    four times per cell."""
    width, height = size
    cell = 8
    xs = [*range(0, width, cell), width]
    ys = [*range(0, height, cell), height]
    down = {x: amp_y * math.sin(2 * math.pi * x / period_y + phase_y) for x in xs}  # a column's shift
    across = {y: amp_x * math.sin(2 * math.pi * y / period_x + phase_x) for y in ys}  # a row's shift
    return [
        (
            (x0, y0, x1, y1),
            (
                *(x0 + across[y0], y0 + down[x0]),
                *(x0 + across[y1], y1 + down[x0]),
                *(x1 + across[y1], y1 + down[x1]),
                *(x1 + across[y0], y0 + down[x1]),
            ),
        )
        for x0, x1 in itertools.pairwise(xs)
        for y0, y1 in itertools.pairwise(ys)
    ]


def mesh_transform(im: Image, mesh: Mesh, fill: Colour | None) -> Image:
    """`im.transform(im.size, Transform.MESH, mesh, Resampling.BILINEAR, fillcolor=fill)` for an
    RGB picture: the same pixels and info, in under half its time.

    Written out because Pillow's MESH runs a Python wrapper per cell that re-checks its arguments
    and makes two pixel-access objects (~2-4 µs a cell; the warp's 480 cells cost Create ~1.4 ms
    of its ~10 ms) around a C call of ~2 µs. This makes that same C call (the image core's
    `transform`, as Pillow's wrapper does) with the coefficients Pillow computes for a QUAD, in
    Pillow's order of operations. Pillow is pinned (lambdas/requirements.lock), and
    tests/unit/test_challenge_render.py checks the two agree byte for byte, so an upgrade that
    changes either fails there, not in front of a user."""
    if im.mode != "RGB":  # Pillow treats other modes differently (alpha premultiplied, palettes)
        raise ValueError("mesh_transform takes an RGB picture")
    im.load()  # as Pillow's wrapper does: a picture opened from a file is read now
    out = PIL.Image.new(im.mode, im.size, fill)
    out.info = dict(im.info)
    source, target = im.im, out.im
    # Pillow's flag: with no fill colour, pixels mapped from outside the picture are zeroed; with
    # one, they keep it (the new picture starts filled with it).
    zero_outside = fill is None
    quad, bilinear = PIL.Image.Transform.QUAD, PIL.Image.Resampling.BILINEAR
    for box, (nwx, nwy, swx, swy, sex, sey, nex, ney) in mesh:
        step_x = 1.0 / (box[2] - box[0])
        step_y = 1.0 / (box[3] - box[1])
        coefficients = (
            nwx,
            (nex - nwx) * step_x,
            (swx - nwx) * step_y,
            (sex - swx - nex + nwx) * step_x * step_y,
            nwy,
            (ney - nwy) * step_x,
            (swy - nwy) * step_y,
            (sey - swy - ney + nwy) * step_x * step_y,
        )
        target.transform(box, source, quad, coefficients, bilinear, zero_outside)
    return out


def noise_arcs(im: Image, ink: InkColour, count: int, width: int) -> None:
    """Thin arcs of ink through the text band: they join neighbouring glyphs for a segmenter,
    and a reader sees through them."""
    draw = ImageDraw.Draw(im)
    w, h = im.size
    for _ in range(count):
        x0 = secrets.randbelow(w // 3) - w // 6
        x1 = x0 + w // 2 + secrets.randbelow(w // 2)
        y0 = h // 5 + secrets.randbelow(h // 3)
        y1 = y0 + h // 3 + secrets.randbelow(h // 2)
        start = secrets.randbelow(40) + 180 if secrets.randbelow(2) else secrets.randbelow(40)
        draw.arc((x0, y0, x1, y1), start, start + 100 + secrets.randbelow(60), fill=ink, width=width)


def noise_dots(im: Image, ink: InkColour, count: int) -> None:
    draw = ImageDraw.Draw(im)
    w, h = im.size
    for _ in range(count):
        x, y = secrets.randbelow(w), secrets.randbelow(h)
        draw.ellipse((x, y, x + 2, y + 2), fill=ink)


class Renderer:
    """Pictures in one style: outlined glyphs, light noise, one smooth warp of the whole."""

    def __init__(self, style: Style) -> None:
        self.style = style
        self._captcha = OutlineCaptcha(style)

    def colours(self) -> tuple[Colour, InkColour]:
        return night_colours()

    def decorate(self, im: Image, ink: InkColour, background: Colour) -> None:
        """The noise, drawn over the glyphs before the warp bends both."""
        if self.style.dots:
            noise_dots(im, ink, self.style.dots)
        if self.style.arcs:
            noise_arcs(im, ink, self.style.arcs, self.style.arc_width)

    def __call__(self, answer: str) -> Image:
        style = self.style
        background, ink = self.colours()
        im = self._captcha.create_captcha_image(answer, ink, background)
        self.decorate(im, ink, background)
        im = sine_warp(
            im,
            uniform(*style.warp_amp) * (1 if secrets.randbelow(2) else -1),
            uniform(*style.warp_period),
            uniform(*style.warp_amp_x),
            uniform(*style.warp_period_x),
            background,
        )
        return im.filter(ImageFilter.SMOOTH)


render_image = Renderer(SHIPPED_STYLE)


def image_data_url(answer: str) -> str:
    png = io.BytesIO()
    # zlib level 3: pixel for pixel the same PNG, encoded in ~60% of the default level's time
    # (6), and a few percent smaller on these pictures (bench/RESULTS.md, item 2).
    render_image(answer).save(png, format="png", compress_level=3)
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")


def audio_data_url(answer: str) -> str:
    # Imported on the first audio round: an image round (most of them) never loads it.
    from captcha_auth.audio import render_audio

    return "data:audio/wav;base64," + base64.b64encode(render_audio(answer)).decode("ascii")


def data_url(answer: str, captcha_format: str) -> str:
    return audio_data_url(answer) if captcha_format == AUDIO_FORMAT else image_data_url(answer)
