"""The local tooling cleans up after itself and fails before doing harm."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from offline import demo, emulator, web
from offline.emulator import NODE_BIN, Emulator, aws_client, aws_environment, check_same_python, path_with_pinned_node
from signin.project import ROOT


@pytest.fixture
def input_from_a_pipe(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The demo's input a pipe, where an answer may come. What a test's own input is depends on
    how pytest runs (/dev/null in xdist's workers and with -s), and the demo refuses /dev/null first."""
    read, write = os.pipe()
    with os.fdopen(read) as pipe:
        monkeypatch.setattr(sys, "stdin", pipe)
        yield
    os.close(write)


def test_the_emulator_leaves_only_its_log_and_its_unlocked_claim_behind(tmp_path: Path) -> None:
    emulator = Emulator(workdir=tmp_path).start()
    (tmp_path / "tmp" / "lambda-worker-scratch").mkdir()  # what its Lambda workers unpack
    emulator.allow_origin("http://127.0.0.1:5173")
    emulator.stop()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lock", "ministack.log"]


@pytest.mark.usefixtures("input_from_a_pipe")
def test_a_second_run_in_the_same_folder_is_refused_and_leaves_the_first_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two `make demo` at once shared .demo: the second removed the first's state, its Lambda
    workers' code and its CAPTCHA file, and the first's end removed the second's."""
    first = Emulator(workdir=tmp_path).start()
    try:
        (tmp_path / "captchas").mkdir()
        captcha = tmp_path / "captchas" / "captcha-1-0123abcd.png"
        captcha.write_bytes(b"the first run's")
        state = sorted(p.name for p in tmp_path.iterdir())
        assert demo.main(["--workdir", str(tmp_path)]) == 1
        out, said = capsys.readouterr()
        assert out == ""  # nothing started, nothing said but the refusal
        refusal = f"Another run is using {tmp_path} (PID {os.getpid()}): end it first, or give this one its own"
        assert said == f"error: {refusal} folder with --workdir.\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == state and captcha.exists()
        with urllib.request.urlopen(f"{first.endpoint}/_ministack/health", timeout=5):  # noqa: S310 (loopback)
            pass  # still up
    finally:
        first.stop()
    second = Emulator(workdir=tmp_path).start()  # the folder is free again
    second.stop()


