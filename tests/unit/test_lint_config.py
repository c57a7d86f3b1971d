"""The type checker's configuration follows the code: mypy follows only the aws-cdk-lib modules
listed in pyproject.toml (the rest would be over a minute of checking), so the list must name
every one the checked code imports, or calls into it would go unchecked."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from signin.project import ROOT


def mypy_config() -> dict:
    config: dict = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    return config


def followed_cdk_modules() -> set[str]:
    followed: set[str] = set()
    for override in mypy_config()["overrides"]:
        if override.get("follow_imports") == "normal":
            followed |= set(override["module"])
    return followed


def checked_files() -> list[Path]:
    config = mypy_config()
    files = [ROOT / f"{module}.py" for module in config["modules"]]
    for package in config["packages"]:
        folder = ROOT / package if (ROOT / package).is_dir() else ROOT / config["mypy_path"] / package
        files += sorted(folder.rglob("*.py"))
    return files


def imported_cdk_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "aws_cdk"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "aws_cdk":
            found.add(node.module)
            if node.module == "aws_cdk":
                found |= {f"aws_cdk.{alias.name}" for alias in node.names if alias.name.startswith("aws_")}
    return found


def test_mypy_follows_every_aws_cdk_module_the_code_imports() -> None:
    files = checked_files()
    assert ROOT / "app.py" in files and any(path.parts[-2:] == ("captcha_auth", "construct.py") for path in files)
    imported = set().union(*map(imported_cdk_modules, files))
    assert {"aws_cdk", "aws_cdk.aws_cognito", "aws_cdk.aws_lambda"} <= imported  # the scan sees them
    assert imported <= followed_cdk_modules(), (
        f"add to pyproject.toml's mypy overrides: {imported - followed_cdk_modules()}"
    )
