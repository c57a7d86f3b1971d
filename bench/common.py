"""Pieces every benchmark section shares: paths, statistics, subprocess set-up and tables.

Figures are kept both as numbers (for the cost section and the smoke tests) and as rendered
Markdown tables (for the terminal and RESULTS.md), so what is printed is what is checked.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from signin.project import cdk_json

ROOT = Path(__file__).resolve().parent.parent
LAMBDAS = ROOT / "lambdas"
EVENTS = ROOT / "tests" / "events"

# jsii prints an end-of-life banner on every start where it runs on an old Node.js (the machine's,
# where package.json pins none for the platform); it is noise here.
QUIET_JSII = {"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}


def ensure_lambdas_importable() -> None:
    """The handlers import `captcha_auth` as a top-level package, as Lambda does. (Their settings
    come from the environment: bench/run.py puts the template's there.)"""
    if str(LAMBDAS) not in sys.path:
        sys.path.insert(0, str(LAMBDAS))


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100); defined for a single value too."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def cdk_context() -> dict[str, Any]:
    """The context `cdk synth` hands the app: cdk.json's context, bundling skipped.

    The CLI also turns cdk.json's top-level `versionReporting: false` into context, so it is
    mirrored here; an App run by hand would otherwise add the version-reporting resource.
    """
    config = cdk_json()
    context = dict(config["context"])
    if config.get("versionReporting") is False:
        context["aws:cdk:version-reporting"] = False
    context["aws:cdk:bundling-stacks"] = []
    return context


def trigger_settings(template: dict[str, Any]) -> dict[str, str]:
    """The settings the construct gives the triggers, read from the synthesized template (its
    references to the counter's table and key are filled in by the local environment)."""
    settings: dict[str, str] = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Lambda::Function":
            variables = resource["Properties"].get("Environment", {}).get("Variables", {})
            settings.update({k: v for k, v in variables.items() if isinstance(v, str)})
    return settings


def cdk_env(outdir: Path) -> dict[str, str]:
    """Environment for running a CDK app the way the CLI does (context via CDK_CONTEXT_JSON)."""
    return {
        **os.environ,
        **QUIET_JSII,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(cdk_context()),
    }


def timed_run(command: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None) -> tuple[float, str]:
    """Wall time of one command and its combined output. A failing command raises: timing a
    broken synth would publish a meaningless figure."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    output = result.stdout + result.stderr
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}:\n{output[-2000:]}")
    return elapsed, output


def event_text(name: str) -> str:
    """A documented trigger event (tests/events/NAME.json), as text, so each call gets a fresh copy."""
    return (EVENTS / f"{name}.json").read_text()


# ---- formatting -------------------------------------------------------------------------


def fmt_ms(value: float) -> str:
    return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def fmt_s(value: float) -> str:
    return f"{value:.2f}"


def fmt_ratio(value: float) -> str:
    return f"{value:.0f}×" if value >= 100 else f"{value:.1f}×" if value >= 10 else f"{value:.2f}×"


def fmt_bytes(value: float) -> str:
    return f"{value / 1_000_000:.2f} MB" if value >= 100_000 else f"{value / 1000:.1f} kB"


def fmt_usd(value: float) -> str:
    return f"${value:,.2f}"


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    title: str = ""

    def render(self) -> str:
        lines = [f"**{self.title}**", ""] if self.title else []
        lines.append("| " + " | ".join(self.headers) + " |")
        lines.append("|" + "|".join("---" for _ in self.headers) + "|")
        lines.extend("| " + " | ".join(row) + " |" for row in self.rows)
        return "\n".join(lines)


@dataclass
class Section:
    """One numbered item of the benchmark: tables, notes, and the raw figures behind them."""

    title: str
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    available: bool = True

    def render(self) -> str:
        parts = [f"## {self.title}"]
        parts.extend(self.body)
        parts.extend(table.render() for table in self.tables)
        if self.notes:
            parts.append("\n".join(f"- {note}" for note in self.notes))
        return "\n\n".join(parts) + "\n"
