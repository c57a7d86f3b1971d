"""The Makefile's check of the Python it makes the venvs with, run on the real Makefile with
stand-in interpreters (shell scripts: what matters is what make does with their answers)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from signin.project import ROOT

MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="needs make")

ADVICE = "Install one, or name it, as in: make demo PYTHON=python3.12"


def stand_in(tmp_path: Path, *, passes_check: bool) -> Path:
    """A 'python' that says it is 3.10 and fails the version check, or passes it; it records
    every other command (such as `-m venv`) and fails it, so nothing is installed."""
    script = tmp_path / "python"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = --version ]; then echo "Python 3.10.13"; exit 0; fi\n'
        f'if [ "$1" = -c ]; then exit {0 if passes_check else 1}; fi\n'
        f'echo "$@" >> {tmp_path / "calls"}; exit 3\n'
    )
    script.chmod(0o755)
    return script


def make_venv(tmp_path: Path, python: str) -> subprocess.CompletedProcess[str]:
    venv = tmp_path / "venv"
    target = f"{venv}/.uv-installed"  # the first venv step
    return subprocess.run(
        [str(MAKE), "--no-print-directory", "-C", str(ROOT), f"VENV={venv}", f"PYTHON={python}", target],
        capture_output=True,
        text=True,
        env={**os.environ, "MAKEFLAGS": ""},
        timeout=60,
        check=False,
    )


def test_an_old_python_is_named_before_anything_is_made(tmp_path: Path) -> None:
    python = stand_in(tmp_path, passes_check=False)
    result = make_venv(tmp_path, str(python))
    assert result.returncode != 0
    assert result.stderr.splitlines()[0] == (
        f"error: this needs Python 3.11 or later, and {python} is Python 3.10.13. {ADVICE}"
    )
    assert not (tmp_path / "calls").exists() and not (tmp_path / "venv").exists()


def test_a_missing_python_is_said_as_such(tmp_path: Path) -> None:
    result = make_venv(tmp_path, str(tmp_path / "no-such-python"))
    assert result.returncode != 0
    assert result.stderr.splitlines()[0] == (
        f"error: this needs Python 3.11 or later, and {tmp_path / 'no-such-python'} is not found. {ADVICE}"
    )


def test_a_python_that_passes_makes_the_venv_with_itself(tmp_path: Path) -> None:
    result = make_venv(tmp_path, str(stand_in(tmp_path, passes_check=True)))
    assert "error: this needs" not in result.stderr
    assert (tmp_path / "calls").read_text().splitlines() == [f"-m venv {tmp_path / 'venv'}"]
