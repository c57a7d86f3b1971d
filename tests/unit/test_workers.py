"""How many pytest-xdist workers a run starts (tests/conftest.py): none for a run of named test
files, where starting them costs more than they save; every core for the suite or a folder."""

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
    config = SimpleNamespace(args=list(args), invocation_params=SimpleNamespace(dir=ROOT))
    return pytest_xdist_auto_num_workers(config)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "workers"),
    [
        (["tests/unit/test_workers.py"], 0),
        (["tests/unit/test_workers.py::test_a_file_runs_in_one_process", "tests/unit/test_audio.py"], 0),
        (["tests"], None),  # None: xdist's own count, a worker per core
        (["tests/unit"], None),
        (["tests/unit", "tests/unit/test_audio.py"], None),
        (["tests/unit/no_such_file.py"], None),  # pytest reports it, with or without workers
    ],
)
def test_named_files_get_no_workers_folders_get_every_core(args: list[str], workers: int | None) -> None:
    assert run_with(*args) == workers


def test_a_file_runs_in_one_process() -> None:
    """The real thing: xdist reads the hook, and the run starts no worker."""
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
    command = [sys.executable, "-m", "pytest", "tests/unit/test_lint_config.py", "-p", "no:cacheprovider"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-2000:]
    assert " passed" in result.stdout and "workers" not in result.stdout
