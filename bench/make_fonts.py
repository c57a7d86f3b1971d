"""Make the image CAPTCHA's fonts: three DejaVu bold faces cut down to the characters an answer
can hold (0-9, A-Z), written to lambdas/captcha_auth/fonts/ with their licence.

The whole faces are 1.4 MB; the cuts are a few kilobytes each, so the trigger bundle stays small
and a cold start reads little. Needs the DejaVu fonts (Debian: fonts-dejavu-core, which the
browser tests' Chromium brings) and fontTools, which nothing else needs:

    pip install fonttools==4.68.0
    python -m bench.make_fonts
"""

from __future__ import annotations

import argparse
import string
import sys
from pathlib import Path

from bench.common import LAMBDAS

FONTS_DIR = LAMBDAS / "captcha_auth" / "fonts"
SOURCES = Path("/usr/share/fonts/truetype/dejavu")
FACES = ("DejaVuSans-Bold.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSerif-Bold.ttf")
COPYRIGHT = Path("/usr/share/doc/fonts-dejavu-core/copyright")
CHARACTERS = string.digits + string.ascii_uppercase + " "


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sources", type=Path, default=SOURCES, help="folder holding the DejaVu .ttf files")
    args = parser.parse_args()
    try:
        from fontTools import subset
    except ImportError:
        print("fontTools is missing: pip install fonttools==4.68.0", file=sys.stderr)
        return 1
    FONTS_DIR.mkdir(exist_ok=True)
    options = subset.Options()
    options.name_IDs = ["*"]  # keep the names, which carry the copyright notice
    options.notdef_outline = True
    for face in FACES:
        font = subset.load_font(str(args.sources / face), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=CHARACTERS)
        subsetter.subset(font)
        out = FONTS_DIR / face.replace(".ttf", "-CAPTCHA.ttf")
        subset.save_font(font, str(out), options)
        print(f"{out.relative_to(LAMBDAS.parent)}: {out.stat().st_size:,} bytes")
    (FONTS_DIR / "LICENSE-DejaVu.txt").write_text(COPYRIGHT.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
