"""Item 2: latency each trigger adds to a sign-in, cold (fresh interpreter) and warm (in-process),
on the documented events in tests/events. Create is compared with its floor: a bare `captcha`
render of the same size and faces, interleaved call by call in the same process."""

from __future__ import annotations

import copy
import importlib
import io
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement

from bench.common import (
    LAMBDAS,
    ROOT,
    Section,
    Table,
    ensure_lambdas_importable,
    event_text,
    fmt_ms,
    fmt_ratio,
    median,
    percentile,
)
from offline.lambda_context import LocalLambdaContext

Check = Callable[[dict[str, Any]], bool]


@dataclass(frozen=True)
class Case:
    key: str
    label: str
    module: str
    event: str
    client_metadata: dict[str, str] | None
    check: Check
    # A new user for each event: a person's sign-in, as the failure counter sees it (one user's
    # sign-ins, call after call, would be a bot's run of failures, then a lock).
    new_user: bool = False

    def event_json(self) -> str:
        event = json.loads(event_text(self.event))
        if self.new_user:
            event["userName"] = event["request"]["userAttributes"]["sub"] = str(uuid.uuid4())
        if self.client_metadata is not None:
            event["request"]["clientMetadata"] = {**event["request"].get("clientMetadata", {}), **self.client_metadata}
        return json.dumps(event)


def _response(result: dict[str, Any]) -> dict[str, Any]:
    return result.get("response") or {}


def _captcha_url(result: dict[str, Any]) -> str:
    return str(_response(result).get("publicChallengeParameters", {}).get("captchaUrl", ""))


# Each fixture exercises the common path: define after the password (next: CAPTCHA), create an
# image (or audio), verify a correct answer, post-auth audit. A check guards against timing an
# error path by mistake.
DEFINE = Case(
    "define",
    "define",
    "captcha_auth.define_auth_challenge",
    "define_auth_challenge",
    None,
    lambda r: _response(r).get("challengeName") == "CUSTOM_CHALLENGE",
    new_user=True,
)
CREATE_IMAGE = Case(
    "create_image",
    "create (image)",
    "captcha_auth.create_auth_challenge",
    "create_auth_challenge",
    None,
    lambda r: _captcha_url(r).startswith("data:image/png;base64,"),
)
CREATE_AUDIO = Case(
    "create_audio",
    "create (audio)",
    "captcha_auth.create_auth_challenge",
    "create_auth_challenge",
    {"captchaFormat": "audio"},
    lambda r: _captcha_url(r).startswith("data:audio/"),
)
VERIFY = Case(
    "verify",
    "verify",
    "captcha_auth.verify_auth_challenge",
    "verify_auth_challenge",
    None,
    lambda r: _response(r).get("answerCorrect") is True,
)
POST_AUTH = Case(
    "post_auth",
    "post-auth",
    "captcha_auth.post_authentication",
    "post_authentication",
    None,
    lambda r: isinstance(r.get("request"), dict),
)
WARMUP_CALLS = 3


@dataclass(frozen=True)
class DefineStep:
    """One of Define's invocations in a sign-in: the session Cognito sends it at that point."""

    key: str
    label: str
    session: tuple[tuple[str, bool, str | None], ...]
    check: Check


_SRP = ("SRP_A", True, None)
_PASSWORD = ("PASSWORD_VERIFIER", True, None)
_WRONG = ("CUSTOM_CHALLENGE", False, "CAPTCHA_CHALLENGE")
_RIGHT = ("CUSTOM_CHALLENGE", True, "CAPTCHA_CHALLENGE")
# Define runs after every answer, so three times in a sign-in, four with one wrong answer; each
# step makes its own DynamoDB call (the lock check, the count, the reset), but the retry's. They
# are timed in this order, sign-in after sign-in, each for a new user, as people's sign-ins reach
# them: the lock check finds no record, the count creates one, the reset deletes it.
DEFINE_STEPS = (
    DefineStep(
        "define_start",
        "define: after SRP_A",
        (_SRP,),
        lambda r: _response(r).get("challengeName") == "PASSWORD_VERIFIER",
    ),
    DefineStep("define", "define: after the password", (_SRP, _PASSWORD), DEFINE.check),
    DefineStep(
        "define_retry",
        "define: after a wrong answer",
        (_SRP, _PASSWORD, _WRONG),
        lambda r: _response(r).get("challengeName") == "CUSTOM_CHALLENGE",
    ),
    DefineStep(
        "define_tokens",
        "define: after the CAPTCHA",
        (_SRP, _PASSWORD, _WRONG, _RIGHT),
        lambda r: _response(r).get("issueTokens") is True,
    ),
)

