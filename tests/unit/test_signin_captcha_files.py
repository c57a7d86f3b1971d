"""The CAPTCHA on the user's machine: what the CLI agrees to decode, the files it writes, and
the preview it draws in the terminal."""

from __future__ import annotations

import base64
import io
import os
import re
import stat
import wave
from pathlib import Path

import pytest
from PIL import Image

from captcha_auth.challenge import audio_data_url, image_data_url
from signin import cli
from signin.cli import TerminalSolver, preview, preview_style, save_captcha
from signin.flow import MAX_MEDIA_BYTES, Captcha, ExitCode, SignInError, check_media, parse_captcha

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def real_png() -> bytes:
    return base64.b64decode(image_data_url("AFHKMRW").split(",", 1)[1])


def encoded(image: Image.Image, image_format: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue()


def captcha(data: bytes, captcha_format: str = "image", attempt: int = 1) -> Captcha:
    media_type = "audio/wav" if captcha_format == "audio" else "image/png"
    return Captcha(captcha_format, media_type, data, attempt=attempt, max_attempts=3, attempts_left=3 - attempt)


# --- what is decoded ---------------------------------------------------------------------------


def test_the_triggers_own_image_and_audio_pass() -> None:
    for url, captcha_format in ((image_data_url("AFHKMR"), "image"), (audio_data_url("AFHKMR"), "audio")):
        parameters = {"captchaFormat": captcha_format, "captchaUrl": url}
        assert parse_captcha(parameters | {"attempt": "1", "maxAttempts": "3", "attemptsLeft": "3"}).data


def noise_png(size: tuple[int, int]) -> bytes:
    return encoded(Image.frombytes("L", size, os.urandom(size[0] * size[1])), "PNG")  # incompressible


@pytest.mark.parametrize(
    ("captcha_format", "data"),
    [
        ("image", encoded(Image.new("RGB", (160, 60), "white"), "GIF")),
        ("image", encoded(Image.new("RGB", (160, 60), "white"), "JPEG")),
        ("image", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        ("image", real_png()[: len(real_png()) // 2]),  # truncated
        ("image", encoded(Image.new("1", (2000, 1000)), "PNG")),  # 2 megapixels in a few hundred bytes
        ("image", noise_png((600, 400))),  # a real PNG over the byte cap
        ("audio", b"RIFF\x00\x00\x00\x00WAVEnot really"),
        ("audio", real_png()),
    ],
    ids=["gif", "jpeg", "svg", "truncated-png", "pixel-bomb", "too-many-bytes", "broken-wav", "png-as-audio"],
)
def test_anything_but_a_small_png_or_wav_is_refused(captcha_format: str, data: bytes) -> None:
    with pytest.raises(SignInError) as refused:
        check_media(captcha_format, data)
    assert refused.value.code == ExitCode.TRIGGER_FAILED
    assert "\n" not in str(refused.value)


def test_the_byte_cap_holds_before_decoding_base64() -> None:
    too_long = "data:image/png;base64," + "A" * (MAX_MEDIA_BYTES * 2)
    with pytest.raises(SignInError) as refused:
        parse_captcha({"captchaUrl": too_long, "attempt": "1", "maxAttempts": "3", "attemptsLeft": "3"})
    assert refused.value.code == ExitCode.TRIGGER_FAILED


def test_a_wav_with_missing_frames_is_refused() -> None:
    sound = base64.b64decode(audio_data_url("AFHKMR").split(",", 1)[1])
    with wave.open(io.BytesIO(sound)) as whole:
        assert whole.getnframes() > 100
    with pytest.raises(SignInError):
        check_media("audio", sound[:-100])


# --- the files ---------------------------------------------------------------------------------


def test_each_captcha_gets_a_new_private_file(tmp_path: Path) -> None:
    first, second = save_captcha(tmp_path, captcha(b"one")), save_captcha(tmp_path, captcha(b"two"))
    assert first != second and first.name.startswith("captcha-1-") and first.suffix == ".png"
    assert (first.read_bytes(), second.read_bytes()) == (b"one", b"two")
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert save_captcha(tmp_path, captcha(b"RIFF", "audio", attempt=2)).name.startswith("captcha-2-")


@pytest.mark.parametrize("dangling", [False, True])
def test_a_link_planted_at_the_name_is_never_followed(tmp_path: Path, monkeypatch, dangling: bool) -> None:
    """Someone who can write to a shared --captcha-dir and guesses the next name gets nothing:
    the link is left alone (its target neither written nor created) and another name is used."""
    names = iter(["planted", "fresh"])
    monkeypatch.setattr(cli.secrets, "token_hex", lambda _: next(names))
    target = tmp_path / "victim.txt"
    if not dangling:
        target.write_text("untouched")
    directory = tmp_path / "captchas"
    directory.mkdir()
    (directory / "captcha-1-planted.png").symlink_to(target)

    path = save_captcha(directory, captcha(b"image"))

    assert path == directory / "captcha-1-fresh.png" and path.read_bytes() == b"image"
    assert (directory / "captcha-1-planted.png").is_symlink()
    assert target.read_text() == "untouched" if not dangling else not target.exists()


def test_a_captcha_file_that_cannot_be_written_is_exit_2(tmp_path: Path) -> None:
    """Exit 2, as for --captcha-dir and --tokens-file; it was 8, "configuration or network"."""
    gone = tmp_path / "removed-during-the-sign-in"
    with pytest.raises(SignInError) as refused:
        TerminalSolver(gone, show_preview=False)(captcha(real_png()))
    assert refused.value.code == ExitCode.USAGE
    assert str(refused.value) == f"Could not write the CAPTCHA in {gone} (FileNotFoundError)."
    assert not gone.exists()


def test_the_solver_prints_the_full_path_and_a_sized_colour_preview(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cli, "preview_style", lambda stream: "colour")
    # (shutil is the module everyone shares: pytest's own reporter calls it, with a fallback)
    monkeypatch.setattr(cli.shutil, "get_terminal_size", lambda fallback=None: os.terminal_size((51, 24)))
    monkeypatch.setattr("builtins.input", lambda prompt="": "ANSWER")
    (tmp_path / "relative").mkdir()

    assert TerminalSolver(Path("relative"), show_preview=True)(captcha(real_png())) == "ANSWER"

    err = capsys.readouterr().err
    (saved,) = (tmp_path / "relative").iterdir()
    assert f"  {saved}\n" in err  # absolute, on a line of its own
    drawing = [line for line in err.splitlines() if "\x1b[" in line]
    assert drawing and all(len(ANSI.sub("", line)) == 50 for line in drawing)


def test_no_preview_when_asked_not_to(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(cli, "preview_style", lambda stream: "colour")
    monkeypatch.setattr("builtins.input", lambda prompt="": "x")
    TerminalSolver(tmp_path, show_preview=False)(captcha(real_png()))
    assert "\x1b[" not in capsys.readouterr().err


# --- the preview -------------------------------------------------------------------------------


def striped_png(width: int = 40, height: int = 20) -> bytes:
    """Even pixel rows red, odd rows blue: each text cell is red above blue."""
    image = Image.new("RGB", (width, height))
    for y in range(height):
        for x in range(width):
            image.putpixel((x, y), (255, 0, 0) if y % 2 == 0 else (0, 0, 255))
    return encoded(image, "PNG")


def test_colour_preview_uses_the_images_colours_two_pixels_a_cell() -> None:
    lines = preview(striped_png(), 200).splitlines()
    assert len(lines) == 10  # 20 pixel rows, two a line
    assert all(len(ANSI.sub("", line)) == 40 for line in lines)  # never wider than the image
    assert all(set(ANSI.sub("", line)) == {"▀"} for line in lines)
    assert all(line.startswith("\x1b[38;2;255;0;0m\x1b[48;2;0;0;255m") for line in lines)  # red over blue
    assert all(line.endswith("\x1b[0m") for line in lines)  # the terminal's colours restored


def test_preview_fits_the_width_it_is_given() -> None:
    lines = preview(real_png(), 80).splitlines()  # a 320 x 90 image
    assert len(lines) == 11 and all(len(ANSI.sub("", line)) == 80 for line in lines)
    colours = set(re.findall(r"38;2;(\d+;\d+;\d+)", preview(real_png(), 80)))
    assert len(colours) > 10  # the picture's own colours, not a two-tone approximation


def test_plain_preview_is_blocks_without_escape_codes() -> None:
    drawing = preview(real_png(), 80, colour=False)
    assert "\x1b" not in drawing
    assert set(drawing) <= set(" ▀▄█\n") and {"▀", "▄", "█"} & set(drawing)
    assert all(len(line) == 80 for line in drawing.splitlines())


def test_plain_preview_draws_the_ink_whichever_the_background() -> None:
    dark_on_light = Image.new("L", (40, 20), 255)
    dark_on_light.paste(0, (10, 4, 20, 16))
    light_on_dark = Image.new("L", (40, 20), 0)
    light_on_dark.paste(255, (10, 4, 20, 16))
    for image in (dark_on_light, light_on_dark):
        drawing = preview(encoded(image, "PNG"), 40, colour=False)
        assert drawing.count("█") == 10 * 6  # the 10 x 12 pixel mark, and nothing else


class Stream(io.StringIO):
    def __init__(self, tty: bool, encoding: str = "utf-8") -> None:
        super().__init__()
        self.tty, self._encoding = tty, encoding

    def isatty(self) -> bool:
        return self.tty

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding


@pytest.mark.parametrize(
    ("stream", "environment", "expected"),
    [
        (Stream(tty=True), {"TERM": "xterm-256color"}, "colour"),
        (Stream(tty=True), {"TERM": "xterm-256color", "NO_COLOR": "1"}, "plain"),
        (Stream(tty=True), {"TERM": "xterm-256color", "NO_COLOR": ""}, "colour"),  # empty: not set
        (Stream(tty=True), {"TERM": "dumb"}, "plain"),
        (Stream(tty=True), {}, "plain"),
        (Stream(tty=False), {"TERM": "xterm-256color"}, None),  # piped or redirected
        (Stream(tty=True, encoding="ascii"), {"TERM": "xterm-256color"}, None),  # can't print blocks
    ],
    ids=["colour", "no-color", "no-color-empty", "dumb", "no-term", "not-a-tty", "ascii"],
)
def test_preview_style_follows_the_terminal(monkeypatch, stream: Stream, environment: dict, expected) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    assert preview_style(stream) == expected
