"""The construct is the single source of the triggers' settings: each function gets exactly the
variables it reads, and fails closed without them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from signin.project import ROOT
from tests.support import EVENTS, resources

# Runs one handler in a fresh interpreter with only the given variables (plus what Python
# itself needs), records every variable that is read while it imports and handles one
# documented event, and prints them.
RECORDER = """
import importlib, json, os, sys
module_name, event_path = sys.argv[1:3]
read = set()

class Recording(type(os.environ)):
    def __getitem__(self, key):
        read.add(key)
        return super().__getitem__(key)

environ = os.environ
os.environ = Recording(environ._data, environ.encodekey, environ.decodekey, environ.encodevalue, environ.decodevalue)
from offline.lambda_context import LocalLambdaContext
handler = importlib.import_module(module_name).lambda_handler
handler(json.load(open(event_path)), LocalLambdaContext())
print(json.dumps(sorted(read)))
"""
HANDLERS = {
    "captcha_auth.define_auth_challenge": "define_auth_challenge",
    "captcha_auth.create_auth_challenge": "create_auth_challenge",
    "captcha_auth.verify_auth_challenge": "verify_auth_challenge",
    "captcha_auth.post_authentication": "post_authentication",
}


def run_handler(module: str, variables: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """With the test session's emulator as AWS (for the failure counter)."""
    local_aws = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": f"{ROOT / 'lambdas'}{os.pathsep}{ROOT}", **local_aws}
    env.update(variables)
    command = [sys.executable, "-c", RECORDER, module, str(EVENTS / f"{HANDLERS[module]}.json")]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


def template_variables(template_json: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Each function's variables; a reference to a resource (the counter's table and key) is
    replaced by the same resource on the test session's emulator."""
    return {
        f["Properties"]["Handler"].removesuffix(".lambda_handler"): {
            name: value if isinstance(value, str) else os.environ[name]
            for name, value in f["Properties"].get("Environment", {}).get("Variables", {}).items()
        }
        for f in resources(template_json, "AWS::Lambda::Function").values()
    }


@pytest.fixture(scope="module")
def given(template_json: dict[str, Any]) -> dict[str, dict[str, str]]:
    return template_variables(template_json)


@pytest.mark.parametrize("module", HANDLERS)
def test_each_function_gets_only_the_variables_it_reads(given: dict[str, dict[str, str]], module: str) -> None:
    result = run_handler(module, given[module])
    assert result.returncode == 0, result.stderr[-2000:]
    read = set(json.loads(result.stdout.splitlines()[-1]))
    assert set(given[module]) <= read, f"given but never read: {set(given[module]) - read}"


# Every variable is a setting the handler can't run without: removing any one must stop the
# import. (Post-authentication reads none and is given none.)
REQUIRED = [
    (module, name)
    for module, names in {
        "captcha_auth.define_auth_challenge": [
            "MAX_CAPTCHA_ATTEMPTS",
            "FAILURE_TABLE_NAME",
            "FAILURE_KEY_SECRET_ARN",
            "LOCKOUT_AFTER_FAILURES",
            "LOCKOUT_WINDOW_SECONDS",
            "LOCKOUT_BACKOFF_SECONDS",
            "LOCKOUT_MAX_BACKOFF_SECONDS",
            "COUNTER_FAIL_OPEN",
            "ENDPOINT_URL_SUFFIX",
        ],
        "captcha_auth.create_auth_challenge": [
            "MAX_CAPTCHA_ATTEMPTS",
            "CAPTCHA_PROVIDER",
        ],
        "captcha_auth.verify_auth_challenge": ["CAPTCHA_PROVIDER"],
    }.items()
    for name in names
]


def test_the_list_of_required_settings_is_every_setting_given(given: dict[str, dict[str, str]]) -> None:
    for module, variables in given.items():
        required = {name for m, name in REQUIRED if m == module}
        assert required == set(variables), module


