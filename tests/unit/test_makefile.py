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


def stand_in(tmp_path: Path, *, passes_check: bool, version: str = "Python 3.10.13", to: str = "") -> Path:
    """A 'python' that says it is `version` (on stderr with to=">&2", as Python 2 does) and fails
    the version check, or passes it; it records every other command (such as `-m venv`) and
    fails it, so nothing is installed."""
    script = tmp_path / "python"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = --version ]; then echo "{version}" {to}; exit 0; fi\n'
        f'if [ "$1" = -c ]; then exit {0 if passes_check else 1}; fi\n'
        f'echo "$@" >> {tmp_path / "calls"}; exit 3\n'
    )
    script.chmod(0o755)
    return script


def make_venv(tmp_path: Path, python: str, step: str, *flags: str) -> subprocess.CompletedProcess[str]:
    """`make` of one step of the venvs (a file under `tmp_path`, where the venvs are made)."""
    venvs = [f"VENV={tmp_path / 'venv'}", f"EMULATOR_VENV={tmp_path / 'emulator-venv'}"]
    return subprocess.run(
        [str(MAKE), "--no-print-directory", "-C", str(ROOT), *flags, *venvs, f"PYTHON={python}", f"{tmp_path}/{step}"],
        capture_output=True,
        text=True,
        env={**os.environ, "MAKEFLAGS": ""},
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(("version", "to"), [("Python 3.10.13", ""), ("Python 2.7.18", ">&2")], ids=["3.10", "2.7"])
def test_an_old_python_is_named_before_anything_is_made(tmp_path: Path, version: str, to: str) -> None:
    python = stand_in(tmp_path, passes_check=False, version=version, to=to)
    result = make_venv(tmp_path, str(python), "venv/.uv-installed")
    assert result.returncode != 0
    expected = f"error: this needs Python 3.11 or later, and {python} is {version}. {ADVICE}"
    assert result.stderr.splitlines()[0] == expected
    assert not (tmp_path / "calls").exists() and not (tmp_path / "venv").exists()


def test_a_missing_python_is_said_as_such(tmp_path: Path) -> None:
    result = make_venv(tmp_path, str(tmp_path / "no-such-python"), "venv/.uv-installed")
    assert result.returncode != 0
    assert result.stderr.splitlines()[0] == (
        f"error: this needs Python 3.11 or later, and {tmp_path / 'no-such-python'} is not found. {ADVICE}"
    )


def test_a_python_that_passes_makes_the_venv_with_itself(tmp_path: Path) -> None:
    result = make_venv(tmp_path, str(stand_in(tmp_path, passes_check=True)), "venv/.uv-installed")
    assert "error: this needs" not in result.stderr
    assert (tmp_path / "calls").read_text().splitlines() == [f"-m venv {tmp_path / 'venv'}"]


def test_both_venvs_are_made_with_the_named_python(tmp_path: Path) -> None:
    """The emulator's venv too: the local bundle is built for the project venv's Python, and the
    emulator runs the handlers on its own."""
    result = make_venv(tmp_path, "/opt/some/python3.12", "emulator-venv/.installed", "-n", "-B")
    assert result.returncode == 0, result.stderr
    made = [line for line in result.stdout.splitlines() if " -m venv " in line]
    assert made == [f"/opt/some/python3.12 -m venv {tmp_path / name}" for name in ("venv", "emulator-venv")]


def test_a_venv_an_old_python_made_earlier_is_named_with_what_to_do(tmp_path: Path) -> None:
    """A venv made before this check (by a 3.10 `python3`) would otherwise keep failing in the
    resolver, whatever PYTHON now names."""
    venv_python = stand_in(tmp_path / "venv" / "bin", passes_check=False)
    (tmp_path / "venv" / ".uv-installed").touch()  # made, and newer than its lock
    result = make_venv(tmp_path, "python3", "venv/.demo-installed")
    assert result.returncode != 0
    assert result.stderr.splitlines()[0] == (
        f"error: this needs Python 3.11 or later, and {venv_python} is Python 3.10.13. Remove {tmp_path / 'venv'} "
        f"and {tmp_path / 'emulator-venv'}, then run again (make demo PYTHON=python3.12 names another)."
    )
