"""Item 1: what a developer waits for — `python app.py` and the offline test suite — each
against its floor (an empty stack with the same aws-cdk-lib), alternated in one run so
machine drift hits both sides alike."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common import QUIET_JSII, ROOT, Section, Table, cdk_env, fmt_ratio, fmt_s, median, timed_run
from signin.project import stack_name

OUR_STACK = stack_name()
# cdk.json turns on @aws-cdk/core:validateAgainstDefaultRules, which refuses a template with no
# resources; the floor acknowledges that one finding so it stays an empty stack under the same
# context.
EMPTY_APP = """\
import aws_cdk as cdk

app = cdk.App()
stack = cdk.Stack(app, "Empty")
cdk.Validations.of(stack).acknowledge(
    cdk.Acknowledgment(id="CloudFormation-Validate::F0001", reason="the benchmark floor is empty on purpose")
)
app.synth()
"""
# The least a stack of our constructs can cost: the floor's empty stack after importing what
# app.py imports (aws-cdk-lib's modules for the construct, cdk-nag, stacks/), building none of it.
# It runs from a folder of its own, with the project on PYTHONPATH, and checks that the app it
# imported is the project's (a script's own folder comes first on sys.path).
IMPORTS_APP = (
    """\
import sys

import app  # app.py's imports; its main() is not called

if not {"cdk_nag", "stacks.captcha_auth"} <= set(sys.modules):
    sys.exit(f"imported {app.__file__}, not the project's app.py")
"""
    + EMPTY_APP
)
# What `cdk init app --language python` ships as its test, made to run: synthesize the empty
# stack into an assertions Template.
EMPTY_TEST = """\
import aws_cdk as cdk
from aws_cdk.assertions import Template


def test_empty_stack_synthesizes():
    app = cdk.App()
    stack = cdk.Stack(app, "Empty")
    Template.from_stack(stack).resource_count_is("AWS::SNS::Topic", 0)
"""
# The suite a developer runs offline. End-to-end tests (tests/e2e) need an emulator and are
# excluded; tests/bench is this suite's own smoke test.
OFFLINE_SUITE = ("tests/infra", "tests/unit")
PYTEST_FLAGS = ("-q", "-p", "no:cacheprovider")
# Start-up and collection only: the same run with every test deselected by a name none has.
# pytest then exits 5 ("no tests ran") after starting its workers and collecting every test.
NO_TEST_SELECTED = ("-k", "no_test_has_this_name")
# What `make test` runs: the page's unit tests (web/package.json's test script), then pytest
# without the benchmark harness's smoke runs (those are `make bench-test`).
WHOLE_SUITE = ("--ignore=tests/bench",)
WHOLE_SUITE_TARGET_S = 100.0
_REAPER_ELAPSED = re.compile(r"^reaper: the command took ([\d.]+) s$", re.MULTILINE)
_NODE_TEST_COUNT = re.compile(r"^(?:ℹ|#) (pass|fail) (\d+)$", re.MULTILINE)  # spec or TAP reporter


def _synth_once(app_dir: Path, stack: str, script: str = "app.py") -> tuple[float, dict[str, Any]]:
    """One fresh `python SCRIPT` in APP_DIR; a script other than app.py imports this project's."""
    with tempfile.TemporaryDirectory(prefix="bench-synth-") as out:
        env = cdk_env(Path(out))
        if script != "app.py":
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        elapsed, _ = timed_run([sys.executable, script], cwd=app_dir, env=env)
        template = json.loads((Path(out) / f"{stack}.template.json").read_text())
    return elapsed, template


def _timing_row(label: str, second: str, times: Sequence[float]) -> list[str]:
    """A table row: its label, one cell of its own, then median, min, max and the run count."""
    return [label, second, fmt_s(median(times)), fmt_s(min(times)), fmt_s(max(times)), str(len(times))]


def synth_template() -> dict[str, Any]:
    """Our synthesized template, for sections that need the configured functions."""
    return _synth_once(ROOT, OUR_STACK)[1]


