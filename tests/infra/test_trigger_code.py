"""The trigger code asset: a locked bundle, and an asset hash that follows the lock."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from signin.project import cdk_json_context
from stacks.captcha_auth import CaptchaAuth, bundled_trigger_code
from stacks.captcha_auth.trigger_code import LAMBDAS_DIR, PipLocalBundling, wheel_target
from tests.support import resources


def asset_key(source: Path) -> str:
    app = cdk.App(context={**cdk_json_context(), "aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "Asset")
    code = bundled_trigger_code(runtime=CaptchaAuth.RUNTIME, architecture=CaptchaAuth.ARCHITECTURE, source=source)
    CaptchaAuth(stack, "Auth", code=code)
    functions = resources(Template.from_stack(stack).to_json(), "AWS::Lambda::Function").values()
    (key,) = {f["Properties"]["Code"]["S3Key"] for f in functions}
    return str(key)


def copy_of_lambdas(tmp_path: Path) -> Path:
    copy = tmp_path / "lambdas"
    shutil.copytree(LAMBDAS_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_a_changed_lock_changes_the_asset_hash(tmp_path: Path) -> None:
    source = copy_of_lambdas(tmp_path)
    before = asset_key(source)
    lock = source / "requirements.lock"
    lock.write_text(lock.read_text().replace("jmespath==1.1.0", "jmespath==1.0.1"))
    assert asset_key(source) != before


def test_every_bundled_requirement_is_pinned_and_hashed() -> None:
    lock = (LAMBDAS_DIR / "requirements.lock").read_text()
    requirements = re.findall(r"^([A-Za-z0-9_.-]+)==\S+ \\$", lock, flags=re.MULTILINE)
    assert {"aws-lambda-powertools", "captcha", "pillow", "jmespath", "typing-extensions"} <= set(requirements)
    for block in re.split(r"\n(?=[A-Za-z])", lock.strip()):
        if not block.startswith("#"):  # uv's header
            assert "--hash=sha256:" in block, block.splitlines()[0]


def test_the_bundler_refuses_a_file_whose_hash_is_not_in_the_lock(tmp_path: Path) -> None:
    """A real pip run against the registry, with every hash of captcha's in the lock altered
    (and a control: the untouched lock installs)."""
    source = copy_of_lambdas(tmp_path)
    bundler = PipLocalBundling(source, *wheel_target(CaptchaAuth.RUNTIME, CaptchaAuth.ARCHITECTURE))
    assert bundler.try_bundle(str(tmp_path / "control"))
    lock = source / "requirements.lock"
    text = lock.read_text()
    start = text.index("captcha==0.7.1")
    end = text.index("# via", start)
    lock.write_text(text[:start] + re.sub(r"[0-9a-f]{64}", "0" * 64, text[start:end]) + text[end:])
    bundler = PipLocalBundling(source, *wheel_target(CaptchaAuth.RUNTIME, CaptchaAuth.ARCHITECTURE))
    with pytest.raises(subprocess.CalledProcessError):
        bundler.try_bundle(str(tmp_path / "out"))