# Imports each handler under each of the settings below, in one fresh interpreter: before each
# case the project's own modules (captcha_auth.*, which read the settings at import) are dropped
# and the environment is replaced by the case's; the libraries stay imported, as in a warm
# interpreter. Prints each case's outcome: "ok", or the exception's type and message.
IMPORTER = """
import importlib, json, os, sys
cases = json.load(sys.stdin)
base = dict(os.environ)
outcomes = []
for module_name, variables in cases:
    for name in [m for m in sys.modules if m == "captcha_auth" or m.startswith("captcha_auth.")]:
        del sys.modules[name]
    os.environ.clear()
    os.environ.update(base, **variables)
    try:
        importlib.import_module(module_name)
        outcomes.append("ok")
    except Exception as error:
        outcomes.append(f"{type(error).__name__}: {error}")
print(json.dumps(outcomes))
"""


def import_outcomes(cases: list[tuple[str, dict[str, str]]]) -> list[str]:
    # AWS_REGION: Lambda sets it in every function; the construct doesn't.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": f"{ROOT / 'lambdas'}{os.pathsep}{ROOT}",
        "AWS_REGION": "us-east-1",
    }
    command = [sys.executable, "-c", IMPORTER]
    result = subprocess.run(command, env=env, input=json.dumps(cases), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    outcomes: list[str] = json.loads(result.stdout.splitlines()[-1])
    return outcomes


MALFORMED = {
    "MAX_CAPTCHA_ATTEMPTS": ["", "three", "0", "-1", "2.5", " 3"],
    "LOCKOUT_AFTER_FAILURES": ["0", "five"],
    "LOCKOUT_BACKOFF_SECONDS": ["", "1e3"],
    "COUNTER_FAIL_OPEN": ["yes", "True", ""],
    "CAPTCHA_PROVIDER": ["recaptcha", "Turnstile", ""],
    "ENDPOINT_URL_SUFFIX": ["", "amazonaws.com/", "https://amazonaws.com", "example.com#x", "localhost"],
}
MALFORMED_CASES = [(n, v) for n, values in MALFORMED.items() for v in values]


def _module_of(name: str) -> str:
    return next(m for m, n in REQUIRED if n == name)


@pytest.fixture(scope="module")
def import_outcome(given: dict[str, dict[str, str]]) -> dict[tuple[str, str, str | None], str]:
    """Every case below, imported in one interpreter: (module, setting, value or None if
    missing) -> outcome; and each handler with all its settings, as a control."""
    keys: list[tuple[str, str, str | None]] = [(module, "", "") for module in given]
    cases = [(module, variables) for module, variables in given.items()]
    for module, name in REQUIRED:
        keys.append((module, name, None))
        cases.append((module, {k: v for k, v in given[module].items() if k != name}))
    for name, value in MALFORMED_CASES:
        module = _module_of(name)
        keys.append((module, name, value))
        cases.append((module, {**given[module], name: value}))
    keys += [(module, "", "") for module in given]
    cases += list(given.items())
    return dict(zip(keys, import_outcomes(cases), strict=True))


def test_every_handler_imports_with_its_settings(
    given: dict[str, dict[str, str]], import_outcome: dict[tuple[str, str, str | None], str]
) -> None:
    """The control for the cases below: in the same interpreter, after them, every import works
    with all its settings."""
    assert {module: import_outcome[(module, "", "")] for module in given} == {module: "ok" for module in given}


@pytest.mark.parametrize(("module", "name"), REQUIRED, ids=[f"{m.split('.')[1]}-{n}" for m, n in REQUIRED])
def test_a_missing_setting_fails_closed_at_import(
    import_outcome: dict[tuple[str, str, str | None], str], module: str, name: str
) -> None:
    assert import_outcome[(module, name, None)] == f"KeyError: '{name}'"


@pytest.mark.parametrize(("name", "value"), MALFORMED_CASES, ids=lambda v: repr(v))
def test_a_malformed_setting_fails_closed_at_import(
    import_outcome: dict[tuple[str, str, str | None], str], name: str, value: str
) -> None:
    assert import_outcome[(_module_of(name), name, value)].startswith(f"ValueError: {name} must be")
