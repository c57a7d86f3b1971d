"""Docker-free bundling of the trigger code and its dependencies.

CDK's Python bundling needs Docker; this local bundler runs pip for the Lambda's own
platform and Python version instead, so `cdk synth` works anywhere pip does.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

LAMBDAS_DIR = Path(__file__).resolve().parent.parent / "lambdas"


@dataclass(frozen=True)
class LambdaTarget:
    """Where the trigger code runs: the Lambda runtime and the wheels that fit it."""

    runtime: lambda_.Runtime
    architecture: lambda_.Architecture
    pip_platform: str
    python_version: str


# AWS: the newest Python runtime in the pinned aws-cdk-lib, on Graviton. manylinux_2_28 (not
# manylinux2014 alone) so pip picks current Pillow wheels.
AWS_LAMBDA_TARGET = LambdaTarget(
    runtime=lambda_.Runtime.PYTHON_3_14,
    architecture=lambda_.Architecture.ARM_64,
    pip_platform="manylinux_2_28_aarch64",
    python_version="3.14",
)


def local_emulator_target() -> LambdaTarget:
    """For the local emulator, which runs every handler on its own interpreter (this machine's
    Python and CPU) whatever the template says. Only the wheels change: the runtime and
    architecture in the template stay AWS's, so the deployed template is the one tested."""
    return LambdaTarget(
        runtime=AWS_LAMBDA_TARGET.runtime,
        architecture=AWS_LAMBDA_TARGET.architecture,
        pip_platform=f"manylinux_2_28_{platform.machine()}",
        python_version=f"{sys.version_info.major}.{sys.version_info.minor}",
    )


@jsii.implements(ILocalBundling)
class PipLocalBundling:
    """Installs lambdas/requirements.txt for the target platform, then copies the package."""

    def __init__(self, target: LambdaTarget, package: str) -> None:
        self._target = target
        self._package = package

    def try_bundle(self, output_dir: str, *args: Any, **kwargs: Any) -> bool:
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-compile", "--only-binary=:all:", "--implementation", "cp",
            "--platform", self._target.pip_platform,
            "--python-version", self._target.python_version,
            "--target", output_dir,
            "--requirement", str(LAMBDAS_DIR / "requirements.txt"),
        ]  # fmt: skip
        subprocess.run(command, check=True)
        shutil.copytree(
            LAMBDAS_DIR / self._package,
            Path(output_dir) / self._package,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            dirs_exist_ok=True,
        )
        return True


def trigger_code(target: LambdaTarget, package: str = "captcha_auth") -> lambda_.Code:
    """One asset shared by the four triggers (CDK uploads it once)."""
    return lambda_.Code.from_asset(
        str(LAMBDAS_DIR),
        exclude=["**/__pycache__", "**/*.pyc"],
        bundling=BundlingOptions(
            # Never pulled: local bundling always succeeds or raises.
            image=DockerImage.from_registry("local-bundling-only"),
            local=PipLocalBundling(target, package),
            # The local bundler is not part of the asset hash; naming the wheel platform here
            # is, so bundles for different targets never share a hash (or a stale cdk.out).
            environment={"BUNDLE_TARGET": f"{target.pip_platform}-cp{target.python_version}"},
        ),
    )
