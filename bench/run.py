"""Entry point: `python -m bench [--smoke] [--write] [--sections a,b]`.

Runs each section in the order of the issue, prints its tables as it finishes, and with
--write puts the same text, headed by the date, machine and versions, in bench/RESULTS.md.
Benchmarks report figures; they never fail because a machine is slow.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.common import ROOT, Section, trigger_settings
from bench.cost import cost_section
from bench.deploy import offline_deploy_section
from bench.size import size_section
from bench.synth import suite_section, synth_section, synth_template, whole_suite_section
from bench.triggers import triggers_section
from offline.emulator import path_with_pinned_node
from offline.local_aws import local_trigger_environment

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "RESULTS.md"
STRENGTH_SCRIPT = BENCH_DIR / "captcha_strength.py"
SECTIONS = ("synth", "tests", "whole", "triggers", "size", "cost", "strength", "deploy")
VERSIONED = ("aws-cdk-lib", "constructs", "cdk-nag", "captcha", "pillow", "aws-lambda-powertools", "pytest")


@dataclass(frozen=True)
class Counts:
    """Repetitions per section: full for published figures, smoke to prove the scripts run."""

    synth_reps: int
    suite_reps: int
    whole_reps: int
    warm_calls: int
    create_calls: int
    audio_calls: int
    cold_reps: int
    strength_samples: int | None


FULL = Counts(
    synth_reps=5,
    suite_reps=5,
    whole_reps=3,
    warm_calls=2000,
    create_calls=1000,
    audio_calls=20,
    cold_reps=5,
    strength_samples=None,
)
SMOKE = Counts(
    synth_reps=1,
    suite_reps=1,
    whole_reps=1,
    warm_calls=20,
    create_calls=5,
    audio_calls=2,
    cold_reps=1,
    strength_samples=1,
)


def captcha_strength_section(samples: int | None) -> Section | None:
    """bench/captcha_strength.py, run as it is, when it exists (it is maintained on its own)."""
    if not STRENGTH_SCRIPT.exists():
        return None
    command = [sys.executable, "-m", "bench.captcha_strength"]
    if samples is not None:
        command += ["--samples", str(samples)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    section = Section(title="CAPTCHA strength (bench/captcha_strength.py)")
    section.body = ["```\n" + result.stdout.strip() + "\n```"]
    if result.returncode != 0:
        section.available = False
        section.notes = [f"captcha_strength exited {result.returncode}: {result.stderr.strip()[-500:]}"]
    return section


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.lower().startswith(("model name", "cpu model")):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _node_version() -> str:
    node = os.environ.get("JSII_NODE") or shutil.which("node")
    if not node:
        return "not found"
    return subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout.strip()


def header(mode: str) -> str:
    now = datetime.now(UTC).strftime("%a %b %d %H:%M:%S UTC %Y")  # as `date -u` prints it
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = ", ".join(f"{name} {_version(name)}" for name in VERSIONED)
    return "\n".join(
        [
            "# Benchmarks",
            "",
            f"- Date: {now} ({mode} run: `python -m bench{' --smoke' if mode == 'smoke' else ''}`)",
            f"- Machine: {platform.machine()}, {cpus} CPUs ({_cpu_model()})",
            f"- Python {platform.python_version()}, Node {_node_version()} (jsii)",
            f"- Packages: {versions}",
            "",
            "Absolute times drift on a shared machine; each figure that matters is a ratio to a floor "
            "measured in the same run.",
            "",
        ]
    )


def run_sections(selected: Sequence[str], counts: Counts, emit: Callable[[Section], None]) -> list[Section]:
    sections: list[Section] = []
    template: dict[str, Any] | None = None
    trigger_figures: dict[str, float] | None = None

    def add(section: Section | None) -> None:
        if section is not None:
            sections.append(section)
            emit(section)

    if "synth" in selected:
        synth = synth_section(counts.synth_reps)
        template = synth.extra["template"]
        add(synth)
    if "tests" in selected:
        add(suite_section(counts.suite_reps))
    if "whole" in selected:
        add(whole_suite_section(counts.whole_reps))
    if "triggers" in selected or "cost" in selected:
        template = template if template is not None else synth_template()
        with ExitStack() as stack:
            if "FAILURE_TABLE_NAME" not in os.environ:  # run on its own: Define's counter needs a table
                stack.enter_context(local_trigger_environment(trigger_settings(template)))
            triggers = triggers_section(
                warm_calls=counts.warm_calls,
                create_calls=counts.create_calls,
                audio_calls=counts.audio_calls,
                cold_reps=counts.cold_reps,
            )
        trigger_figures = triggers.figures
        add(triggers)
    if "size" in selected:
        add(size_section(quick_fail=counts is SMOKE))
    if "cost" in selected and trigger_figures is not None:
        add(cost_section(trigger_figures, template if template is not None else synth_template()))
    if "strength" in selected:
        add(captcha_strength_section(counts.strength_samples))
    if "deploy" in selected:
        add(offline_deploy_section())
    return sections


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--smoke", action="store_true", help="tiny counts: checks the scripts run, figures are rough")
    parser.add_argument("--write", action="store_true", help="also write the results to --output")
    parser.add_argument("--output", type=Path, default=RESULTS, help="file for --write (default bench/RESULTS.md)")
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {','.join(SECTIONS)}"
    )
    args = parser.parse_args(argv)
    # As `make bench` runs it: every section's jsii and CDK CLI on the Node.js package.json pins.
    os.environ["PATH"] = path_with_pinned_node(os.environ.get("PATH"))
    selected = [name.strip() for name in args.sections.split(",") if name.strip()]
    unknown = sorted(set(selected) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections: {', '.join(unknown)}")

    mode = "smoke" if args.smoke else "full"
    top = header(mode)
    print(top, flush=True)
    sections = run_sections(selected, SMOKE if args.smoke else FULL, lambda s: print(s.render(), flush=True))
    if args.write:
        kept = attack_results(args.output)
        args.output.write_text(top + "\n" + "\n".join(section.render() for section in sections) + kept)
        print(f"wrote {args.output.name}" + (" (the attack results below it kept)" if kept else ""))
    return 0


# The attack harness's dated results (python -m bench.attack; about an hour of CPU, with torch)
# sit at the end of RESULTS.md under this heading: a benchmark run keeps them as they are.
ATTACKS_HEADING = "\n## CAPTCHA strength: attacks and readers\n"


def attack_results(path: Path) -> str:
    text = path.read_text() if path.is_file() else ""
    start = text.find(ATTACKS_HEADING)
    return text[start:] if start >= 0 else ""
