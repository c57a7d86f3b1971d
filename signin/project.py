"""This project's own files, read in one place: the version (pyproject.toml) and the CDK
settings (cdk.json), whose `stackName` the clients look up by default.

Free of CDK, so the sign-in CLI starts fast; the tests and benchmarks read cdk.json here too.
"""

from __future__ import annotations

import json
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@cache
def version() -> str:
    """The project's one version string, from pyproject.toml."""
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def cdk_json() -> dict[str, Any]:
    """cdk.json as a whole: the CLI's settings and the app's context."""
    document: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())
    return document


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's `context`: feature flags and this app's settings (README, "Context")."""
    context: dict[str, Any] = cdk_json()["context"]
    return context


def stack_name() -> str:
    """The stack name `cdk deploy` uses, unless `-c stackName=…` says otherwise."""
    return str(cdk_json_context()["stackName"])