def emulator_on(tmp_path: Path, stand_in: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulator's interpreter replaced by a shell script (`stand_in`) in venv-ministack/."""
    other = tmp_path / "venv-ministack" / "bin" / "python"
    other.parent.mkdir(parents=True)
    other.write_text(f"#!/bin/sh\n{stand_in}\n")
    other.chmod(0o755)
    monkeypatch.setattr(emulator, "MINISTACK_PYTHON", other)


def test_the_emulators_python_is_this_ones() -> None:
    check_same_python()  # the two venvs `make install` makes


@pytest.mark.parametrize(
    ("stand_in", "said"),
    [
        ("echo 3.10", "has Python 3.10 and"),
        (f"echo {sys.version_info[0]}.{sys.version_info[1]}t", f"{sys.version_info[1]}t and"),  # free-threaded
        ("exit 1", "has Python unusable and"),
    ],
    ids=["older", "other-abi", "broken"],
)
@pytest.mark.usefixtures("input_from_a_pipe")
def test_an_emulator_on_another_python_is_refused_before_it_starts(
    stand_in: str, said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Create bundled for this Python can't import Pillow on another: `make demo` says so in one
    line, and starts nothing."""
    emulator_on(tmp_path, stand_in, monkeypatch)
    monkeypatch.setattr(sys, "prefix", str(ROOT / ".venv"))  # as `make` runs it, whichever venv runs this
    workdir = tmp_path / "demo"
    assert demo.main(["--workdir", str(workdir)]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: The emulator's venv (venv-ministack) ") and said in error, error
    assert f"this venv (.venv) Python {sys.version_info[0]}.{sys.version_info[1]}" in error, error
    assert "Remove .venv and venv-ministack, then run `make` again" in error and error.count("\n") == 1
    assert not workdir.exists()  # nothing started, nothing written


def test_a_python_outside_the_projects_venvs_is_never_advised_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from a system Python (or conda's, or a venv elsewhere), the advice must not be to
    remove it."""
    emulator_on(tmp_path, "echo 3.10", monkeypatch)
    monkeypatch.setattr(sys, "prefix", sys.base_prefix)  # as a Python that is not a venv
    with pytest.raises(RuntimeError) as refused:
        check_same_python()
    said = str(refused.value)
    assert f"this Python ({sys.executable})" in said and "Remove" not in said, said
    assert "Run this with the project's venv, or remove venv-ministack, then run `make` again" in said, said


def test_make_web_on_a_taken_port_stops_before_deploying_or_writing_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = ROOT / "web" / "public" / "config.json"
    before = config.read_bytes() if config.exists() else None
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert web.main(["--port", str(port), "--workdir", str(tmp_path / "web")]) == 1
    out, err = capsys.readouterr()
    assert f"port {port} on 127.0.0.1 is in use" in err
    assert out == ""  # nothing started, nothing said but the refusal
    assert not (tmp_path / "web").exists()  # no emulator was started
    assert (config.read_bytes() if config.exists() else None) == before


@pytest.mark.parametrize("port", ["80000", "-1", "0", "http"])
def test_make_web_refuses_a_port_that_is_not_one_in_one_line(
    port: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """80000 and -1 ended in bind()'s OverflowError traceback; 0 deployed, then waited 40 s for a
    server on port 0."""
    with pytest.raises(SystemExit) as refused:
        web.main(["--port", port, "--workdir", str(tmp_path / "web")])
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert err == f"error: argument --port: {port!r} is not a port from 1 to 65535 (see make web WEB_ARGS=--help)\n"
    assert not (tmp_path / "web").exists()


def test_a_demo_runs_cdk_log_holds_that_runs_output_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kept in .demo between runs, the CLI's log grew by ~20 kB a run, never trimmed."""
    (tmp_path / "cdk.log").write_text("the last run's bootstrap and deploy\n")
    seen: list[bool] = []

    def deploy(endpoint: str, workdir: Path) -> dict[str, str]:  # the CDK CLI appends from here on
        seen.append((workdir / "cdk.log").exists())
        return {"UserPoolId": "us-east-1_Abc"}

    monkeypatch.setattr(emulator, "deploy", deploy)
    monkeypatch.setattr(emulator, "create_user", lambda idp, pool_id, email, password: None)
    emulator.deploy_with_user("http://127.0.0.1:1", tmp_path)
    assert seen == [False]


def test_the_pinned_node_goes_first_on_path_once_and_no_empty_entry_remains() -> None:
    pinned = (NODE_BIN / "node").exists()  # npm installs it where package.json has this platform's
    machine = os.pathsep.join(["", "/usr/bin", str(NODE_BIN), "/bin", ""])
    parts = path_with_pinned_node(machine).split(os.pathsep)
    assert parts == ([str(NODE_BIN)] if pinned else []) + ["/usr/bin", "/bin"]
    assert path_with_pinned_node(path_with_pinned_node(machine)) == path_with_pinned_node(machine)
    assert path_with_pinned_node(None) == (str(NODE_BIN) if pinned else "")


def test_make_demo_refuses_a_bad_sign_in_option_before_starting_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_emulator(self: Emulator) -> Emulator:
        raise AssertionError("the emulator was started for a command line that is refused")

    monkeypatch.setattr(Emulator, "start", no_emulator)
    with pytest.raises(SystemExit) as refused:
        demo.main(["--workdir", str(tmp_path), "--no-such-option"])
    assert refused.value.code == 2
    assert (
        capsys.readouterr().err
        == "error: unrecognized arguments: --no-such-option (see .venv/bin/python -m signin --help)\n"
    )
    assert not any(tmp_path.iterdir())


def test_make_demo_refuses_its_own_option_without_a_value_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make demo DEMO_ARGS=--workdir` printed argparse's usage line before the error."""
    monkeypatch.setattr(Emulator, "start", lambda self: pytest.fail("the emulator was started"))
    with pytest.raises(SystemExit) as refused:
        demo.main(["--workdir"])
    assert refused.value.code == 2
    said = "error: argument --workdir: expected one argument (see make demo DEMO_ARGS=--help)\n"
    assert capsys.readouterr().err == said


@pytest.mark.parametrize(
    "given",
    [["--username", "me@example.com"], ["--username=me@example.com"], ["--region=eu-west-1", "--client-id", "x"]],
)
def test_make_demo_refuses_what_it_sets_itself_in_one_line(
    given: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`DEMO_ARGS=--username me@example.com` replaced the demo's user: after the deploy, its
    password was refused, with nothing to say why."""
    monkeypatch.setattr(Emulator, "start", lambda self: pytest.fail("the emulator was started"))
    with pytest.raises(SystemExit) as refused:
        demo.main(["--workdir", str(tmp_path), *given])
    assert refused.value.code == 2
    said = capsys.readouterr().err
    assert said.startswith("error: --") and said.count("\n") == 1
    assert "the demo signs in its own user (demo.user@example.com)" in said and said.endswith("DEMO_ARGS=--help)\n")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("mistyped", ["--audi", "--user=me@example.com"])
def test_an_option_is_spelled_out_not_guessed(
    mistyped: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse took `--audi` for `--audio`, and would take a prefix of any option."""
    monkeypatch.setattr(Emulator, "start", lambda self: pytest.fail("the emulator was started"))
    with pytest.raises(SystemExit) as refused:
        demo.main(["--workdir", str(tmp_path), mistyped])
    assert refused.value.code == 2
    assert capsys.readouterr().err.startswith(f"error: unrecognized arguments: {mistyped} ")


def test_the_caller_s_aws_profile_and_config_never_reach_the_emulator_s_clients(
    local_aws_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`AWS_PROFILE=nope make demo` deployed, then stopped with ProfileNotFound's traceback."""
    config = tmp_path / "config"
    config.write_text("[profile work]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "nope")
    assert "TableNames" in aws_client("dynamodb", local_aws_endpoint).list_tables()
    environment = aws_environment(local_aws_endpoint)  # the CDK CLI's and the demo's sign-in CLI's
    assert "AWS_PROFILE" not in environment and environment["AWS_CONFIG_FILE"] == os.devnull


UNINTERRUPTED = """
import os, signal
from offline.processes import uninterrupted
with uninterrupted():
    os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C, in the middle of the clean-up
    print("cleaned up", flush=True)
os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C works again after it
print("not reached")
"""


def test_a_second_ctrl_c_does_not_cut_the_clean_up_short() -> None:
    result = subprocess.run(
        [sys.executable, "-c", UNINTERRUPTED], cwd=ROOT, capture_output=True, text=True, check=False, timeout=60
    )
    assert result.stdout == "cleaned up\n"
    assert result.stderr.rstrip().endswith("KeyboardInterrupt")


def test_a_demo_with_no_input_to_answer_from_stops_before_starting_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make demo </dev/null` deployed (15-40 s), then said the input had ended at the prompt."""
    monkeypatch.setattr(Emulator, "start", lambda self: pytest.fail("the emulator was started"))
    with open(os.devnull) as nothing:
        monkeypatch.setattr(sys, "stdin", nothing)
        assert demo.main(["--workdir", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("error: the demo asks you for the CAPTCHA's answer") and err.count("\n") == 1
    assert not any(tmp_path.iterdir())


def test_what_the_demo_takes_for_no_input(tmp_path: Path) -> None:
    read, write = os.pipe()
    (tmp_path / "answers").write_text("ABCDE\n")
    with open(os.devnull) as nothing, os.fdopen(read) as pipe, (tmp_path / "answers").open() as file:
        assert demo.reads_nothing(None) and demo.reads_nothing(nothing)
        assert not demo.reads_nothing(pipe) and not demo.reads_nothing(file)  # an answer may come
    os.close(write)
    assert demo.reads_nothing(nothing)  # closed
