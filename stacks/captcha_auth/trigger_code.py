"""The triggers' code asset: `lambdas/` and its pinned dependencies, bundled without Docker.

CDK's Python bundling needs Docker; this local bundler runs uv (`uv pip install`, pinned in
requirements.txt) for the Lambda's own platform and Python version instead, so `cdk synth` works
anywhere uv does. uv, not pip: the same locked, hash-checked install in about a tenth of pip's
CPU time (0.13 s against 1.6 s on a 2-core machine), paid on every synth that rebundles.
CaptchaAuth uses `bundled_trigger_code()` unless it is given other code; `app.py` asks for
wheels that fit this machine instead when it deploys to the local emulator, which runs the
handlers on its own Python: this interpreter's platform, whatever it is (Linux, macOS), not a
Lambda one.

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

import contextlib
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
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


def this_machine() -> str:
    """This interpreter's platform, as the local bundle's name: the OS, the CPU it runs as (a
    universal2 Python on a Mac runs as either), on Linux the C library (glibc or musl, and
    glibc's version) and the ABI flags (a free-threaded build's "t"): what uv picks wheels by."""
    libc = ""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(ValueError, OSError):  # not glibc
            libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
        libc = libc.replace(" ", "") or "not-glibc"
    abi = f"abi{sys.abiflags}" if sys.abiflags else ""
    parts = ("this-machine", sysconfig.get_platform(), platform.machine(), libc, abi)
    return "-".join(part for part in parts if part)


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


class MissingBundler(RuntimeError):
    """uv is not installed. Its text is the one line the user sees."""


class BundlingFailed(RuntimeError):
    """The trigger code could not be bundled. Raised in CDK's asset staging, which hands it on
    to the app only as jsii's RuntimeError with CDK's text around it: `bundling_failures()` tells
    the app that this was the cause, and the one line to print."""


_failures: list[str] = []


def bundling_failures() -> tuple[str, ...]:
    """Why each bundle that failed in this process failed, oldest first."""
    return tuple(_failures)


def _failed(reason: str) -> BundlingFailed:
    _failures.append(reason)
    return BundlingFailed(reason)


def uv_binary() -> str:
    """The uv executable that the `uv` package (requirements.txt) installed."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):  # not installed, or installed without its binary
        raise MissingBundler(
            "the trigger code is bundled with uv: `pip install uv` (requirements.txt pins it)"
        ) from None