# Runs in a fresh interpreter: times the handler import and its first call separately, from
# inside the process (interpreter start-up is reported apart, as process wall time).
COLD_CHILD = """\
import importlib, json, resource, sys, time
path_entry, module_name, event_json, project_root = sys.argv[1:5]
sys.path.insert(0, project_root)
from offline.lambda_context import LocalLambdaContext
sys.path[0] = path_entry
event = json.loads(event_json)
context = LocalLambdaContext()
start = time.perf_counter()
module = importlib.import_module(module_name)
imported = time.perf_counter()
module.lambda_handler(event, context)
called = time.perf_counter()
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("BENCH_RESULT " + json.dumps(
    {"import_ms": (imported - start) * 1000, "first_call_ms": (called - imported) * 1000, "peak_kb": peak_kb}
))
"""


# What Define's counter would cost on a cold start with the runtime's SDK instead of
# captcha_auth/aws_json.py: a fresh interpreter imports botocore, makes a session and the two
# clients Define makes on its first counter step (Secrets Manager for the hashing key, DynamoDB),
# with Define's timeout and tries, and calls nothing.
SDK_CHILD = """\
import json, sys, time
config = json.loads(sys.argv[1])
start = time.perf_counter()
import botocore.session
from botocore.config import Config
session = botocore.session.get_session()
for service in ("secretsmanager", "dynamodb"):
    session.create_client(service, config=Config(**config))
print("BENCH_RESULT " + json.dumps({"sdk_ms": (time.perf_counter() - start) * 1000}))
"""


def _sdk_once() -> float:
    from captcha_auth.failure_counter import ATTEMPTS, TIMEOUT_SECONDS

    config = {
        "connect_timeout": TIMEOUT_SECONDS,
        "read_timeout": TIMEOUT_SECONDS,
        "retries": {"total_max_attempts": ATTEMPTS},
    }
    command = [sys.executable, "-I", "-c", SDK_CHILD, json.dumps(config)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith("BENCH_RESULT ")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"the SDK's cold start failed:\n{(result.stdout + result.stderr)[-2000:]}")
    return float(json.loads(lines[-1].removeprefix("BENCH_RESULT "))["sdk_ms"])


def audio_available() -> bool:
    """Audio is optional while it is being written: a NotImplementedError means "not yet"."""
    ensure_lambdas_importable()
    from captcha_auth import challenge

    try:
        challenge.audio_data_url(challenge.new_answer())
    except NotImplementedError:
        return False
    return True


# ---- cold ------------------------------------------------------------------------------


def _runtime_requirements() -> list[str]:
    lines = (LAMBDAS / "requirements.txt").read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def _distribution_closure(requirements: list[str]) -> list[metadata.Distribution]:
    """The installed distributions the triggers need (extras excluded), as pip would bundle them."""
    seen: dict[str, metadata.Distribution] = {}
    pending = [Requirement(line) for line in requirements]
    while pending:
        requirement = pending.pop()
        name = requirement.name.lower().replace("_", "-")
        if name in seen:
            continue
        dist = metadata.distribution(requirement.name)
        seen[name] = dist
        for raw in dist.requires or []:
            dependency = Requirement(raw)
            if dependency.marker is None or dependency.marker.evaluate({"extra": ""}):
                pending.append(dependency)
    return list(seen.values())


