"""The CAPTCHA itself: a random answer, and its picture or sound as a data URL.

Kept apart from the handler so the rendering can be measured (bench/captcha_strength.py) and
changed on its own.
"""

from __future__ import annotations

import base64
import io
import secrets
from typing import TYPE_CHECKING

from captcha.image import ImageCaptcha

from captcha_auth.common import AUDIO_FORMAT

if TYPE_CHECKING:
    from PIL.Image import Image

# Upper case only (Verify case-folds). Removed: glyphs that look alike (0/O/Q/D, 1/I/L/J, 2/Z,
# 5/S, 8/B, U/V, and 7, which reads as 1 when rotated) and letters that sound alike in 8 kHz
# audio (the E-set B C D E G P T V Z, N/M, S/F). 13 ** 7 = 2 ** 25.9 answers.
ALPHABET = "3469AFHKMRWXY"
ANSWER_LENGTH = 7


# 320 px wide so seven warped characters don't merge; measured against Tesseract 5 (stock OCR
# reads ~1% of these whole, against ~89% of the same text undistorted; bench/RESULTS.md).
_image = ImageCaptcha(width=320, height=90)


def new_answer() -> str:
    """A fresh answer from the OS's CSPRNG, every round."""
    return "".join(secrets.choice(ALPHABET) for _ in range(ANSWER_LENGTH))


def night_colours() -> tuple[tuple[int, int, int], tuple[int, int, int, int]]:
    """A dark background and light ink. ImageCaptcha pastes each glyph through a mask made from
    the ink's own brightness, so dark ink comes out faint: light ink keeps every glyph opaque."""
    background = (secrets.randbelow(51), secrets.randbelow(51), secrets.randbelow(51))
    ink = (150 + secrets.randbelow(106), 150 + secrets.randbelow(106), 150 + secrets.randbelow(106), 255)
    return background, ink


def render_image(answer: str) -> Image:
    background, ink = night_colours()
    return _image.generate_image(answer, bg_color=background, fg_color=ink)


def image_data_url(answer: str) -> str:
    png = io.BytesIO()
    render_image(answer).save(png, format="png")
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")


def audio_data_url(answer: str) -> str:
    # Imported on the first audio round: an image round (most of them) never loads it.
    from captcha_auth.audio import render_audio

    return "data:audio/wav;base64," + base64.b64encode(render_audio(answer)).decode("ascii")


def data_url(answer: str, captcha_format: str) -> str:
    return audio_data_url(answer) if captcha_format == AUDIO_FORMAT else image_data_url(answer)
