"""The trigger code asset: a locked bundle, byte-code when the bundling Python is the runtime's,
and an asset hash that follows the lock and the byte-code choice."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from signin.project import cdk_json_context
from stacks.captcha_auth import CaptchaAuth, bundled_trigger_code, trigger_code
from stacks.captcha_auth.trigger_code import LAMBDAS_DIR, LockedLocalBundling, this_python, wheel_target
from tests.support import resources


def asset_key(source: Path, *, for_this_machine: bool = False) -> str:
    """The triggers' asset key in a template, unbundled: for Lambda's default target, or the local emulator's."""
    app = cdk.App(context={**cdk_json_context(), "aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "Asset")
    target: dict[str, Any] = (
        {"for_this_machine": True}
        if for_this_machine
        else {"runtime": CaptchaAuth.RUNTIME, "architecture": CaptchaAuth.ARCHITECTURE}
    )
    code = bundled_trigger_code(**target, source=source)
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
    lock.write_text(lock.read_text().replace("captcha==0.7.1", "captcha==0.7.0"))
    assert asset_key(source) != before


def test_the_local_bundles_hash_names_this_machines_cpu_and_c_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make demo` keeps its cdk.out between runs: a bundle built for another CPU (a universal2
    Python on a Mac runs as either) or another C library must never be taken for this one's."""
    source = copy_of_lambdas(tmp_path)
    key = asset_key(source, for_this_machine=True)
    assert asset_key(source, for_this_machine=True) == key
    with monkeypatch.context() as patch:
        patch.setattr("platform.machine", lambda: "riscv64")
        keys = {key, asset_key(source, for_this_machine=True)}
    if sys.platform.startswith("linux"):

        def not_glibc(name: str) -> str:
            raise ValueError(name)

        monkeypatch.setattr("os.confstr", not_glibc)  # as on musl
        keys.add(asset_key(source, for_this_machine=True))
    assert len(keys) == (3 if sys.platform.startswith("linux") else 2)


def test_every_bundled_requirement_is_pinned_and_hashed() -> None:
    lock = (LAMBDAS_DIR / "requirements.lock").read_text()
    requirements = re.findall(r"^([A-Za-z0-9_.-]+)==\S+ \\$", lock, flags=re.MULTILINE)
    # Powertools (the triggers' logger) brings jmespath and typing-extensions.
    assert set(requirements) == {"aws-lambda-powertools", "captcha", "jmespath", "pillow", "typing-extensions"}
    for block in re.split(r"\n(?=[A-Za-z])", lock.strip()):
        if not block.startswith("#"):  # uv's header
            assert "--hash=sha256:" in block, block.splitlines()[0]


@pytest.fixture(scope="module")
def default_runtime_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The trigger code bundled for the construct's runtime and architecture, as a deploy does."""
    bundler = LockedLocalBundling(LAMBDAS_DIR, *wheel_target(CaptchaAuth.RUNTIME, CaptchaAuth.ARCHITECTURE))
    output = tmp_path_factory.mktemp("bundle")
    assert bundler.try_bundle(str(output))
    return output


def test_the_bundle_holds_the_locked_wheels_files_and_the_handler_package_only(default_runtime_bundle: Path) -> None:
    """The distributions are the lock's pins, all of them; every file is in one's RECORD, the
    handler package's, or byte-code: nothing the installer leaves for itself (uv's lock on its
    folder, console scripts naming this machine's interpreter)."""
    every_pin, _ = trigger_code.locked_pins((LAMBDAS_DIR / "requirements.lock").read_text())
    listed: set[Path] = set()
    distributions = list(metadata.distributions(path=[str(default_runtime_bundle)]))
    assert {(trigger_code._normalized(d.metadata["Name"]), d.version) for d in distributions} == every_pin
    for distribution in distributions:
        listed.update((default_runtime_bundle / file).resolve() for file in distribution.files or [])
    package = default_runtime_bundle / "captcha_auth"
    stray = [
        path.relative_to(default_runtime_bundle).as_posix()
        for path in default_runtime_bundle.rglob("*")
        if path.is_file()
        and path.resolve() not in listed
        and package not in path.parents
        and not (path.suffix == ".pyc" and path.parent.name == "__pycache__")
    ]
    assert stray == []
    assert (package / "common.py").is_file() and not (default_runtime_bundle / "bin").exists()


def test_lock_pins_are_read_as_uv_and_pip_compile_write_them() -> None:
    lock = (
        "# a comment\na.b_c==1.0.post1 \\\n    --hash=sha256:00\n    # via d==9.9\nreq[socks]==2.31.0 \\\n"
        "    --hash=sha256:00\nonly-win==2.0rc1 ; sys_platform == 'win32' \\\n    --hash=sha256:00\n"
        "one-line==1.0+local --hash=sha256:00\n-e ./local\n"
    )
    every, unconditional = trigger_code.locked_pins(lock)
    assert every == {("a-b-c", "1.0.post1"), ("req", "2.31.0"), ("only-win", "2.0rc1"), ("one-line", "1.0+local")}
    assert unconditional == every - {("only-win", "2.0rc1")}  # a marked pin may be left out


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (lambda pins: pins[1:], r"lacks packages the lock pins: \[\('aws-lambda-powertools', "),
        (lambda pins: [*pins, ("evil", "1.0")], r"holds packages the lock doesn't pin: \[\('evil', '1\.0'\)\]"),
    ],
)
def test_the_bundler_checks_the_installed_packages_against_the_lock(
    change: Any, refusal: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the installer did (here a stand-in that leaves a package out or adds one), the
    bundle stops unless its distributions are the lock's pins."""
    _, pins = trigger_code.locked_pins((LAMBDAS_DIR / "requirements.lock").read_text())

    def installer(command: list[str], **_: Any) -> None:
        target = Path(command[command.index("--target") + 1])
        for name, version in change(sorted(pins)):
            (target / f"{name.replace('-', '_')}-{version}.dist-info").mkdir(parents=True)

    monkeypatch.setattr(trigger_code.subprocess, "run", installer)
    bundler = LockedLocalBundling(LAMBDAS_DIR, *wheel_target(CaptchaAuth.RUNTIME, CaptchaAuth.ARCHITECTURE))
    with pytest.raises(RuntimeError, match=refusal):
        bundler.try_bundle(str(tmp_path / "out"))


def test_the_deployers_uv_settings_cant_change_the_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_runtime_bundle: Path
) -> None:
    """A uv.toml where `cdk synth` runs that would take nothing published after 2001 (a setting
    with no command-line counterpart), a variable that would leave Pillow out, and one that
    contradicts a flag of the bundler's: the bundle is the default one all the same."""
    (tmp_path / "uv.toml").write_text('[pip]\nexclude-newer = "2001-01-01T00:00:00Z"\n')
    (tmp_path / "exclude.txt").write_text("pillow\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("UV_EXCLUDE", str(tmp_path / "exclude.txt"))
    monkeypatch.setenv("UV_COMPILE_BYTECODE", "1")
    bundler = LockedLocalBundling(LAMBDAS_DIR, *wheel_target(CaptchaAuth.RUNTIME, CaptchaAuth.ARCHITECTURE))
    out = tmp_path / "out"
    assert bundler.try_bundle(str(out))
    assert tree(out) == tree(default_runtime_bundle)  # byte for byte


def test_only_the_deployers_fetch_settings_reach_uv(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("UV_INDEX_URL", "UV_CACHE_DIR", "UV_INDEX_MIRROR_PASSWORD", "HTTPS_PROXY"):
        monkeypatch.setenv(name, "kept")
    for name in ("UV_COMPILE_BYTECODE", "UV_OVERRIDE", "UV_EXCLUDE", "UV_CONFIG_FILE", "UV_NO_VERIFY_HASHES"):
        monkeypatch.setenv(name, "dropped")
    environment = trigger_code._uv_environment()
    assert {k for k, v in environment.items() if v == "kept"} == {
        "UV_INDEX_URL",
        "UV_CACHE_DIR",
        "UV_INDEX_MIRROR_PASSWORD",
        "HTTPS_PROXY",
    }
    assert "dropped" not in environment.values()


def test_the_bundler_refuses_a_file_whose_hash_is_not_in_the_lock(
    tmp_path: Path, default_runtime_bundle: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A real uv run against the registry, with every hash of captcha's in the lock altered
    (the control: the untouched lock installs, default_runtime_bundle)."""
    assert (default_runtime_bundle / "captcha").is_dir()
    source = copy_of_lambdas(tmp_path)
    lock = source / "requirements.lock"
    text = lock.read_text()
    start = text.index("captcha==0.7.1")
    end = text.index("# via", start)
    lock.write_text(text[:start] + re.sub(r"[0-9a-f]{64}", "0" * 64, text[start:end]) + text[end:])
    bundler = LockedLocalBundling(source, *wheel_target(CaptchaAuth.RUNTIME, CaptchaAuth.ARCHITECTURE))
    with pytest.raises(trigger_code.BundlingFailed, match=r"^uv could not install .* \(exit [1-9]"):
        bundler.try_bundle(str(tmp_path / "out"))
    assert "hash mismatch" in capfd.readouterr().err.lower()


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_bundle_for_this_python_has_reproducible_unchecked_hash_bytecode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `target=local` (the emulator) gets, and a deployer whose Python is the runtime's."""
    first, second = tmp_path / "first", tmp_path / "second"
    # As a Mac names its CPU: the wheels must be this interpreter's, not a Linux tag made from it.
    monkeypatch.setattr("platform.machine", lambda: "arm64")
    bundler = LockedLocalBundling(LAMBDAS_DIR, *wheel_target(None, None, for_this_machine=True))
    assert bundler.compiles
    with ThreadPoolExecutor(2) as pool:  # two uv runs at once, in different folders
        assert all(pool.map(bundler.try_bundle, (str(first), str(second))))
    tag = f"cpython-{this_python().replace('.', '')}"
    for module in (*(first / "captcha_auth").glob("*.py"), first / "PIL" / "Image.py", first / "captcha" / "image.py"):
        pyc = module.parent / "__pycache__" / f"{module.stem}.{tag}.pyc"
        header = pyc.read_bytes()[:16]
        assert int.from_bytes(header[4:8], "little") == 0b01, pyc  # hash-based, source never checked
    assert tree(first) == tree(second)  # byte for byte, though built in different folders
    assert (
        b"/var/task/captcha_auth/common.py" in (first / "captcha_auth/__pycache__" / f"common.{tag}.pyc").read_bytes()
    )
    # The emulator runs the handlers on this interpreter: the bundle's Pillow (a compiled
    # extension) and the handlers import on it, from the bundle.
    check = (
        "import sys; sys.path.insert(0, sys.argv[1]); import PIL._imaging, PIL, captcha_auth.challenge; "
        "sys.exit(not PIL.__file__.startswith(sys.argv[1]))"
    )
    subprocess.run([sys.executable, "-I", "-c", check, str(first)], check=True)


def test_a_bundle_for_another_python_has_no_bytecode(default_runtime_bundle: Path) -> None:
    if CaptchaAuth.RUNTIME.name == f"python{this_python()}":
        pytest.skip("this Python is the default runtime's")
    bundler = LockedLocalBundling(LAMBDAS_DIR, *wheel_target(CaptchaAuth.RUNTIME, CaptchaAuth.ARCHITECTURE))
    assert not bundler.compiles
    assert (default_runtime_bundle / "captcha_auth" / "common.py").is_file()
    assert not list(default_runtime_bundle.rglob("*.pyc")) and not list(default_runtime_bundle.rglob("__pycache__"))


def test_same_sources_same_hash_and_bytecode_changes_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CDK hashes this asset by its sources and bundling options (AssetHashType.SOURCE), not by
    the bundle: the byte-code choice is named in the options, so it changes the hash."""
    source = copy_of_lambdas(tmp_path)
    key = asset_key(source)
    assert asset_key(source) == key
    monkeypatch.setattr(trigger_code, "compiles_for", lambda version: True)
    assert asset_key(source) != key


def test_without_uv_the_bundler_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uv", None)  # as if not installed: importing it fails
    with pytest.raises(trigger_code.MissingBundler, match=r"bundled with uv: `pip install uv`"):
        bundled_trigger_code(runtime=CaptchaAuth.RUNTIME, architecture=CaptchaAuth.ARCHITECTURE)