def synth_section(reps: int) -> Section:
    ours: list[float] = []
    imports: list[float] = []
    floor: list[float] = []
    template: dict[str, Any] = {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-empty-app-") as empty,
        tempfile.TemporaryDirectory(prefix="bench-imports-app-") as importing,
    ):
        (Path(empty) / "app.py").write_text(EMPTY_APP)
        (Path(importing) / "imports_only.py").write_text(IMPORTS_APP)
        for _ in range(reps):
            elapsed, template = _synth_once(ROOT, OUR_STACK)
            ours.append(elapsed)
            imports.append(_synth_once(Path(importing), "Empty", script="imports_only.py")[0])
            floor.append(_synth_once(Path(empty), "Empty")[0])
    resources = len(template.get("Resources", {}))
    section = Section(title="1a. Synth: `python app.py` vs an empty-stack app")
    section.figures = {
        "synth.ours_median_s": median(ours),
        "synth.imports_median_s": median(imports),
        "synth.floor_median_s": median(floor),
        "synth.ratio": median(ours) / median(floor),
        "synth.imports_ratio": median(imports) / median(floor),
        "synth.reps": reps,
        "synth.resources": resources,
    }
    section.tables.append(
        Table(
            headers=["app", "resources", "median s", "min s", "max s", "runs"],
            rows=[
                _timing_row(f"ours ({OUR_STACK})", str(resources), ours),
                _timing_row("floor + app.py's imports (empty stack)", "0", imports),
                _timing_row("floor (empty stack)", "0", floor),
                ["ratio ours/floor", "", fmt_ratio(median(ours) / median(floor)), "", "", ""],
                ["ratio imports only/floor", "", fmt_ratio(median(imports) / median(floor)), "", "", ""],
            ],
        )
    )
    section.notes = [
        "Each run is a fresh `python app.py` with cdk.json's context passed in CDK_CONTEXT_JSON, "
        "as the CDK CLI does; runs alternate ours, imports only, floor.",
        "\"floor + app.py's imports\" is the floor's empty stack after `import app`: the aws-cdk-lib "
        "modules our constructs live in, cdk-nag and stacks/, with nothing built. No app that builds "
        "these constructs and runs cdk-nag synthesizes faster, so its ratio is the least this design can reach.",
        "Asset bundling is excluded (`aws:cdk:bundling-stacks: []`); it is measured in item 3. "
        "The cdk-nag checks run, as they do in `cdk synth`.",
    ]
    section.extra["template"] = template
    return section


_SUMMARY = re.compile(r"^(?:=+ )?(?P<summary>(?:\d+ \w+(?:, )?)+) in [\d.]+s", re.MULTILINE)


def _pytest_summary(output: str) -> str:
    found = _SUMMARY.findall(output)
    return found[-1] if found else "no summary"


