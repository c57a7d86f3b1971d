"""Smoke run of the attack harness (`python -m bench.attack image --quick`), so it does not rot.

It checks the shape of what is reported: one row per attacker, percentages in range, the sample
counts asked for, and every attacker with either a figure or an explicit reason it was skipped.
How well anything reads is never judged: with a few hundred samples and one epoch any rate is
noise. torch and tesseract are optional (CI has neither, or only tesseract); with torch installed
the learned attackers must actually train.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.attack.image_attacks import ATTACKERS, QUICK, TORCH_MISSING
from bench.attack.tesseract import ATTACK_PIPELINES, tesseract_status
from bench.common import ROOT

HAS_TORCH = importlib.util.find_spec("torch") is not None
LEARNED = ("cnn", "ctc")
# Runs the CLI in a fresh interpreter where `import torch` fails, installed or not.
WITHOUT_TORCH = "import runpy, sys; sys.modules['torch'] = None; runpy.run_module('bench.attack', run_name='__main__')"


def attack(tmp_path: Path, *args: str, without_torch: bool = False) -> tuple[dict[str, Any], str]:
    output = tmp_path / "attack.json"
    entry = ["-c", WITHOUT_TORCH] if without_torch else ["-m", "bench.attack"]
    command = [sys.executable, *entry, "image", "--quick", "--json", str(output), *args]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(output.read_text()), result.stdout


def check_row(row: dict[str, Any]) -> None:
    """A figure or a skip, never neither; figures in range; counts as asked."""
    assert row["variant"] == "shipped"
    if row["skipped"] is not None:
        assert row["skipped"].startswith("skipped: ") and row["success"] is None and row["chars"] is None, row
        assert row["train_samples"] == row["eval_samples"] == row["epochs"] == 0 and not row["curve"], row
        return
    assert row["eval_samples"] == QUICK.eval
    assert 0 <= row["success"] <= 100 and 0 <= row["chars"] <= 100, row
    assert row["chars"] >= row["success"] - 1e-9, row  # a whole answer right is every character right
    if row["attacker"] in LEARNED:
        assert row["train_samples"] == QUICK.train
        assert row["epochs"] == QUICK.max_epochs == len(row["curve"])
        assert row["train_seconds"] > 0 and row["train_cpu_seconds"] >= 0
        last = row["curve"][-1]
        assert (last["success"], last["chars"]) == (row["success"], row["chars"])
    else:
        assert row["train_samples"] == 0 and not row["curve"]


def test_quick_run_reports_every_attacker(tmp_path: Path) -> None:
    document, stdout = attack(tmp_path)
    rows = document["results"]
    assert [row["attacker"] for row in rows] == list(ATTACKERS)
    for row in rows:
        check_row(row)
        assert f"| shipped | {row['attacker']} |" in stdout  # the Markdown table has its row

    by_attacker = {row["attacker"]: row for row in rows}
    for name in LEARNED:
        skipped = by_attacker[name]["skipped"]
        assert skipped is None if HAS_TORCH else skipped == TORCH_MISSING, by_attacker[name]
    tesseract = by_attacker["tesseract"]
    _, reason = tesseract_status()
    if reason is None:
        assert tesseract["skipped"] is None
        assert any(pipeline.name in tesseract["note"] for pipeline in ATTACK_PIPELINES)
        assert set(tesseract["extra"]["pipelines"]) == {pipeline.name for pipeline in ATTACK_PIPELINES}
    else:
        assert reason in tesseract["skipped"]
    assert document["settings"]["train"] == QUICK.train and document["settings"]["eval"] == QUICK.eval


def test_learned_attackers_are_skipped_without_torch(tmp_path: Path) -> None:
    document, stdout = attack(tmp_path, "--attackers", "cnn,ctc", without_torch=True)
    assert [row["skipped"] for row in document["results"]] == [TORCH_MISSING, TORCH_MISSING]
    for row in document["results"]:
        check_row(row)
    assert TORCH_MISSING in stdout


def test_harness_imports_without_torch() -> None:
    code = (
        "import sys; import bench.attack.__main__, bench.attack.image_attacks, bench.attack.tesseract; "
        "sys.exit('torch' in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


@pytest.mark.parametrize("args", [["--attackers", "tesseract,nope"], ["--variant", "no-such-variant"]])
def test_bad_arguments_are_refused(args: list[str]) -> None:
    command = [sys.executable, "-m", "bench.attack", "image", "--quick", *args]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "error:" in result.stderr
