"""Smoke runs of the benchmark sections that need no shared fixture, and of its entry point: each
is a unit of work of its own for the test workers (tests/conftest.py), so they run side by side.
How fast anything is, is never judged: a slow machine must not fail the suite.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.common import ROOT
from bench.run import SMOKE, STRENGTH_SCRIPT, captcha_strength_section
from bench.size import size_section
from bench.synth import REAPER, suite_section, whole_suite_section
from bench.triggers import DEFINE, _handler
from offline.lambda_context import LocalLambdaContext
from tests.bench.tables import all_positive, row

# The offline suite takes ~40 s by itself; the smoke run times one small test file against the
# floor instead, in one process, which exercises the same code path.
SMOKE_SUITE = ("tests/unit/test_verify_auth_challenge.py", "-n", "0")


def test_suite_reports_ours_floor_and_ratio() -> None:
    section = suite_section(SMOKE.suite_reps, suite=SMOKE_SUITE)
    text = section.render()
    assert all_positive(row(text, "ours ("), 4)
    assert all_positive(row(text, "floor (empty stack"), 4)
    assert all_positive(row(text, "ratio ours/floor"), 1)
    assert all_positive(row(text, "ours, start-up and collection only"), 4)
    assert all_positive(row(text, "ratio start-up only/floor"), 1)
    assert re.search(r"\| ours, start-up and collection only [^|]+\| \d+ deselected \|", text)
    assert re.search(r"\| ours \(`pytest [^|]+`\) \| \d+ passed", text)
    assert "| 1 passed |" in text  # the floor's single test


def test_whole_suite_reports_make_tests_time_cpu_and_target() -> None:
    """On a small file, not the whole suite again: the same two commands and figures."""
    section = whole_suite_section(SMOKE.whole_reps, suite=SMOKE_SUITE)
    text = section.render()
    assert all_positive(row(text, "`node --test` (web/)"), 5)  # median, min, max, CPU, runs
    assert re.search(r"\| page: \d+ passed; pytest: \d+ passed \|", text)
    assert "| target |  | ≤ 100 |" in text
    assert section.figures["whole.cpu_median_s"] > 0


def test_size_reports_bundle_and_handler() -> None:
    section = size_section(quick_fail=True)
    if section.extra.get("registry_unreachable"):
        pytest.skip(section.notes[0])
    text = section.render()
    files, unzipped, zipped = row(text, "whole asset")
    assert files > 0 and 0 < zipped < unzipped
    files, unzipped, zipped = row(text, "handler code")
    assert files > 0 and 0 < zipped < unzipped
    top = text.split("Top 5 packages")[1]
    # up to five: the bundle holds pillow, captcha and the handler code
    assert 3 <= len([line for line in top.splitlines() if line.startswith("| ") and "package" not in line]) <= 5
    assert "pillow" in top.lower()


def test_captcha_strength_runs_when_present() -> None:
    section = captcha_strength_section(SMOKE.strength_samples)
    if STRENGTH_SCRIPT.exists():
        assert section is not None and section.available, section and section.notes
    else:
        assert section is None


def test_entry_point_prints_and_writes_results(tmp_path: Path) -> None:
    """It rewrites the file but keeps the attack harness's results at its end."""
    from bench.run import ATTACKS_HEADING

    output = tmp_path / "RESULTS.md"
    attacks = ATTACKS_HEADING + "\n| attacker | whole answer % |\n|---|---|\n| ctc | 12.3 |\n"
    output.write_text("# Benchmarks\n\nan earlier run's figures\n" + attacks)
    command = [sys.executable, "-m", "bench", "--smoke", "--sections", "deploy", "--write", "--output", str(output)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    deploy_seconds = re.search(r"\| cdk deploy \(with bundling\) \| ([0-9.]+) \|", result.stdout)
    sign_in_seconds = re.search(r"\| one sign-in \(warm triggers\) \| ([0-9.]+) \|", result.stdout)
    assert deploy_seconds and float(deploy_seconds.group(1)) > 0, result.stdout
    assert sign_in_seconds and float(sign_in_seconds.group(1)) > 0, result.stdout
    written = output.read_text()
    for expected in ("UTC", "Machine:", "CPUs", "Python 3.", "aws-cdk-lib ", "captcha ", "pillow ", "powertools "):
        assert expected in written, expected
    assert "5. Offline deploy" in written
    assert "an earlier run's figures" not in written and written.endswith(attacks)


def test_entry_point_rejects_unknown_sections() -> None:
    result: Any = subprocess.run(
        [sys.executable, "-m", "bench", "--sections", "nope"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 2 and "unknown sections" in result.stderr


def test_the_make_test_runs_cpu_counts_processes_that_outlive_their_parent() -> None:
    """A grandchild that burns CPU after its parent exited (as the emulator's Lambda workers
    do, stopped with its process group) is reaped by REAPER, so its time reaches this process."""
    if not sys.platform.startswith("linux"):
        pytest.skip("no subreaper outside Linux")
    burn = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    time.sleep(0.2)  # its parent has exited by now\n"
        "    start = time.process_time()\n"
        "    while time.process_time() - start < 0.5:\n"
        "        pass\n"
        "    os._exit(0)\n"
        "os._exit(3)\n"
    )
    for wrapper, counted in (([sys.executable, "-c", REAPER], True), ([], False)):
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        before = usage.ru_utime + usage.ru_stime
        code = subprocess.run([*wrapper, sys.executable, "-c", burn], check=False).returncode
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        assert code == 3  # the command's own exit code
        assert ((usage.ru_utime + usage.ru_stime - before) >= 0.5) == counted, wrapper


def test_defines_fixture_is_a_new_persons_sign_in_each_time() -> None:
    """The cold starts time Define's fixture more times than the lockout's threshold: one user
    throughout was a bot's run of failures (two requests, then a lock write), then refused."""
    handler = _handler(DEFINE)
    for _ in range(int(os.environ["LOCKOUT_AFTER_FAILURES"]) + 1):
        assert DEFINE.check(handler(json.loads(DEFINE.event_json()), LocalLambdaContext()))
