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
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": f"{ROOT / 'lambdas'}{os.pathsep}{ROOT}", **variables}
    command = [sys.executable, "-c", RECORDER, module, str(EVENTS / f"{HANDLERS[module]}.json")]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


def template_variables(template_json: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        f["Properties"]["Handler"].removesuffix(".lambda_handler"): f["Properties"]["Environment"]["Variables"]
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


@pytest.mark.parametrize("module", ["captcha_auth.define_auth_challenge", "captcha_auth.create_auth_challenge"])
@pytest.mark.parametrize("value", [None, "", "three", "0", "-1", "2.5", " 3"], ids=repr)
def test_a_missing_or_bad_attempt_limit_fails_closed_at_import(
    given: dict[str, dict[str, str]], module: str, value: str | None
) -> None:
    variables = {k: v for k, v in given[module].items() if k != "MAX_CAPTCHA_ATTEMPTS"}
    if value is not None:
        variables["MAX_CAPTCHA_ATTEMPTS"] = value
    result = run_handler(module, variables)
    assert result.returncode != 0
    assert (
        "KeyError: 'MAX_CAPTCHA_ATTEMPTS'" if value is None else "ValueError: MAX_CAPTCHA_ATTEMPTS"
    ) in result.stderr
