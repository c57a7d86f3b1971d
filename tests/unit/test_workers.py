"""How many pytest-xdist workers a run starts (tests/conftest.py): none for one named test file,
where starting them costs more than they save; every core for anything more. How the tests are
shared out among them, and how the end-to-end tests' one deployment reaches every worker
(tests/e2e/shared.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from signin.project import ROOT
from tests.conftest import _loadscope_reorder, _work_unit, pytest_xdist_auto_num_workers
from tests.e2e.shared import RECORD, STANDIN_SECRET, ControllerDeployment, shared_record


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


@pytest.mark.parametrize(
    ("args", "addopts", "ini", "parsed", "deploys", "reorder"),
    [
        ((), "", [], True, False, True),  # xdist's default: the largest unit first
        ((), "", [], True, True, False),  # end-to-end tests: in _order's order
        (("--loadscope-reorder",), "", [], True, True, True),  # the user's flag rules
        ((), "--no-loadscope-reorder", [], False, False, False),
        ((), "", ["--no-loadscope-reorder"], False, False, False),
    ],
)
def test_xdists_reorder_flag_given_by_the_user_rules(
    args: tuple[str, ...],
    addopts: str,
    ini: list[str],
    parsed: bool,
    deploys: bool,
    reorder: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTEST_ADDOPTS", addopts)
    config = SimpleNamespace(
        invocation_params=SimpleNamespace(args=args),
        option=SimpleNamespace(loadscopereorder=parsed),
        getini=lambda name: ini if name == "addopts" else [],
    )
    assert _loadscope_reorder(config, deploys) is reorder  # type: ignore[arg-type]


def test_end_to_end_files_spread_but_the_browsers_stay_together() -> None:
    """One deployment serves every worker, so each end-to-end file is a unit of its own; but every
    file that drives the browser (web_support's fixtures) is in one unit: one browser process."""
    files = sorted((ROOT / "tests" / "e2e").glob("test_*.py"))
    units = {path.name: _work_unit(f"tests/e2e/{path.name}::test_x[a/b]") for path in files}
    browser = {name for name, unit in units.items() if unit == "e2e-browser"}
    uses_browser = {path.name for path in files if "web_support" in path.read_text()}
    assert uses_browser and browser == uses_browser
    others = {unit for name, unit in units.items() if name not in browser}
    assert others == {f"tests/e2e/{name}" for name in units if name not in browser}
    assert _work_unit("tests/infra/test_gates.py::test_x") == "templates"


def test_a_worker_in_one_process_deploys_itself() -> None:
    assert shared_record(SimpleNamespace()) is None  # type: ignore[arg-type]


def test_a_worker_waits_for_the_controllers_record(tmp_path: Path) -> None:
    record = tmp_path / "record.json"
    config = SimpleNamespace(workerinput={RECORD: str(record), STANDIN_SECRET: "s3cret"})
    written = {"workdir": str(tmp_path), "port": 4566, "outputs": {"main": {}}, "standin_url": "http://127.0.0.1:1"}
    partial = tmp_path / "record.partial"

    def write() -> None:  # as the controller does: the reader never sees half of it
        partial.write_text(json.dumps(written))
        os.replace(partial, record)

    writer = threading.Timer(0.3, write)
    writer.start()
    try:
        assert shared_record(config) == {**written, "standin_secret": "s3cret"}  # type: ignore[arg-type]
    finally:
        writer.cancel()


def test_a_failed_shared_deployment_fails_each_end_to_end_test_with_its_reason(tmp_path: Path) -> None:
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"error": "RuntimeError: cdk deploy failed", "workdir": str(tmp_path)}))
    config = SimpleNamespace(workerinput={RECORD: str(record), STANDIN_SECRET: "s3cret"})
    with pytest.raises(pytest.fail.Exception, match=re.escape(f"cdk deploy failed (logs in {tmp_path})")):
        shared_record(config)  # type: ignore[arg-type]


def controller_in(tmp_path: Path) -> ControllerDeployment:
    return ControllerDeployment(SimpleNamespace(_tmp_path_factory=SimpleNamespace(mktemp=lambda _: tmp_path)))  # type: ignore[arg-type]


def test_each_worker_is_told_where_the_record_will_be_and_the_stand_ins_secret(tmp_path: Path) -> None:
    controller = controller_in(tmp_path)
    first, second = SimpleNamespace(workerinput={}), SimpleNamespace(workerinput={})
    controller.pytest_configure_node(first)
    controller.pytest_configure_node(second)
    assert (
        first.workerinput
        == second.workerinput
        == {
            RECORD: str(tmp_path / "record.json"),
            STANDIN_SECRET: controller._secret,
        }
    )
    assert len(controller._secret) >= 32


def test_the_controller_deploys_once_and_only_for_end_to_end_tests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploys: list[str] = []
    monkeypatch.setattr(ControllerDeployment, "_deploy", lambda self: deploys.append("deploy"))
    controller = controller_in(tmp_path)
    controller.pytest_xdist_node_collection_finished(node=None, ids=["tests/unit/test_audio.py::test_x"])
    assert controller._thread is None
    for _ in range(2):  # each worker reports its collection
        controller.pytest_xdist_node_collection_finished(node=None, ids=["tests/e2e/test_lockout.py::test_x"])
    controller.close()
    assert deploys == ["deploy"]


def test_a_deploy_that_fails_is_recorded_for_the_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The stand-in really starts; the deploy is made to fail: every worker reads why."""

    def failing(*_: object) -> None:
        raise RuntimeError("cdk deploy exited 1")

    monkeypatch.setattr("tests.e2e.shared.deployed", failing)
    controller = controller_in(tmp_path)
    controller._deploy()
    controller.close()
    config = SimpleNamespace(workerinput={RECORD: str(tmp_path / "record.json"), STANDIN_SECRET: "s"})
    reason = re.escape(f"RuntimeError: cdk deploy exited 1 (logs in {tmp_path})")
    with pytest.raises(pytest.fail.Exception, match=reason):
        shared_record(config)  # type: ignore[arg-type]
