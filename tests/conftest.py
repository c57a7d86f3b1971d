"""Shared fixtures. Every template the tests read is synthesized once per session, in the
background while the handler tests run (tests/support.py's PREBUILT); tests/infra runs after them.

The triggers' failure counter needs a real DynamoDB API: the session starts the local
emulator (offline/) once, on a free loopback port, creates the counter's table and key there,
and configures the handlers as the construct does by default. tests/infra checks that the
template gives each function exactly the variables it reads.

The suite runs on every core (pytest-xdist): the tests that share a costly fixture are one unit
of work, run by one worker (the browser tests: one browser; tests/infra: one set of prebuilt
templates; the benchmark sections that share module fixtures), and the rest spread. The
end-to-end tests share one deployment, which the controller makes for every worker
(tests/e2e/shared.py). Each worker has its own emulator for the handler tests. `-n 0` runs
everything in one process.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from offline.emulator import path_with_pinned_node
from offline.lambda_context import LocalLambdaContext
from offline.local_aws import local_trigger_environment

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
# As `make` runs them: the Node.js package.json pins first on PATH, for jsii and the CDK CLI.
os.environ["PATH"] = path_with_pinned_node(os.environ.get("PATH"))
HANDLER_SETTINGS = {
    "MAX_CAPTCHA_ATTEMPTS": "3",
    "CAPTCHA_PROVIDER": "builtin",
    "POWERTOOLS_SERVICE_NAME": "captcha-auth",
    "POWERTOOLS_METRICS_NAMESPACE": "CaptchaSignIn",
    "LOCKOUT_AFTER_FAILURES": "5",
    "LOCKOUT_WINDOW_SECONDS": "900",
    "LOCKOUT_BACKOFF_SECONDS": "300",
    "LOCKOUT_MAX_BACKOFF_SECONDS": "3600",
    "COUNTER_FAIL_OPEN": "false",
}
_session = ExitStack()
_endpoint: list[str] = []


def _is_xdist_controller(config: pytest.Config) -> bool:
    """pytest-xdist's controller process only hands tests to its workers: it runs none. The test
    is xdist's own (workers to start, distribution on); with --collect-only it starts none, and
    the one process collects, importing the handlers."""
    distributing = bool(config.getoption("tx", None)) and config.getoption("dist", "no") != "no"
    return distributing and not config.option.collectonly and not hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    """Before any test module (and so any handler) is imported. The xdist controller makes the
    end-to-end tests' one deployment for every worker (tests/e2e/shared.py)."""
    if _is_xdist_controller(config):
        from tests.e2e.shared import ControllerDeployment

        shared = ControllerDeployment(config)
        config.pluginmanager.register(shared, "e2e-deployment")
        config.add_cleanup(shared.close)
    else:
        _endpoint.append(_session.enter_context(local_trigger_environment(HANDLER_SETTINGS)))


def _reads_templates(item: pytest.Item) -> bool:
    return item.path.parent.name == "infra"


# Modules whose tests share module-scoped fixtures.
_MODULE_UNITS = ("tests/bench/test_bench_smoke.py",)


# The end-to-end files that drive the browser: one unit, so one browser process.
_BROWSER_FILES = ("tests/e2e/test_web_", "tests/e2e/test_emulator_guard.py")


def _work_unit(nodeid: str) -> str:
    """The tests one xdist worker runs together, from a test's id (tests/...::name[params])."""
    path = nodeid.split("::", 1)[0]
    folder = path.rpartition("/")[0]
    if folder == "tests/e2e":  # one deployment for every worker: a unit per file, the browser's one
        return "e2e-browser" if path.startswith(_BROWSER_FILES) else path
    if folder == "tests/infra":
        return "templates"
    if path in _MODULE_UNITS:
        return path
    return nodeid