# The deployer's uv settings that only say where and how to fetch (a mirror, its credentials, the
# cache, the network): the wheels are hash-checked whatever they say. Every other UV_* variable
# is dropped, and uv's config files are not read (--no-config): settings such as no-binary,
# overrides, excludes or byte-code would change what is installed, or how, without an error.
_UV_FETCH_SETTINGS = re.compile(
    r"UV_(DEFAULT_INDEX|INDEX|INDEX_URL|EXTRA_INDEX_URL|FIND_LINKS|INDEX_STRATEGY|KEYRING_PROVIDER"
    r"|INDEX_[A-Z0-9_]+_(USERNAME|PASSWORD)|CREDENTIALS_DIR|CACHE_DIR|NO_CACHE|OFFLINE|HTTP_TIMEOUT"
    r"|HTTP_CONNECT_TIMEOUT|REQUEST_TIMEOUT|HTTP_RETRIES|CONCURRENT_DOWNLOADS|NATIVE_TLS|SYSTEM_CERTS"
    r"|INSECURE_HOST)"
)
# A pin in a uv- or pip-compiled lock: `name==version`, then maybe extras' brackets before the
# `==`, an environment marker, hashes on the same line, a line continuation.
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;\\]+)([^#\n]*)", re.MULTILINE)


def _uv_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("UV_") or _UV_FETCH_SETTINGS.fullmatch(k)}


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def locked_pins(lock: str) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(every pin, the pins without an environment marker) of a lock's text."""
    pins = {(_normalized(name), version, ";" in rest) for name, version, rest in _PIN.findall(lock)}
    return {(n, v) for n, v, _ in pins}, {(n, v) for n, v, marked in pins if not marked}


def installed(directory: Path) -> set[tuple[str, str]]:
    """(name, version) of each distribution installed in `directory`, from its dist-info folder."""
    found = set()
    for info in directory.glob("*.dist-info"):
        name, _, version = info.name.removesuffix(".dist-info").rpartition("-")
        found.add((_normalized(name), version))
    return found


@jsii.implements(ILocalBundling)
class LockedLocalBundling:
    """Installs the locked requirements for the target platform, then copies the package.

    Every file uv installs must match a hash in `requirements.lock` (all platforms' wheels of
    each pinned version, made by `make lock`), nothing is resolved anew (`--no-deps`), and the
    distributions installed are checked against the lock's pins: a bundle holds exactly what was
    reviewed. The lock lives in the asset's folder, so changing it changes the asset hash."""

    def __init__(self, source: Path, wheel_platform: str | None, python_version: str) -> None:
        """`wheel_platform` is Lambda's (a manylinux tag), or None for this interpreter's own."""
        self._source = source
        self._wheel_platform = wheel_platform
        self._python_version = python_version
        self._uv = uv_binary()  # now, in the synth's own process: a missing uv is one line there
        self.compiles = compiles_for(python_version)

    def try_bundle(self, output_dir: str, *args: Any, **kwargs: Any) -> bool:
        output = Path(output_dir)
        lock = self._source / "requirements.lock"
        if self._wheel_platform is None:
            target = []  # this interpreter's own platform and version
        else:
            machine = self._wheel_platform.removeprefix(f"{MANYLINUX}_")  # uv spells it machine-first
            target = ["--python-platform", f"{machine}-{MANYLINUX}", "--python-version", self._python_version]
        command = [
            self._uv, "pip", "install", "--quiet", "--no-config",
            # This interpreter, never a virtual environment found in the working folder; the
            # wheels are the target's, named by platform and version, or this interpreter's.
            "--python", sys.executable, *target,
            "--only-binary", ":all:", "--require-hashes", "--no-deps",
            # Byte-code is compile_bundle's (reproducible) or none; files are copied, so the
            # bundle shares nothing with uv's cache.
            "--no-compile-bytecode", "--link-mode", "copy",
            "--target", output_dir,
            "--requirement", str(lock),
        ]  # fmt: skip
        try:
            subprocess.run(command, check=True, env=_uv_environment())
        except subprocess.CalledProcessError as error:
            raise _failed(
                f"uv could not install the trigger code's locked dependencies (exit {error.returncode}, "
                f"its message above): check the registry or mirror you use, and {lock.name}"
            ) from None
        every_pin, unconditional = locked_pins(lock.read_text())
        got = installed(output)
        if missing := sorted(unconditional - got):
            raise _failed(f"the bundle lacks packages the lock pins: {missing}")
        if unpinned := sorted(got - every_pin):
            raise _failed(f"the bundle holds packages the lock doesn't pin: {unpinned}")
        # What the installer leaves for itself: its lock on the folder, and console scripts,
        # whose first line names this machine's interpreter (Lambda runs none of them).
        (output / ".lock").unlink(missing_ok=True)
        shutil.rmtree(output / "bin", ignore_errors=True)
        shutil.copytree(
            self._source / PACKAGE,
            output / PACKAGE,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            dirs_exist_ok=True,
        )
        if self.compiles:
            compile_bundle(output)
        return True


def wheel_target(
    runtime: lambda_.Runtime | None, architecture: lambda_.Architecture | None, *, for_this_machine: bool = False
) -> tuple[str | None, str]:
    """(wheel platform tag, Python version) of the wheels that fit `runtime` on `architecture`;
    or, for this machine, (None, this Python): wheels for this interpreter's own platform, which
    uv knows better than a tag built here (a Mac's, or a Linux with its own glibc or musl)."""
    if for_this_machine:
        return None, this_python()
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
    platform_name = wheel_platform or this_machine()
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
            environment={"BUNDLE_TARGET": f"{platform_name}-cp{python_version}", "BUNDLE_BYTECODE": bytecode},
        ),
    )
