"""Start and stop the local AWS emulator (ministack) and deploy the stack to it with the
pinned CDK CLI. Used by `make demo`, `make web`, the end-to-end tests and the benchmarks.

The emulator always binds 127.0.0.1 and is stopped by its PID.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import secrets
import shutil
import socket
import string
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from offline.processes import stop
from signin.project import ROOT, stack_name

MINISTACK_PYTHON = ROOT / ".venv-ministack" / "bin" / "python"
# ministack behind the guard (offline/emulator_guard.py): only our own tools can drive it.
GUARDED = [str(Path(__file__).resolve().parent / "ministack_guarded.py")]
# The same plus one read-only route with the pending CAPTCHA's answer (offline/inspector.py):
# for the tests and benchmarks, which play the human. `make demo` and `make web` never use it.
WITH_INSPECTOR = [str(Path(__file__).resolve().parent / "ministack_with_inspector.py")]
DEMO_EMAIL = "demo.user@example.com"
# The Node.js package.json pins, where npm has one for this platform (see path_with_pinned_node).
NODE_BIN = ROOT / "node_modules" / ".bin"
CDK_CLI = NODE_BIN / "cdk"
REGION = "us-east-1"
ACCOUNT = "000000000000"


def path_with_pinned_node(path: str | None) -> str:
    """`path` (a PATH value) with the Node.js package.json pins first, where npm installed one for
    this platform, so the CDK CLI and jsii run on it; otherwise as it is (the machine's Node).
    Empty entries, which would mean the current directory, are dropped."""
    parts = [part for part in (path or "").split(os.pathsep) if part and part != str(NODE_BIN)]
    pinned = [str(NODE_BIN)] if (NODE_BIN / "node").exists() else []
    return os.pathsep.join(pinned + parts)


def step(message: str, started: float) -> None:
    """One line of progress, with the seconds since `started`."""
    print(f"[{time.monotonic() - started:5.1f}s] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# What a trigger bundle's wheels depend on: the Python version and its ABI flags.
_PYTHON_ABI = "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}{sys.abiflags}')"


@functools.cache
def _python_abi(python: Path) -> str:
    """`python`'s version and ABI flags, asked once per process (every emulator start checks)."""
    result = subprocess.run([str(python), "-c", _PYTHON_ABI], capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else "unusable"


def check_same_python() -> None:
    """The emulator runs the triggers on its own interpreter, and the local bundle's wheels
    (Pillow's compiled part) are chosen for the project's, which runs app.py. Two venvs made by
    different Pythons (one removed and remade with another PYTHON=) would deploy a Create that
    can't import Pillow: say so before anything starts."""
    ours = f"{sys.version_info[0]}.{sys.version_info[1]}{sys.abiflags}"
    theirs = _python_abi(MINISTACK_PYTHON)
    if theirs != ours:
        emulator_venv = MINISTACK_PYTHON.parent.parent.name
        prefix = Path(sys.prefix)
        if sys.prefix != sys.base_prefix and prefix.is_relative_to(ROOT):  # a venv of the project's
            this, advice = f"this venv ({prefix.relative_to(ROOT)})", f"Remove {prefix.relative_to(ROOT)} and"
        else:  # not a venv, or one elsewhere: never advise removing it
            this, advice = f"this Python ({sys.executable})", "Run this with the project's venv, or remove"
        raise RuntimeError(
            f"The emulator's venv ({emulator_venv}) has Python {theirs} and {this} Python {ours}: the "
            f"triggers it runs are bundled for this one. {advice} {emulator_venv}, then run `make` again "
            "(PYTHON=python3.12 names the Python it makes the venvs with)."
        )


@dataclass
class Emulator:
    """One ministack process on a loopback port, with its state under `workdir`."""

    workdir: Path
    port: int = field(default_factory=free_port)
    # The program to run under ministack's interpreter; default: ministack behind the guard.
    launcher: list[str] = field(default_factory=lambda: list(GUARDED))
    # ministack's own settings on top of ours, e.g. {"AUTH": "true"} to check signatures and IAM.
    settings: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    _claim: IO[str] | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def scratch(self) -> list[Path]:
        """What one run leaves that the next doesn't use: the emulator's state and its Lambda
        workers' unpacked code (about 100 MB a deployment). Removed when it stops."""
        return [self.workdir / "state", self.workdir / "tmp", self.origins_file]

    def start(self, timeout: float = 30.0) -> Emulator:
        if not MINISTACK_PYTHON.exists():
            raise RuntimeError("The emulator is not installed: run `make install`.")
        check_same_python()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._claim_workdir()
        self._remove_scratch()  # a run that was killed before it could clean up
        (self.workdir / "tmp").mkdir()
        env = {
            **aws_environment(self.endpoint),
            "BIND_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(self.port),
            "IOT_MTLS_ENABLED": "0",
            "SFTP_ENABLED": "0",
            "STATE_DIR": str(self.workdir / "state"),
            "EMULATOR_ALLOWED_ORIGINS_FILE": str(self.origins_file),
            "TMPDIR": str(self.workdir / "tmp"),  # its Lambda workers' scratch space
            **self.settings,
        }
        log = (self.workdir / "ministack.log").open("wb")
        self.process = subprocess.Popen(
            [str(MINISTACK_PYTHON), *self.launcher],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: Ctrl-C in the demo doesn't reach it first
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The emulator exited early; see {self.workdir / 'ministack.log'}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/_ministack/health", timeout=1):  # noqa: S310 (loopback)
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("The emulator did not become ready in time.")

    @property
    def origins_file(self) -> Path:
        return self.workdir / "allowed-origins"

    def allow_origin(self, origin: str) -> None:
        """Let pages served from `origin` (our own: `make web`, the browser test) call the
        emulator from a browser; the guard refuses every other browser request."""
        if not origin.startswith(("http://127.0.0.1:", "http://localhost:")):
            raise ValueError("only a page on this machine's loopback address may be allowed")
        with self.origins_file.open("a") as handle:
            handle.write(origin + "\n")

    def _claim_workdir(self) -> None:
        """One run per work folder: a second `make demo` would remove the first one's state, its
        Lambda workers' code and its CAPTCHA files, and fail in ways that point elsewhere. The
        claim is a lock on `lock` (the system drops it if the process dies); the file keeps the
        holder's PID for the refusal, and stays, unlocked, when the run ends."""
        claim = (self.workdir / "lock").open("a+")
        try:
            fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            claim.seek(0)
            holder = claim.read().strip()[:20] or "unknown"
            claim.close()
            raise RuntimeError(
                f"Another run is using {self.workdir} (PID {holder}): end it first, or give this one its "
                "own folder with --workdir."
            ) from None
        claim.truncate(0)
        claim.write(str(os.getpid()))
        claim.flush()
        self._claim = claim

    def stop(self) -> None:
        """Stop the process we started, by its PID (and its Lambda workers with it), and
        remove what it leaves behind but its log (and the unlocked claim on its folder)."""
        if self.process is not None:
            stop(self.process)
            self._remove_scratch()
        if self._claim is not None:
            self._claim.close()  # the lock goes with it
            self._claim = None

    def _remove_scratch(self) -> None:
        for path in self.scratch:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()


def emulator_credentials(endpoint: str) -> dict[str, str]:
    """What an AWS SDK needs to talk to the emulator: dummy credentials, no shared config,
    nothing that could reach a real account."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def aws_environment(endpoint: str) -> dict[str, str]:
    """The environment for the CDK CLI and boto3 against the emulator: this one's AWS_* and
    CDK_* variables dropped, the emulator's credentials instead."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
    return {
        **keep,
        **emulator_credentials(endpoint),
        "CDK_DEFAULT_ACCOUNT": ACCOUNT,
        "CDK_DEFAULT_REGION": REGION,
        "CDK_DISABLE_VERSION_CHECK": "1",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        # `cdk` runs `python3 app.py`: the project's interpreter first on PATH, then the pinned Node.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), path_with_pinned_node(os.environ.get("PATH"))]),
    }


def cdk(args: list[str], endpoint: str, *, log: Path | None = None, cwd: Path = ROOT) -> None:
    """Run the pinned CDK CLI against the emulator (from the project, so it finds cdk.json)."""
    command = [str(CDK_CLI), *args, "--no-notices"]
    with open(log or os.devnull, "ab") as out:
        result = subprocess.run(command, cwd=cwd, env=aws_environment(endpoint), stdout=out, stderr=out, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"`cdk {args[0]}` failed" + (f"; see {log}" if log else ""))


def bootstrap(endpoint: str, workdir: Path) -> None:
    """`cdk bootstrap` into the emulator (the asset bucket and roles deploys need). Run from
    `workdir`, outside the project: next to cdk.json the CLI synthesizes the app first (to look
    for environments to bootstrap), which is most of its time, though the environment is given."""
    cdk(["bootstrap", f"aws://{ACCOUNT}/{REGION}"], endpoint, log=workdir / "cdk.log", cwd=workdir)


def deploy_stack(
    endpoint: str, workdir: Path, name: str | None = None, context: dict[str, str] | None = None
) -> dict[str, str]:
    """`cdk deploy` of app.py's stack for the local target (throw-away: sandbox); returns its outputs."""
    name = name or stack_name()
    return deploy_stacks(endpoint, workdir, [name], {"stackName": name, **(context or {})})[name]


def deploy_stacks(
    endpoint: str, workdir: Path, names: list[str], context: dict[str, str], app: str | None = None
) -> dict[str, dict[str, str]]:
    """`cdk deploy` of the named stacks, side by side, for the local target (throw-away:
    sandbox), with `context` on top of cdk.json's; `app` replaces cdk.json's app command.
    Returns each stack's outputs."""
    outputs_file = workdir / f"outputs-{'-'.join(names)}.json"
    extra = [arg for key, value in context.items() for arg in ("--context", f"{key}={value}")]
    cdk(
        [
            "deploy",
            *names,
            *(["--app", app] if app else []),
            "--concurrency",
            str(len(names)),
            "--context",
            "target=local",
            "--context",
            "sandbox=true",
            *extra,
            "--require-approval",
            "never",
            "--output",
            str(workdir / "cdk.out"),
            "--outputs-file",
            str(outputs_file),
        ],
        endpoint,
        log=workdir / "cdk.log",
    )
    outputs: dict[str, dict[str, str]] = json.loads(outputs_file.read_text())
    return {name: outputs[name] for name in names}


def deploy(endpoint: str, workdir: Path, name: str | None = None) -> dict[str, str]:
    """Bootstrap, then deploy; returns the stack's outputs."""
    bootstrap(endpoint, workdir)
    return deploy_stack(endpoint, workdir, name)


def random_password() -> str:
    """Meets the pool's policy (12+ characters with every class), from `secrets`."""
    classes = [string.ascii_lowercase, string.ascii_uppercase, string.digits, "!#%+-.:=?@^_~"]
    chars = [secrets.choice(c) for c in classes] + [secrets.choice("".join(classes)) for _ in range(16)]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


@functools.cache
def _botocore_session() -> Any:
    """One session for every client: it parses each service's model once. It reads none of the
    caller's AWS profiles or config files: an AWS_PROFILE naming a profile that isn't there
    would otherwise stop the demo after its deploy (ProfileNotFound)."""
    import botocore.session

    unread = (None, None, None, None)  # (config file key, environment variable, default, converter)
    return botocore.session.Session(
        session_vars={
            "profile": unread,
            "config_file": (None, None, os.devnull, None),
            "credentials_file": (None, None, os.devnull, None),
        }
    )


def aws_client(service: str, endpoint: str) -> Any:
    """An AWS client for the emulator, with its dummy credentials."""
    return _botocore_session().create_client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 (the emulator's dummy credential)
    )


def deploy_with_user(endpoint: str, workdir: Path, email: str = DEMO_EMAIL) -> tuple[dict[str, str], str]:
    """Bootstrap, deploy the stack under cdk.json's name, and create `email` with a random
    password: (outputs, password). The CDK CLI's log holds this run's output only."""
    (workdir / "cdk.log").unlink(missing_ok=True)  # kept between runs, it grew ~20 kB a run
    outputs = deploy(endpoint, workdir)
    password = random_password()
    create_user(aws_client("cognito-idp", endpoint), outputs["UserPoolId"], email, password)
    return outputs, password


def create_user(idp: Any, pool_id: str, email: str, password: str) -> None:
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username=email,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
    )
    idp.admin_set_user_password(UserPoolId=pool_id, Username=email, Password=password, Permanent=True)