def _pytest_once(
    args: Sequence[str],
    cwd: Path,
    *,
    selects_none: bool = False,
    flags: Sequence[str] = PYTEST_FLAGS,
    reaper: bool = False,
) -> tuple[float, str]:
    """A test run that fails still took its time; its summary is reported, not raised. With
    `reaper`, run under REAPER, so every process it starts is waited for."""
    env = {**os.environ, **QUIET_JSII}
    env.pop("PYTEST_ADDOPTS", None)
    wrapper = [sys.executable, "-c", REAPER] if reaper else []
    start = time.perf_counter()
    result = subprocess.run(
        [*wrapper, sys.executable, "-m", "pytest", *args, *flags],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if reaper:  # the command's own time, as its caller (make) waits for it
        elapsed = float(_REAPER_ELAPSED.findall(result.stderr)[-1])
    summary = _pytest_summary(result.stdout)
    if selects_none:
        if result.returncode != 5:  # 5 = no tests ran, as asked
            raise RuntimeError(f"pytest exited {result.returncode}:\n{(result.stdout + result.stderr)[-2000:]}")
        return elapsed, "none run" if summary == "no summary" else summary  # xdist's controller prints none
    if result.returncode not in (0, 1):  # 1 = some tests failed; anything else = no run
        raise RuntimeError(f"pytest exited {result.returncode}:\n{(result.stdout + result.stderr)[-2000:]}")
    return elapsed, summary


def suite_section(reps: int, suite: Sequence[str] = OFFLINE_SUITE) -> Section:
    ours: list[float] = []
    start_up: list[float] = []
    floor: list[float] = []
    ours_summary = start_up_summary = floor_summary = ""
    with tempfile.TemporaryDirectory(prefix="bench-empty-suite-") as empty:
        # Its own pytest.ini pins the root, so the project's configuration does not apply.
        (Path(empty) / "pytest.ini").write_text("[pytest]\n")
        (Path(empty) / "test_empty_stack.py").write_text(EMPTY_TEST)
        for _ in range(reps):
            elapsed, ours_summary = _pytest_once(suite, ROOT)
            ours.append(elapsed)
            elapsed, start_up_summary = _pytest_once([*suite, *NO_TEST_SELECTED], ROOT, selects_none=True)
            start_up.append(elapsed)
            elapsed, floor_summary = _pytest_once([], Path(empty))
            floor.append(elapsed)
    section = Section(title="1b. Tests: offline suite vs a one-test empty-stack suite")
    section.figures = {
        "tests.ours_median_s": median(ours),
        "tests.start_up_median_s": median(start_up),
        "tests.floor_median_s": median(floor),
        "tests.ratio": median(ours) / median(floor),
        "tests.start_up_ratio": median(start_up) / median(floor),
        "tests.reps": reps,
    }
    command = "pytest " + " ".join(suite)
    section.tables.append(
        Table(
            headers=["suite", "result", "median s", "min s", "max s", "runs"],
            rows=[
                _timing_row(f"ours (`{command}`)", ours_summary, ours),
                _timing_row("ours, start-up and collection only (every test deselected)", start_up_summary, start_up),
                _timing_row("floor (empty stack, `cdk init`)", floor_summary, floor),
                ["ratio ours/floor", "", fmt_ratio(median(ours) / median(floor)), "", "", ""],
                ["ratio start-up only/floor", "", fmt_ratio(median(start_up) / median(floor)), "", "", ""],
            ],
        )
    )
    section.notes = [
        "Wall time of `python -m pytest … -q -p no:cacheprovider` in a fresh process; runs alternate "
        "ours, start-up only, floor. "
        "Failing tests are reported in the result column, not hidden: the time is still what a developer waits.",
        "Ours runs as pyproject.toml sets pytest up, on every core (pytest-xdist: 2 workers here, each "
        "with its own emulator); the floor's one test runs in one process, as a `cdk init` project does.",
        f"Start-up and collection only: the same command with `{' '.join(NO_TEST_SELECTED)}`, which no "
        "test matches: the workers start, each starts its emulator and collects every test, and none runs. "
        "The suite cannot finish sooner than this, so its ratio is the least this suite can reach.",
    ]
    return section


def _cpu_of_children() -> float:
    """User + system seconds of every child this process has waited for, and theirs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# Runs a command as the subreaper of its descendants (Linux): one whose parent exits first (the
# emulator's Lambda workers, stopped with its process group) is handed to this wrapper instead of
# init, and reaped here, so its CPU time reaches the bench's RUSAGE_CHILDREN through the wrapper.
# prctl through ctypes: the standard library has no call for it, and this one figure doesn't
# justify a dependency. Elsewhere the command runs as it is. It exits with the command's code,
# and its last line on stderr is the command's own wall time (reaping after it not included).
REAPER = """\
import ctypes, os, subprocess, sys, time

adopting = sys.platform.startswith("linux") and ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) == 0
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], check=False).returncode
print(f"\\nreaper: the command took {time.perf_counter() - start:.6f} s", file=sys.stderr, flush=True)
deadline = time.monotonic() + 10  # for those still stopping; one still running after is left
while adopting:
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break  # none left
    if pid == 0:
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
sys.exit(code)
"""


def _page_tests_once() -> str:
    """`cd web && node --test`, as `make test` runs it; its counts, failures included."""
    node = shutil.which("node") or "node"
    result = subprocess.run([node, "--test"], cwd=ROOT / "web", capture_output=True, text=True, check=False)
    counts = dict(_NODE_TEST_COUNT.findall(result.stdout))
    if "pass" not in counts:
        raise RuntimeError(f"node --test exited {result.returncode}:\n{(result.stdout + result.stderr)[-2000:]}")
    failed = int(counts.get("fail", "0"))
    return f"{counts['pass']} passed" + (f", {failed} failed" if failed else "")


def whole_suite_section(reps: int, suite: Sequence[str] = WHOLE_SUITE) -> Section:
    """`make test`'s two commands, run back to back `reps` times: wall and CPU time."""
    walls: list[float] = []
    cpus: list[float] = []
    page = summary = ""
    adopting = sys.platform.startswith("linux")  # REAPER's subreaper
    for _ in range(reps):
        cpu_before = _cpu_of_children()
        start = time.perf_counter()
        page = _page_tests_once()
        page_s = time.perf_counter() - start
        pytest_s, summary = _pytest_once(suite, ROOT, flags=(), reaper=True)
        walls.append(page_s + pytest_s)
        cpus.append(_cpu_of_children() - cpu_before)
    section = Section(title="1c. Tests: the whole of `make test` (end-to-end and browser tests included)")
    section.figures = {
        "whole.median_s": median(walls),
        "whole.cpu_median_s": median(cpus),
        "whole.reps": reps,
    }
    command = "pytest " + " ".join(suite)
    section.tables.append(
        Table(
            headers=["run", "result", "median s", "min s", "max s", "CPU median s", "runs"],
            rows=[
                [
                    f"`node --test` (web/), then `{command}`",
                    f"page: {page}; pytest: {summary}",
                    fmt_s(median(walls)),
                    fmt_s(min(walls)),
                    fmt_s(max(walls)),
                    fmt_s(median(cpus)),
                    str(reps),
                ],
                ["target", "", f"≤ {WHOLE_SUITE_TARGET_S:.0f}", "", "", "", ""],
            ],
        )
    )
    bytecode = "set" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "not set"
    section.notes = [
        "Wall time of both commands back to back, as `make test` runs them (PYTEST_ADDOPTS unset), installs "
        "warm; a failing test is reported in the result column, and its time still counts. The end-to-end "
        "tests deploy with the real CDK CLI to the local emulator once (pytest-xdist's controller) and drive "
        "a headless Chromium; the browser the run finds is `make test`'s (`make browser`).",
        "CPU: user and system seconds of every process the runs started (pytest and its workers, the emulators "
        "and the triggers they run, the CDK CLI, the browser), the median over the runs; "
        + (
            "those that outlived their parents included (pytest runs under a subreaper that waits for them)."
            if adopting
            else "only those their parents waited for, so a lower bound (no subreaper on this system)."
        ),
        f"PYTHONDONTWRITEBYTECODE is {bytecode} here: where it is set, no process writes byte-code caches, so "
        "each compiles the test modules and rewrites their asserts again.",
    ]
    return section
