"""The picture's warp: challenge.mesh_transform must draw exactly what Pillow's own MESH
transform draws, since it only skips Pillow's per-cell Python wrapper. The CAPTCHA's measured
strength (bench/RESULTS.md) is for that picture, so "close" is not enough: byte for byte."""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import PIL
import PIL.Image
import pytest

from captcha_auth import challenge
from captcha_auth.challenge import SHIPPED_STYLE, mesh_transform, warp_mesh


def pillow_mesh(im: PIL.Image.Image, mesh: challenge.Mesh, fill: challenge.Colour | None) -> PIL.Image.Image:
    return im.transform(im.size, PIL.Image.Transform.MESH, mesh, PIL.Image.Resampling.BILINEAR, fillcolor=fill)


class SeededSecrets:
    """The `secrets` calls challenge.py makes, from a seed: each test picture is the same in
    every run, so a failure can be looked at again."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)

    def choice(self, options: Sequence[Any]) -> Any:
        return self._rng.choice(options)

    def randbelow(self, n: int) -> int:
        return self._rng.randrange(n)

    def randbits(self, k: int) -> int:
        return self._rng.getrandbits(k)


def glyphs(seed: int, monkeypatch: pytest.MonkeyPatch) -> tuple[PIL.Image.Image, challenge.Colour]:
    """A picture as Create draws it before the warp (outlined glyphs and the noise), from a seed."""
    monkeypatch.setattr(challenge, "secrets", SeededSecrets(seed))
    background, ink = challenge.night_colours()
    im = challenge.render_image._captcha.create_captcha_image(challenge.new_answer(), ink, background)
    challenge.render_image.decorate(im, ink, background)
    return im, background


def test_the_pillow_checked_here_is_the_one_the_triggers_ship() -> None:
    """The comparison below runs on this environment's Pillow: it must be the bundled one."""
    lock = (Path(challenge.__file__).resolve().parents[1] / "requirements.lock").read_text()
    pinned = re.search(r"^pillow==(\S+) ", lock, flags=re.MULTILINE)
    assert pinned and PIL.__version__ == pinned.group(1)


@pytest.mark.parametrize("seed", range(12))
def test_the_shipped_warp_matches_pillow_byte_for_byte(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    im, background = glyphs(seed, monkeypatch)
    style = SHIPPED_STYLE
    # Amplitudes and periods over the style's whole range, both signs, both ends included.
    amp_y = rng.choice([*style.warp_amp, rng.uniform(*style.warp_amp)]) * rng.choice((1, -1))
    params = (
        amp_y,
        rng.choice([*style.warp_period, rng.uniform(*style.warp_period)]),
        rng.choice([*style.warp_amp_x, rng.uniform(*style.warp_amp_x)]),
        rng.choice([*style.warp_period_x, rng.uniform(*style.warp_period_x)]),
        rng.uniform(0, 6.3),
        rng.uniform(0, 6.3),
    )
    mesh = warp_mesh(im.size, *params)
    ours = mesh_transform(im, mesh, background)
    assert (ours.mode, ours.size) == (im.mode, im.size)
    assert ours.tobytes() == pillow_mesh(im, mesh, background).tobytes()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("filled", [True, False])
def test_any_mesh_matches_pillow_byte_for_byte(seed: int, filled: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cells of uneven sizes whose corners land anywhere, off the picture too: filled with the
    colour given, or zeroed when none is (Pillow's two behaviours). The picture's info is kept."""
    rng = random.Random(1000 + seed)
    im, background = glyphs(1000 + seed, monkeypatch)
    im.info["dpi"] = (72, 72)
    fill = background if filled else None
    width, height = im.size
    xs = sorted({0, width, *(rng.randrange(1, width) for _ in range(9))})
    ys = sorted({0, height, *(rng.randrange(1, height) for _ in range(4))})
    mesh: challenge.Mesh = []
    for x0, x1 in itertools.pairwise(xs):
        for y0, y1 in itertools.pairwise(ys):
            corners = [(x0, y0), (x0, y1), (x1, y1), (x1, y0)]
            quad = [v + rng.uniform(-30, 30) for corner in corners for v in corner]
            mesh.append(((x0, y0, x1, y1), tuple(quad)))  # type: ignore[arg-type]
    for _ in range(3):  # boxes over cells already drawn: what each does off the picture shows
        x0, y0 = rng.randrange(width - 40), rng.randrange(height - 20)
        box = (x0, y0, x0 + 40, y0 + 20)
        corners = [(box[0], box[1]), (box[0], box[3]), (box[2], box[3]), (box[2], box[1])]
        mesh.append((box, tuple(v + rng.uniform(-60, 60) for corner in corners for v in corner)))  # type: ignore[arg-type]
    ours, pillows = mesh_transform(im, mesh, fill), pillow_mesh(im, mesh, fill)
    assert ours.tobytes() == pillows.tobytes()
    assert ours.info == pillows.info == {"dpi": (72, 72)}


def test_the_warp_moves_pixels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the comparison itself: a warp that drew nothing, or the picture unchanged, fails."""
    im, background = glyphs(7, monkeypatch)
    warped = mesh_transform(im, warp_mesh(im.size, 9.0, 110.0, 3.0, 60.0, 1.0, 2.0), background)
    assert warped.tobytes() != im.tobytes()
    assert len(warped.getcolors(maxcolors=1 << 16) or []) > 2  # glyphs and background, not a blank fill


@pytest.mark.parametrize("mode", ["RGBA", "L", "P"])
def test_other_modes_are_refused(mode: str) -> None:
    with pytest.raises(ValueError, match="RGB"):
        mesh_transform(PIL.Image.new(mode, (16, 16)), [((0, 0, 16, 16), (0, 0, 0, 16, 16, 16, 16, 0))], (0, 0, 0))