def bundle_like_tree(dest: Path) -> Path:
    """The handler package and its installed dependencies copied without any .pyc: what the
    deployed bundle holds (pip --no-compile), so every import compiles from source, as on
    Lambda, where the code directory is read-only. The standard library keeps its .pyc."""
    for dist in _distribution_closure(_runtime_requirements()):
        for file in dist.files or []:
            if "__pycache__" in file.parts or file.suffix == ".pyc" or ".." in file.parts:
                continue
            source = Path(str(dist.locate_file(file)))
            if source.is_file():
                target = dest / file
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
    shutil.copytree(
        LAMBDAS / "captcha_auth", dest / "captcha_auth", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    return dest


def compiled_tree(dest: Path) -> Path:
    """The same tree with the byte-code the bundler ships when its Python is the runtime's
    (stacks/captcha_auth/trigger_code.py's own compile step: unchecked-hash .pyc)."""
    from stacks.captcha_auth.trigger_code import compile_bundle

    bundle_like_tree(dest)
    compile_bundle(dest)
    return dest


def _cold_once(case: Case, path_entry: Path, *, bundled: bool) -> dict[str, float]:
    # -I: no user site or PYTHON* variables; -B with the bundle-like tree keeps it free of .pyc.
    flags = ["-I", "-B"] if bundled else ["-I"]
    command = [sys.executable, *flags, "-c", COLD_CHILD, str(path_entry), case.module, case.event_json(), str(ROOT)]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wall_ms = (time.perf_counter() - start) * 1000
    lines = [line for line in result.stdout.splitlines() if line.startswith("BENCH_RESULT ")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"cold start of {case.label} failed:\n{(result.stdout + result.stderr)[-2000:]}")
    figures = json.loads(lines[-1].removeprefix("BENCH_RESULT "))
    return {**figures, "wall_ms": wall_ms}


def cold_starts(cases: list[Case], reps: int) -> dict[str, dict[str, float]]:
    """Median of `reps` fresh interpreters per handler: with a developer's .pyc, and as bundled
    without and with the bundler's byte-code, the last two alternated run by run. One
    unmeasured run first writes any missing .pyc of the developer's tree."""
    results: dict[str, dict[str, float]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-bundle-like-") as tree_dir,
        tempfile.TemporaryDirectory(prefix="bench-bundle-pyc-") as pyc_dir,
    ):
        tree = bundle_like_tree(Path(tree_dir))
        compiled = compiled_tree(Path(pyc_dir))
        for case in cases:
            _cold_once(case, LAMBDAS, bundled=False)
            cached = [_cold_once(case, LAMBDAS, bundled=False) for _ in range(reps)]
            bundled: list[dict[str, float]] = []
            with_pyc: list[dict[str, float]] = []
            sdk: list[float] = []
            for _ in range(reps):
                bundled.append(_cold_once(case, tree, bundled=True))
                with_pyc.append(_cold_once(case, compiled, bundled=True))
                if case is DEFINE:
                    sdk.append(_sdk_once())
            results[case.key] = {
                "import_ms": median([r["import_ms"] for r in cached]),
                "import_bundled_ms": median([r["import_ms"] for r in bundled]),
                "first_call_ms": median([r["first_call_ms"] for r in bundled]),
                "total_bundled_ms": median([r["import_ms"] + r["first_call_ms"] for r in bundled]),
                "import_pyc_ms": median([r["import_ms"] for r in with_pyc]),
                "first_call_pyc_ms": median([r["first_call_ms"] for r in with_pyc]),
                "total_pyc_ms": median([r["import_ms"] + r["first_call_ms"] for r in with_pyc]),
                "peak_mb": median([r["peak_kb"] for r in bundled]) / 1024,
                "wall_ms": median([r["wall_ms"] for r in bundled]),
                **({"sdk_ms": median(sdk)} if sdk else {}),
            }
    return results


# ---- warm ------------------------------------------------------------------------------


class _ByteCounter(io.TextIOBase):
    """Stands in for stdout: the handlers still format and write every log line (part of
    their cost on Lambda), and the bytes are counted for the log-ingestion estimate."""

    def __init__(self) -> None:
        self.count = 0

    def write(self, text: str) -> int:
        self.count += len(text.encode("utf-8"))
        return len(text)


class _LogBytes(io.TextIOBase):
    """Stands in for stdout, where the handlers write every log line (formatted exactly as on
    Lambda, whose JSON log format stores such a line as it is): counts the bytes of all lines,
    and apart those of embedded-metric-format lines (`_aws`), should any handler write one."""

    def __init__(self) -> None:
        self.logs = _ByteCounter()
        self.metrics = _ByteCounter()

    def write(self, text: str) -> int:
        (self.metrics if '"_aws"' in text else self.logs).write(text)
        return len(text)

    def reset(self) -> None:
        self.logs.count = self.metrics.count = 0


@contextmanager
def _counted_logs() -> Iterator[_LogBytes]:
    """The logger's handler (Powertools' stream handler, which holds the stdout of import
    time) and stdout itself both write to the counter while the block runs."""
    ensure_lambdas_importable()
    from captcha_auth.common import logger

    counted = _LogBytes()
    handler = logger.registered_handler
    previous = handler.setStream(counted)  # type: ignore[attr-defined]
    try:
        with redirect_stdout(counted):
            yield counted
    finally:
        handler.setStream(previous)  # type: ignore[attr-defined]


def _handler(case: Case) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    ensure_lambdas_importable()
    return importlib.import_module(case.module).lambda_handler  # type: ignore[no-any-return]


def _warm_up(case: Case, handler: Callable[[dict[str, Any], Any], dict[str, Any]]) -> dict[str, Any]:
    context = LocalLambdaContext()
    result: dict[str, Any] = {}
    for _ in range(WARMUP_CALLS):
        result = handler(json.loads(case.event_json()), context)
    if not case.check(result):
        raise RuntimeError(f"{case.label}: the fixture did not take the expected path: {str(result)[:300]}")
    return result


def warm_latency(case: Case, calls: int) -> dict[str, float]:
    handler = _handler(case)
    text = case.event_json()
    events = [json.loads(text) for _ in range(calls)]  # fresh copies, built outside the timing
    context = LocalLambdaContext()
    timings: list[float] = []
    cpu: list[float] = []
    with _counted_logs() as logs:
        last = _warm_up(case, handler)
        logs.reset()
        for event in events:
            start, start_cpu = time.perf_counter(), time.thread_time()
            handler(event, context)
            cpu.append((time.thread_time() - start_cpu) * 1000)
            timings.append((time.perf_counter() - start) * 1000)
    figures = {
        "p50_ms": median(timings),
        "p99_ms": percentile(timings, 99),
        # The handler's own CPU time; the rest of its wall time is waiting (define: DynamoDB).
        "cpu_p50_ms": median(cpu),
        "calls": calls,
        "log_bytes": logs.logs.count / calls,
        "metric_bytes": logs.metrics.count / calls,
    }
    if case.key.startswith("create"):
        figures["url_chars"] = len(_captcha_url(last))
    return figures


def define_sign_ins(sign_ins: int) -> dict[str, dict[str, float]]:
    """Warm figures for each of DEFINE_STEPS, from `sign_ins` sign-ins through all four."""
    handler = _handler(DEFINE)
    base = json.loads(DEFINE.event_json())
    context = LocalLambdaContext()
    timings: dict[str, list[float]] = {step.key: [] for step in DEFINE_STEPS}
    cpu: dict[str, list[float]] = {step.key: [] for step in DEFINE_STEPS}
    log_bytes = dict.fromkeys(timings, 0)
    metric_bytes = dict.fromkeys(timings, 0)

    def event(step: DefineStep, user: str) -> dict[str, Any]:
        fresh = copy.deepcopy(base)
        fresh["userName"] = fresh["request"]["userAttributes"]["sub"] = user
        fresh["request"]["session"] = [
            {"challengeName": name, "challengeResult": result, "challengeMetadata": meta}
            for name, result, meta in step.session
        ]
        return fresh

    with _counted_logs() as logs:
        for n in range(WARMUP_CALLS + sign_ins):
            user = str(uuid.uuid4())
            events = [event(step, user) for step in DEFINE_STEPS]  # built outside the timing
            for step, fresh in zip(DEFINE_STEPS, events, strict=True):
                logs.reset()
                start, start_cpu = time.perf_counter(), time.thread_time()
                result = handler(fresh, context)
                elapsed_cpu = (time.thread_time() - start_cpu) * 1000
                elapsed = (time.perf_counter() - start) * 1000
                if not step.check(result):
                    raise RuntimeError(f"{step.label}: not the expected path: {str(result)[:300]}")
                if n >= WARMUP_CALLS:
                    timings[step.key].append(elapsed)
                    cpu[step.key].append(elapsed_cpu)
                    log_bytes[step.key] += logs.logs.count
                    metric_bytes[step.key] += logs.metrics.count
    return {
        key: {
            "p50_ms": median(timings[key]),
            "p99_ms": percentile(timings[key], 99),
            "cpu_p50_ms": median(cpu[key]),
            "calls": sign_ins,
            "log_bytes": log_bytes[key] / sign_ins,
            "metric_bytes": metric_bytes[key] / sign_ins,
        }
        for key in timings
    }


def floor_renderer() -> Any:
    """A bare ImageCaptcha of the shipped style's size, faces and font sizes (read from the
    style, so the two can never drift apart): the library's own picture, without the outlines,
    noise and warp the shipped one adds."""
    ensure_lambdas_importable()
    from captcha.image import ImageCaptcha

    from captcha_auth.challenge import SHIPPED_STYLE as style

    return ImageCaptcha(width=style.width, height=style.height, fonts=list(style.fonts), font_sizes=style.font_sizes)


def create_vs_floor(calls: int) -> dict[str, float]:
    """Create (image) and the bare render, alternated call by call so drift hits both."""
    from captcha_auth.challenge import ALPHABET, ANSWER_LENGTH

    handler = _handler(CREATE_IMAGE)
    renderer = floor_renderer()
    # Same length and alphabet as a real answer; not secret, so `random` is fine here.
    answers = ["".join(random.choices(ALPHABET, k=ANSWER_LENGTH)) for _ in range(calls + WARMUP_CALLS)]
    text = CREATE_IMAGE.event_json()
    events = [json.loads(text) for _ in range(calls)]
    context = LocalLambdaContext()
    ours: list[float] = []
    ours_cpu: list[float] = []
    floor: list[float] = []
    with _counted_logs() as logs:
        last = _warm_up(CREATE_IMAGE, handler)
        for answer in answers[:WARMUP_CALLS]:
            renderer.generate(answer, format="png")
        logs.reset()
        for event, answer in zip(events, answers[WARMUP_CALLS:], strict=False):
            start, start_cpu = time.perf_counter(), time.thread_time()
            handler(event, context)
            middle, middle_cpu = time.perf_counter(), time.thread_time()
            renderer.generate(answer, format="png").getvalue()
            floor.append((time.perf_counter() - middle) * 1000)
            ours.append((middle - start) * 1000)
            ours_cpu.append((middle_cpu - start_cpu) * 1000)
    return {
        "p50_ms": median(ours),
        "p99_ms": percentile(ours, 99),
        "cpu_p50_ms": median(ours_cpu),
        "calls": calls,
        "log_bytes": logs.logs.count / calls,
        "metric_bytes": logs.metrics.count / calls,
        "url_chars": len(_captcha_url(last)),
        "floor_p50_ms": median(floor),
        "floor_p99_ms": percentile(floor, 99),
    }


# ---- section ---------------------------------------------------------------------------


def triggers_section(*, warm_calls: int, create_calls: int, audio_calls: int, cold_reps: int) -> Section:
    has_audio = audio_available()
    cases = [DEFINE, CREATE_IMAGE, *([CREATE_AUDIO] if has_audio else []), VERIFY, POST_AUTH]
    cold = cold_starts(cases, cold_reps)
    # Create (image) is timed once, alternated with its floor; its row in the warm table is that run.
    versus = create_vs_floor(create_calls)
    warm = {
        case.key: versus
        if case is CREATE_IMAGE
        else warm_latency(case, audio_calls if case is CREATE_AUDIO else warm_calls)
        for case in cases
        if case is not DEFINE
    }
    # Define's warm figures are its four steps along sign-ins (one of them is DEFINE's fixture).
    warm.update(define_sign_ins(max(1, warm_calls // 2)))

    section = Section(title="2. Triggers: cold start and warm latency")
    for key, values in cold.items():
        section.figures.update({f"{key}.cold_{name}": value for name, value in values.items()})
    for key, values in warm.items():
        section.figures.update(
            {f"{key}.warm_{name}": value for name, value in values.items() if not name.startswith("floor_")}
        )
    section.figures["create_floor.warm_p50_ms"] = versus["floor_p50_ms"]
    section.figures["create_floor.warm_p99_ms"] = versus["floor_p99_ms"]
    section.figures["create_vs_floor.ratio_p50"] = versus["p50_ms"] / versus["floor_p50_ms"]
    section.figures["create_vs_floor.ratio_p99"] = versus["p99_ms"] / versus["floor_p99_ms"]
    section.figures["audio_available"] = float(has_audio)

    missing_audio = ["create (audio)", "audio: not available"]
    cold_rows = []
    for case in [DEFINE, CREATE_IMAGE, CREATE_AUDIO, VERIFY, POST_AUTH]:
        if case.key not in cold:
            cold_rows.append(missing_audio + [""] * 8)
            continue
        c = cold[case.key]
        cold_rows.append(
            [
                case.label,
                f"tests/events/{case.event}.json",
                fmt_ms(c["import_ms"]),
                fmt_ms(c["import_bundled_ms"]),
                fmt_ms(c["first_call_ms"]),
                fmt_ms(c["total_bundled_ms"]),
                fmt_ms(c["import_pyc_ms"]),
                fmt_ms(c["total_pyc_ms"]),
                fmt_ratio(c["total_bundled_ms"] / c["total_pyc_ms"]),
                f"{c['peak_mb']:.0f}",
                fmt_ms(c["wall_ms"]),
            ]
        )
        if "sdk_ms" in c:
            # Only the cold total compares: the SDK's row has no event, no import of ours, no call.
            sdk = fmt_ms(c["sdk_ms"])
            cold_rows.append(["for comparison, define's clients from botocore", "none", *[""] * 5, sdk, *[""] * 3])
    section.tables.append(
        Table(
            title=f"Cold start: fresh interpreter, median of {cold_reps}",
            headers=[
                "handler",
                "event",
                "import ms (developer's .pyc)",
                "no .pyc: import ms",
                "no .pyc: first call ms",
                "no .pyc: cold ms",
                "bundled .pyc: import ms",
                "bundled .pyc: cold ms",
                "cold no .pyc / .pyc",
                "peak RSS MB",
                "process wall ms",
            ],
            rows=cold_rows,
        )
    )
    warm_rows = []
    for key, label in [
        *((step.key, step.label) for step in DEFINE_STEPS),
        *((case.key, case.label) for case in (CREATE_IMAGE, CREATE_AUDIO, VERIFY, POST_AUTH)),
    ]:
        if key not in warm:
            warm_rows.append(missing_audio + [""] * 4)
            continue
        w = warm[key]
        warm_rows.append(
            [
                label,
                str(int(w["calls"])),
                fmt_ms(w["p50_ms"]),
                fmt_ms(w["p99_ms"]),
                fmt_ms(w["cpu_p50_ms"]),
                f"{w['log_bytes']:.0f}",
                f"{w['metric_bytes']:.0f}",
            ]
        )
    section.tables.append(
        Table(
            title="Warm: in-process calls on a fresh copy of the event (Define: along sign-ins)",
            headers=["handler", "calls", "p50 ms", "p99 ms", "CPU p50 ms", "log bytes/call", "EMF bytes/call"],
            rows=warm_rows,
        )
    )
    section.tables.append(
        Table(
            title=f"Create (image) vs its floor, a bare `ImageCaptcha.generate` of the same size, faces "
            f"and answer length, {create_calls} alternated calls",
            headers=["", "p50 ms", "p99 ms"],
            rows=[
                ["create handler (image)", fmt_ms(versus["p50_ms"]), fmt_ms(versus["p99_ms"])],
                ["floor: bare render (PNG)", fmt_ms(versus["floor_p50_ms"]), fmt_ms(versus["floor_p99_ms"])],
                [
                    "ratio handler/floor",
                    fmt_ratio(section.figures["create_vs_floor.ratio_p50"]),
                    fmt_ratio(section.figures["create_vs_floor.ratio_p99"]),
                ],
            ],
        )
    )
    section.notes = [
        "Cold: `python -I -c` imports the handler module and calls `lambda_handler` once with the fixture; "
        "import and first call are timed inside the child, process wall time includes interpreter start-up.",
        '"no .pyc": the handler and its dependencies copied without .pyc, as the bundler ships them when '
        "its Python is not the runtime's (the default PYTHON_3_14 from a 3.11 machine): /var/task is "
        'read-only, so Lambda compiles them on every cold start. "bundled .pyc": the same tree with the '
        "bundler's unchecked-hash byte-code (stacks/captcha_auth/trigger_code.py's compile step), as "
        "shipped when the versions match; the two alternate run by run. Cold = import + first call. "
        "Peak RSS and wall time are from the no-.pyc runs; peak RSS excludes the Lambda runtime "
        "client's own memory. Define's first call makes its two clients (captcha_auth/aws_json.py, "
        "from the standard library) and calls the local emulator over HTTP: no TLS handshake, which on "
        "AWS adds a network round trip or two, as it would for any SDK; the TLS context (the system's "
        "certificates) is loaded all the same.",
        "For comparison, define's clients from botocore: a fresh `python -I` that imports botocore (with "
        "this machine's .pyc, as Lambda's runtime provides it), makes a session and the two clients "
        "Define makes on its first counter step (Secrets Manager for the hashing key, DynamoDB), with "
        "Define's timeout and tries, and calls nothing, alternated with define's runs: what Define's cold "
        "start would hold before any code of its own ran, had it kept botocore.",
        f"Create's captchaUrl: {warm['create_image']['url_chars']:.0f} characters (image)"
        + (f", {warm['create_audio']['url_chars']:.0f} (audio)." if has_audio else "."),
        "Warm: log lines are formatted and written as on Lambda, to a byte counter instead of stdout "
        "(bytes include the newline). The metrics are counted from these lines by the construct's "
        "metric filters, so no handler writes an embedded-metric-format line (EMF bytes stay 0). "
        "CPU p50 is the handler thread's CPU time; the rest of p50 is waiting (define: one DynamoDB "
        "call to the local emulator, none after a wrong answer).",
        f"Define, warm: {max(1, warm_calls // 2)} sign-ins, each for a new user, call it in the order "
        "Cognito does (after SRP_A, after the password, after a wrong answer, after the right one), "
        "so its DynamoDB calls meet the table as a person's sign-in does: the lock check finds no "
        "record, the count creates one, the reset deletes it. Its decision to issue tokens writes "
        "no line (post-authentication's is that record). Define's cold start is timed on the step "
        "after the password.",
    ]
    if has_audio:
        section.notes.append(f"Audio is slow to render, so it is called {audio_calls} times, not {create_calls}.")
    else:
        section.notes.append("audio: not available (the audio renderer raises NotImplementedError in this version).")
    return section
