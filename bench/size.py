"""Item 3: what gets uploaded — the real bundle from stacks/captcha_auth/trigger_code.py (uv for arm64 Lambda),
zipped and unzipped, whole and handler code alone, and which packages make it big."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from collections import defaultdict
from importlib import metadata
from pathlib import Path

from bench.common import QUIET_JSII, ROOT, Section, Table, fmt_bytes, fmt_s

HANDLER_PACKAGE = "captcha_auth"
TOP_PACKAGES = 5
# Runs the construct's own bundler, so the figures follow any change to it. Importing aws_cdk
# (jsii start-up) is outside the timed part.
BUNDLE_CHILD = """\
import sys, time
root, out = sys.argv[1:3]
sys.path.insert(0, root)
from stacks.captcha_auth import CaptchaAuth
from stacks.captcha_auth.trigger_code import LAMBDAS_DIR, LockedLocalBundling, wheel_target
start = time.perf_counter()
LockedLocalBundling(LAMBDAS_DIR, *wheel_target(CaptchaAuth.RUNTIME, CaptchaAuth.ARCHITECTURE)).try_bundle(out)
print("BENCH_RESULT", time.perf_counter() - start)
"""
# What uv prints when it cannot reach the package index (as opposed to a broken requirement).
UNREACHABLE_MARKERS = (
    "error sending request for url",
    "tcp connect error",
    "dns error",
    "failed to lookup address",
    "operation timed out",
    "Connection refused",
    "Network is unreachable",
)


def build_bundle(out: Path, *, quick_fail: bool) -> float:
    """Seconds the bundler took. Raises ConnectionError when uv cannot reach the registry."""
    env = {**os.environ, **QUIET_JSII}
    if quick_fail:  # the smoke test should not wait through uv's retries when offline
        env.update({"UV_HTTP_RETRIES": "0", "UV_HTTP_TIMEOUT": "10"})
    result = subprocess.run(
        [sys.executable, "-c", BUNDLE_CHILD, str(ROOT), str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    if result.returncode != 0:
        if any(marker in output for marker in UNREACHABLE_MARKERS):
            errors = [line for line in output.splitlines() if line.startswith("error:")]
            raise ConnectionError(errors[0] if errors else "uv failed")
        raise RuntimeError(f"bundling failed:\n{output[-2000:]}")
    line = next(line for line in result.stdout.splitlines() if line.startswith("BENCH_RESULT"))
    return float(line.split()[1])


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def zipped(root: Path, files: list[Path], archive: Path) -> dict[str, int]:
    """Writes a DEFLATE zip of `files` and returns each file's compressed size by relative path."""
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for path in files:
            bundle.write(path, path.relative_to(root).as_posix())
    with zipfile.ZipFile(archive) as bundle:
        return {info.filename: info.compress_size for info in bundle.infolist()}


def owners(root: Path) -> dict[str, str]:
    """Relative path → distribution name, from each installed distribution's RECORD."""
    owner: dict[str, str] = {}
    for dist in metadata.distributions(path=[str(root)]):
        for file in dist.files or []:
            owner[Path(file).as_posix()] = dist.metadata["Name"]
    return owner


def size_section(*, quick_fail: bool = False) -> Section:
    section = Section(title="3. Size: the Lambda asset (handler code and dependencies)")
    with tempfile.TemporaryDirectory(prefix="bench-bundle-") as work:
        out = Path(work) / "asset"
        out.mkdir()
        try:
            seconds = build_bundle(out, quick_fail=quick_fail)
        except ConnectionError as exc:
            section.available = False
            section.extra["registry_unreachable"] = True
            section.notes = [f"size: skipped, uv could not reach the package registry ({exc})"]
            return section

        files = _files(out)
        compressed = zipped(out, files, Path(work) / "asset.zip")
        whole_zip = (Path(work) / "asset.zip").stat().st_size
        handler_files = [path for path in files if path.relative_to(out).parts[0] == HANDLER_PACKAGE]
        zipped(out, handler_files, Path(work) / "handler.zip")
        handler_zip = (Path(work) / "handler.zip").stat().st_size

        owner = owners(out)
        unzipped_by: dict[str, int] = defaultdict(int)
        zipped_by: dict[str, int] = defaultdict(int)
        for path in files:
            relative = path.relative_to(out).as_posix()
            name = owner.get(relative) or (
                f"{HANDLER_PACKAGE} (handler code)" if relative.startswith(HANDLER_PACKAGE + "/") else "other"
            )
            unzipped_by[name] += path.stat().st_size
            zipped_by[name] += compressed[relative]

    whole = sum(unzipped_by.values())
    handler = unzipped_by.get(f"{HANDLER_PACKAGE} (handler code)", 0)
    section.figures = {
        "size.bundle_unzipped_bytes": whole,
        "size.bundle_zipped_bytes": whole_zip,
        "size.handler_unzipped_bytes": handler,
        "size.handler_zipped_bytes": handler_zip,
        "size.bundle_seconds": seconds,
        "size.files": len(files),
    }
    section.tables.append(
        Table(
            headers=["what", "files", "unzipped", "zipped"],
            rows=[
                ["whole asset", str(len(files)), fmt_bytes(whole), fmt_bytes(whole_zip)],
                [
                    f"handler code ({HANDLER_PACKAGE}/)",
                    str(len(handler_files)),
                    fmt_bytes(handler),
                    fmt_bytes(handler_zip),
                ],
            ],
        )
    )
    top = sorted(unzipped_by, key=lambda name: unzipped_by[name], reverse=True)[:TOP_PACKAGES]
    section.tables.append(
        Table(
            title=f"Top {TOP_PACKAGES} packages by unzipped size",
            headers=["package", "unzipped", "zipped", "share of zip"],
            rows=[
                [name, fmt_bytes(unzipped_by[name]), fmt_bytes(zipped_by[name]), f"{zipped_by[name] / whole_zip:.0%}"]
                for name in top
            ],
        )
    )
    section.notes = [
        "Built by stacks/captcha_auth/trigger_code.py's LockedLocalBundling for the construct's runtime "
        f"in {fmt_s(seconds)} s "
        "(uv downloads, or reuses its cache); this is the step `python app.py` skipped in item 1.",
        "Zipped with Python's zipfile (DEFLATE, default level); CDK's own archive may differ by a few percent.",
        "Lambda's limits for a zip package: 50 MB zipped for direct upload, 250 MB unzipped "
        "(https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).",
    ]
    return section
