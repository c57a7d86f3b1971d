"""The attack section of bench/RESULTS.md, from the harness's --json files and the readings.

    python -m bench.attack.report --image run1.json [--image run2.json ...] --audio audio.json ... [--write]

Each figure comes from a file written by `python -m bench.attack image|audio --json`; people's
readings from bench/attack/readings/<variant>.tsv (image number, answer, what the reader typed,
read first time by someone who never saw the answers). With --write the section replaces the one
at the end of bench/RESULTS.md (a benchmark run keeps it: bench/run.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bench.common import ROOT
from bench.run import ATTACKS_HEADING, RESULTS

READINGS = Path(__file__).resolve().parent / "readings"
# The shipped design was read in its trial under its candidate's name.
READ_AS = {"shipped": "hollow5-noise"}


def readings(variant: str) -> tuple[int, int, float] | None:
    """(read right, images, character accuracy) of a variant's reading trial, if it had one."""
    path = READINGS / f"{READ_AS.get(variant, variant)}.tsv"
    if not path.is_file():
        return None
    rows = [line.split("\t") for line in path.read_text().splitlines() if line.strip()]
    right = sum(answer.strip() == read.strip().upper() for _, answer, read in rows)
    chars = sum(
        sum(a == r for a, r in zip(answer.strip(), read.strip().upper(), strict=False)) for _, answer, read in rows
    )
    return right, len(rows), chars / sum(len(answer.strip()) for _, answer, _ in rows)


def _variant_meta(name: str) -> dict[str, Any]:
    from bench.attack.image_variants import VARIANTS

    variant = VARIANTS.get(name)
    return {"alphabet": variant.alphabet, "length": variant.length} if variant else {}


def _described(values: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value}" for key, value in values.items())


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def image_rows(runs: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The comparison table (one row per variant and training set) and the learning curves."""
    table, curves = [], []
    best: dict[tuple[str, str, str], dict[str, Any]] = {}
    meta: dict[str, dict[str, Any]] = {}
    for run in runs:
        meta.update({name: info for name, info in run.get("variants", {}).items() if info.get("alphabet")})
        for result in run["results"]:
            trained_on = result.get("extra", {}).get("trained_on", result["variant"])
            key = (result["variant"], trained_on, result["attacker"])
            if result.get("skipped") is None and (key not in best or result["epochs"] > best[key]["epochs"]):
                best[key] = result
    variants = sorted({k[0] for k in best}, key=lambda v: (v != "v1", v))
    for variant in variants:
        for trained_on in sorted({k[1] for k in best if k[0] == variant}, key=lambda t: t != variant):
            found = {k[2]: r for k, r in best.items() if k[0] == variant and k[1] == trained_on}
            ctc = found.get("ctc")
            first = ctc["curve"][0]["success"] if ctc and ctc.get("curve") else None
            last = (
                f"{ctc['success']:.1f} ({ctc['epochs']} ep, {ctc['train_cpu_seconds'] / 60:.1f} CPU-min)"
                if ctc
                else "–"
            )
            read = readings(variant) if trained_on == variant else None
            info = meta.get(variant) or _variant_meta(variant)
            table.append(
                f"| {variant} | {info.get('alphabet', '')} × {info.get('length', '')} | "
                f"{f'{read[0]}/{read[1]} ({100 * read[0] / read[1]:.0f} %)' if read else '–'} | "
                f"{_pct(found['tesseract']['success']) if 'tesseract' in found else '–'} | "
                f"{_pct(found['cnn']['success']) if 'cnn' in found else '–'} | {_pct(first)} | {last} | "
                f"{trained_on if trained_on != variant else 'itself'} |"
            )
            for name, result in found.items():
                for point in result.get("curve", []):
                    curves.append(
                        f"| {variant} | {trained_on} | {name} | {point['epoch']} | "
                        f"{point['train_cpu_seconds'] / 60:.1f} | {point['success']:.1f} | {point['chars']:.1f} |"
                    )
    return table, curves


def section(image_runs: list[dict[str, Any]], audio_runs: list[dict[str, Any]], notes: list[str] | None = None) -> str:
    dates = sorted({run["date"][:10] for run in image_runs})
    settings = image_runs[-1]["settings"] if image_runs else {}
    lines = [
        ATTACKS_HEADING.strip("\n"),
        "",
        f"- Date: {', '.join(dates)}; machine: {_described(image_runs[-1]['machine']) if image_runs else '?'}; "
        f"{_described(image_runs[-1]['versions']) if image_runs else ''}",
        f"- Every learned attacker trained on {settings.get('train', '?'):,} CAPTCHAs generated with this "
        f"repository's own code and scored on {settings.get('eval', '?')} fresh ones (whole answers); CPU only, "
        f"one thread; model input {settings.get('model_input', '?')}.",
        "- Readers: one person per variant, who never saw the answers, typed each of 30 fresh images on the "
        "first try; every reading is in bench/attack/readings/.",
        *(f"- {note}" for note in notes or []),
        "",
        "**Image: people's first-try reading against each attacker** (%, whole answers)",
        "",
        "| variant | alphabet × length | readers | Tesseract | per-position CNN | CNN + CTC, 1 epoch "
        "| CNN + CTC, longest run | attacker trained on |",
        "|---|---|---|---|---|---|---|---|",
    ]
    table, curves = image_rows(image_runs)
    lines += table
    lines += [
        "",
        "**Learning curves** (evaluation after each epoch)",
        "",
        "| variant | trained on | attacker | epoch | CPU-min | whole % | characters % |",
        "|---|---|---|---|---|---|---|",
        *curves,
        "",
        "**Audio** (whole answers, %)",
        "",
        "| attacker | renderer | alphabet × length | whole % | characters % | scored | trained on |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in audio_runs:
        for row in run["rows"]:
            if row["status"] != "ok":
                continue
            lines.append(
                f"| {row['attack']} | {row['renderer']} | {run['alphabet']} × {run['length']} | "
                f"{row['whole_pct']:.1f} | {row['char_pct']:.1f} | {row['eval_samples']} | "
                f"{row['train_samples'] or '–'} |"
            )
    levels = next((run["shipped_levels"] for run in reversed(audio_runs) if run.get("shipped_levels")), None)
    if levels:
        lines += [
            "",
            f"- Shipped audio: target-to-babble {levels['target_to_babble_db_median']} dB median "
            f"(min {levels['target_to_babble_db_min']}; "
            f"the earlier renderer {levels['v1_target_to_babble_db_median']} dB), "
            f"render {levels['render_ms_median']} ms median CPU, data URL at most "
            f"{levels['data_url_chars_bound']:,} characters, voices {levels['voice_bytes']:,} bytes.",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", action="append", default=[], type=Path, help="an image run's --json file")
    parser.add_argument("--audio", action="append", default=[], type=Path, help="an audio run's --json file")
    parser.add_argument("--note", action="append", default=[], help="a line about these runs (repeatable)")
    parser.add_argument("--write", action="store_true", help="replace the section at the end of bench/RESULTS.md")
    args = parser.parse_args(argv)
    image_runs = [json.loads(p.read_text()) for p in args.image]
    text = section(image_runs, [json.loads(p.read_text()) for p in args.audio], args.note)
    print(text)
    if args.write:
        current = RESULTS.read_text()
        start = current.find(ATTACKS_HEADING)
        RESULTS.write_text((current[:start] if start >= 0 else current.rstrip("\n") + "\n") + "\n" + text)
        print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
