"""Entry point: `python -m bench.attack image|audio ...`.

    python -m bench.attack image                                # shipped, full run: ~30 CPU-minutes
    python -m bench.attack image --variant shipped --variant X  # several variants
    python -m bench.attack image --attackers tesseract,ctc --minutes 5 --json out.json
    python -m bench.attack image --quick                        # tiny counts: checks the harness runs
    python -m bench.attack audio ...                            # bench/attack/audio_attacks.py

The learned attackers need torch (`make attack-install`, bench/requirements-attack.txt); without
it they are reported as skipped. `audio` hands its arguments, unparsed, to
`bench.attack.audio_attacks.main(argv: list[str]) -> int`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

AUDIO_MODULE = "bench.attack.audio_attacks"


def audio(argv: list[str]) -> int:
    try:
        import bench.attack.audio_attacks as audio_attacks
    except ModuleNotFoundError as error:
        if error.name != AUDIO_MODULE:
            raise
        print("The audio attacks (bench/attack/audio_attacks.py) are not in this checkout.", file=sys.stderr)
        return 2
    status: int = audio_attacks.main(argv)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.attack", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    image_parser = commands.add_parser("image", help="attack the image CAPTCHA variants (image_variants.py)")
    commands.add_parser("audio", help="attack the audio CAPTCHA (its own options: audio --help)", add_help=False)

    from bench.attack import image_attacks

    image_attacks.add_arguments(image_parser)
    args, rest = parser.parse_known_args(argv)
    if args.command == "audio":
        return audio(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return image_attacks.main(args, image_parser)


if __name__ == "__main__":
    sys.exit(main())
