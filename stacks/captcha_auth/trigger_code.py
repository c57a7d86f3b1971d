"""The triggers' code asset: `lambdas/` and its pinned dependencies, bundled without Docker.

CDK's Python bundling needs Docker; this local bundler runs uv (`uv pip install`, pinned in
requirements.txt) for the Lambda's own platform and Python version instead, so `cdk synth` works
anywhere uv does. uv, not pip: the same locked, hash-checked install in about a tenth of pip's
time (0.13 s of CPU against 1.6 s here), paid on every synth that rebundles. CaptchaAuth uses
`bundled_trigger_code()` unless it is given other code; `app.py` asks for wheels that fit this
machine instead when it deploys to the local emulator.

Byte-code: Lambda's code directory is read-only, so a bundle without `.pyc` is compiled again on
every cold start. When the interpreter that bundles is the runtime's Python (same major.minor,
the only case where its `.pyc` are any use), the bundle is compiled with unchecked-hash `.pyc`
(PEP 552: never compared with the source's mtime, which a zip doesn't keep), recorded under
/var/task and with a fixed hash seed, so the same sources always give the same bytes. Otherwise
it ships sources only, and says so in the asset's bundling options, which CDK hashes with the
sources (AssetHashType.SOURCE, its default): a compiled and an uncompiled bundle of the same
sources never share an asset hash, and the same sources and choice always do.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

# The trigger code, found beside this package's parent: copy `stacks/captcha_auth/` and
# `lambdas/` together, or pass your own folder.
LAMBDAS_DIR = Path(__file__).resolve().parent.parent.parent / "lambdas"
PACKAGE = "captcha_auth"
# The wheel platforms' names for Lambda's architectures. manylinux_2_28 (not manylinux2014 alone)
# so current Pillow wheels are picked.
_WHEEL_MACHINE = {"arm64": "aarch64", "x86_64": "x86_64"}
MANYLINUX = "manylinux_2_28"
# Where Lambda unpacks a zip function's code: the file names the byte-code records.
LAMBDA_TASK_ROOT = "/var/task"


def this_python() -> str:
    """The bundling interpreter's major.minor, as Lambda's runtime names spell it."""
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def compiles_for(python_version: str) -> bool:
    """Whether a bundle for `python_version` gets byte-code: only from the same Python."""
    return python_version == this_python()


def compile_bundle(directory: Path) -> None:
    """Unchecked-hash .pyc for every module under `directory`, reproducibly: a fixed hash seed
    (frozenset constants are written in iteration order) and file names under /var/task."""
    command = [
        sys.executable, "-m", "compileall", "-q", "-r", "100",
        "--invalidation-mode", "unchecked-hash",
        "-s", str(directory), "-p", LAMBDA_TASK_ROOT,
        str(directory),
    ]  # fmt: skip
    subprocess.run(command, check=True, env={**os.environ, "PYTHONHASHSEED": "0"}, stdout=subprocess.DEVNULL)


def uv_binary() -> str:
    """The uv executable that the `uv` package (requirements.txt) installed."""
    try:
        from uv import find_uv_bin
    except ImportError:
        raise RuntimeError("the trigger code is bundled with uv: `pip install uv` (requirements.txt pins it)") from None
    return str(find_uv_bin())


@jsii.implements(ILocalBundling)
class LockedLocalBundling:
    """Installs the locked requirements for the target platform, then copies the package.

    Every file uv installs must match a hash in `requirements.lock` (all platforms' wheels of
    each pinned version, made by `make lock`), and nothing is resolved anew (`--no-deps`): a
    bundle holds exactly what was reviewed. The lock lives in the asset's folder, so changing it
    changes the asset hash."""

    def __init__(self, source: Path, wheel_platform: str, python_version: str) -> None:
        self._source = source
        self._wheel_platform = wheel_platform
        self._python_version = python_version
        self.compiles = compiles_for(python_version)

    def try_bundle(self, output_dir: str, *args: Any, **kwargs: Any) -> bool:
        machine = self._wheel_platform.removeprefix(f"{MANYLINUX}_")  # uv spells it machine-first
        command = [
            uv_binary(), "pip", "install", "--quiet",
            # This interpreter, never a virtual environment found in the working folder; the
            # wheels are the target's, named by platform and version.
            "--python", sys.executable,
            "--python-platform", f"{machine}-{MANYLINUX}",
            "--python-version", self._python_version,
            "--only-binary", ":all:", "--require-hashes", "--no-deps",
            # Byte-code is compile_bundle's (reproducible) or none, whatever UV_COMPILE_BYTECODE
            # or a uv.toml say; files are copied, so the bundle shares nothing with uv's cache.
            "--no-compile-bytecode", "--link-mode", "copy",
            "--target", output_dir,
            "--requirement", str(self._source / "requirements.lock"),
        ]  # fmt: skip
        subprocess.run(command, check=True)
        (Path(output_dir) / ".lock").unlink(missing_ok=True)  # uv's lock on its target folder
        shutil.copytree(
            self._source / PACKAGE,
            Path(output_dir) / PACKAGE,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            dirs_exist_ok=True,
        )
        if self.compiles:
            compile_bundle(Path(output_dir))
        return True


def wheel_target(
    runtime: lambda_.Runtime | None, architecture: lambda_.Architecture | None, *, for_this_machine: bool = False
) -> tuple[str, str]:
    """(wheel platform tag, Python version) of the wheels that fit `runtime` on `architecture`,
    or this interpreter and CPU."""
    if for_this_machine:
        return f"{MANYLINUX}_{platform.machine()}", this_python()
    if runtime is None or architecture is None:
        raise ValueError("bundled_trigger_code needs the runtime and architecture, or for_this_machine=True")
    return f"{MANYLINUX}_{_WHEEL_MACHINE[architecture.name]}", runtime.name.removeprefix("python")


def bundled_trigger_code(
    *,
    runtime: lambda_.Runtime | None = None,
    architecture: lambda_.Architecture | None = None,
    for_this_machine: bool = False,
    source: Path = LAMBDAS_DIR,
) -> lambda_.Code:
    """One asset shared by the four triggers (CDK uploads it once).

    Wheels fit `runtime` on `architecture`, or, with `for_this_machine`, this interpreter and
    CPU: the local emulator runs every handler on its own Python whatever the template says.
    Byte-code is included when this interpreter is the target's Python (see the module's notes).
    """
    wheel_platform, python_version = wheel_target(runtime, architecture, for_this_machine=for_this_machine)
    bytecode = f"cpython-{python_version.replace('.', '')}-unchecked-hash" if compiles_for(python_version) else "none"
    return lambda_.Code.from_asset(
        str(source),
        exclude=["**/__pycache__", "**/*.pyc"],
        bundling=BundlingOptions(
            # Never pulled: local bundling always succeeds or raises.
            image=DockerImage.from_registry("local-bundling-only"),
            local=LockedLocalBundling(source, wheel_platform, python_version),
            # The local bundler is not part of the asset hash; naming the wheel platform here
            # is, so bundles for different targets never share a hash (or a stale cdk.out).
            # So is the byte-code choice: a bundle with .pyc and one without never share a hash.
            environment={"BUNDLE_TARGET": f"{wheel_platform}-cp{python_version}", "BUNDLE_BYTECODE": bytecode},
        ),
    )
