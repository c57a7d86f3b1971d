"""How many pytest-xdist workers a run starts (tests/conftest.py): none for one named test file,
where starting them costs more than they save; every core for anything more."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from signin.project import ROOT
from tests.conftest import pytest_xdist_auto_num_workers


def run_with(*args: str) -> Any:
    config = SimpleNamespace(args=list(args), invocation_params=SimpleNamespace(dir=ROOT), rootpath=ROOT)
    return pytest_xdist_auto_num_workers(config)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "workers"),
    [
        (["tests/unit/test_workers.py"], 0),
        (["tests/unit/test_workers.py::test_a_file_runs_in_one_process", "tests/unit/test_workers.py::run_with"], 0),
        (["tests/unit/test_workers.py", "tests/unit/test_audio.py"], None),  # None: xdist's count, a worker per core
        (["tests"], None),
        (["tests/unit"], None),
        (["tests/unit/no_such_file.py"], None),  # pytest reports it, with or without workers
        (["tests/bench/test_bench_sections.py"], None),  # sections written to run side by side
    ],
)
def test_one_named_file_gets_no_workers_anything_more_every_core(
    args: list[str], workers: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTEST_XDIST_AUTO_NUM_WORKERS", raising=False)
    assert run_with(*args) == workers


def test_xdists_own_setting_still_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_XDIST_AUTO_NUM_WORKERS", "2")
    assert run_with("tests/unit/test_workers.py") is None


def test_a_file_runs_in_one_process() -> None:
    """The real thing: xdist reads the hook, and the run starts no worker."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_ADDOPTS", "PYTEST_XDIST_AUTO_NUM_WORKERS")}
    command = [sys.executable, "-m", "pytest", "tests/unit/test_lint_config.py", "-p", "no:cacheprovider"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-2000:]
    assert " passed" in result.stdout and "worker" not in result.stdout  # xdist's "created: N/N workers"
