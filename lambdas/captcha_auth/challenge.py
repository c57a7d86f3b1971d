"""The CAPTCHA itself: a random answer, and its picture or sound as a data URL.

Kept apart from the handler so the rendering can be measured and changed on its own.
"""

from __future__ import annotations

import base64
import secrets

from captcha.image import ImageCaptcha

# Upper case only (Verify case-folds), with look-alike glyphs removed: no 0/O/Q/D, 1/I/L/J,
# 2/Z, 5/S, 8/B, U/V. len(ALPHABET) ** ANSWER_LENGTH must stay above 2**25.
ALPHABET = "ACEFHKMNPRTWXY34679"
ANSWER_LENGTH = 6

IMAGE_FORMAT = "image"
AUDIO_FORMAT = "audio"

_image = ImageCaptcha(width=200, height=70)


def new_answer() -> str:
    """A fresh answer from the OS's CSPRNG, every round."""
    return "".join(secrets.choice(ALPHABET) for _ in range(ANSWER_LENGTH))


def image_data_url(answer: str) -> str:
    png = _image.generate(answer, format="png").getvalue()
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def audio_data_url(answer: str) -> str:
    raise NotImplementedError


def data_url(answer: str, captcha_format: str) -> str:
    return audio_data_url(answer) if captcha_format == AUDIO_FORMAT else image_data_url(answer)