# Files whose tests are separate units of work, written to run side by side.
_SPREAD_FILES = ("tests/bench/test_bench_sections.py",)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """How many workers `--numprocesses auto` (pyproject.toml) starts: none for one named test
    file (or tests in it), every core (xdist's own count) for anything more, or where
    PYTEST_XDIST_AUTO_NUM_WORKERS says. Each worker starts its own emulator and collects on its
    own, about 1.5 s, which one file's tests don't win back: Define's unit tests take 2.4 s in one
    process and 4.0 s on two workers. An explicit `-n N` still rules."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist reads it
    files = {Path(config.invocation_params.dir, arg.split("::", 1)[0]).resolve() for arg in config.args}
    if len(files) == 1 and (file := files.pop()).is_file():
        spread = {(config.rootpath / name).resolve() for name in _SPREAD_FILES}
        return None if file in spread else 0
    return None  # xdist's default: a worker per core


_REORDER_FLAGS = ("--loadscope-reorder", "--no-loadscope-reorder")


def _loadscope_reorder(config: pytest.Config, deploys: bool) -> bool:
    """xdist's largest-unit-first, unless the run holds end-to-end tests (see add_node_collection).
    Either of xdist's flags, given on the command line, in PYTEST_ADDOPTS or in addopts, rules."""
    given = [
        *config.invocation_params.args,
        *shlex.split(os.environ.get("PYTEST_ADDOPTS", "")),
        *config.getini("addopts"),
    ]
    if any(arg in _REORDER_FLAGS for arg in given):
        return bool(config.option.loadscopereorder)
    return not deploys


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist's load-by-scope scheduling with our units (_work_unit). Written here because its
    own grouping (`--dist loadgroup`) renames test ids, which pytest 9 no longer allows: the
    groups were silently ignored and every worker deployed its own stacks."""
    from xdist.scheduler import LoadScopeScheduling

    class WorkUnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _work_unit(nodeid)

        def add_node_collection(self, node: Any, collection: Sequence[str]) -> None:
            """Without end-to-end tests, the largest unit first, xdist's way: the templates' worker
            starts its synths at once. With them, in _order's order: the largest first had the
            end-to-end tests' workers wait for the deployment while other tests were left to do."""
            deploys = any(nodeid.startswith("tests/e2e/") for nodeid in collection)
            config.option.loadscopereorder = _loadscope_reorder(config, deploys)
            super().add_node_collection(node, collection)

    return WorkUnitScheduling(config, log)


def _order(item: pytest.Item) -> int:
    """The handler tests first, while the controller deploys (tests/e2e/shared.py); then the
    browser's unit, the longest, and beside it the template tests (in one process, their synths
    run in the background from the start) and the other end-to-end tests."""
    nodeid = item.nodeid
    if nodeid.startswith("tests/e2e/"):
        return 1 if _work_unit(nodeid) == "e2e-browser" else 3
    return 2 if _reads_templates(item) else 0


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """In _order's order, stable otherwise."""
    items.sort(key=_order)


def pytest_collection_finish(session: pytest.Session) -> None:
    """In one process, the templates are synthesized in the background from the start; an xdist
    worker collects every test but runs a share, so it starts them with its first template test."""
    in_worker = hasattr(session.config, "workerinput")
    if not in_worker and any(map(_reads_templates, session.items)) and not session.config.option.collectonly:
        from tests.support import prebuilt

        prebuilt.start()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """jsii serves one caller at a time: a template test starts once the background synth is done."""
    if _reads_templates(item):
        from tests.support import prebuilt

        prebuilt.start()  # (already started, in one process)
        prebuilt.wait()


def pytest_unconfigure(config: pytest.Config) -> None:
    _session.close()  # stops the emulator by its PID and restores the environment


@pytest.fixture(scope="session")
def local_aws_endpoint() -> str:
    return _endpoint[0]


@pytest.fixture(scope="session")
def template() -> Any:
    from tests.support import synth

    return synth()  # the prebuilt one


@pytest.fixture(scope="session")
def template_json(template: Any) -> dict[str, Any]:
    return template.to_json()


@pytest.fixture
def lambda_context() -> LocalLambdaContext:
    return LocalLambdaContext()


@pytest.fixture
def captured_logs() -> Any:
    """Every line the triggers' Powertools logger writes during the test, as the JSON text
    CloudWatch would store (same formatter)."""
    import io
    import logging

    from captcha_auth.common import logger

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    try:
        yield stream.getvalue
    finally:
        logger.removeHandler(handler)
