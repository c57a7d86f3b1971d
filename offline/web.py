"""`make web`: the sign-in page on this machine, against a local deployment made as `make demo` makes it.

Starts the local AWS emulator on 127.0.0.1, deploys the stack with the pinned CDK CLI, creates
the demo user with a random password (printed: the emulator and the user go when this stops),
writes the page's config.json with the emulator as its endpoint, and serves the page with
Vite's dev server on 127.0.0.1. Ctrl-C stops the server and the emulator, by their PIDs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from offline.emulator import DEMO_EMAIL, ROOT, Emulator, deploy_with_user, step
from offline.processes import stop, uninterrupted, wait_until_listening
from signin.cli import Parser

WEB = ROOT / "web"


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def tcp_port(text: str) -> int:
    """A port the page's server can be given: 1-65535 (0 would let the system pick one, which
    the page's config and the emulator's allowed origin could not name)."""
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port from 1 to 65535")
    return port


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="make web", description=__doc__.splitlines()[0], help_hint="make web WEB_ARGS=--help")
    parser.add_argument("--workdir", type=Path, default=ROOT / ".demo" / "web", help="emulator state and logs")
    parser.add_argument("--port", type=tcp_port, default=5173, help="the page's port on 127.0.0.1")
    args = parser.parse_args(argv)
    node = shutil.which("node")
    if node is None or not (WEB / "node_modules").is_dir():
        print("error: Node.js or the page's packages are missing: run `make install`.", file=sys.stderr)
        return 1

    if not port_is_free(args.port):
        # Before anything is deployed or written: a page already served there keeps its config.
        print(f"error: port {args.port} on 127.0.0.1 is in use: stop what serves it, or pass --port.", file=sys.stderr)
        return 1

    # `kill PID` stops everything too, like Ctrl-C: the `finally` below runs either way.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    started = time.monotonic()
    emulator = Emulator(workdir=args.workdir)
    server: subprocess.Popen[bytes] | None = None
    try:
        emulator.start()  # refused here, before anything is said, if another run has the folder
        step(f"Started the local AWS emulator on {emulator.endpoint}", started)
        emulator.allow_origin(f"http://127.0.0.1:{args.port}")  # this page, and no other
        step("Deploying with the CDK CLI (bootstrap + deploy, ~20 s)", started)
        outputs, password = deploy_with_user(emulator.endpoint, args.workdir)
        outputs_file = args.workdir / "stack-outputs.json"
        outputs_file.write_text(json.dumps({"Local": outputs}))  # the shape `cdk deploy --outputs-file` writes
        server = subprocess.Popen(
            [node, "node_modules/vite/bin/vite.js", "--host", "127.0.0.1", "--port", str(args.port), "--strictPort"],
            cwd=WEB,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until_listening(server, args.port, "the page's server")
        # Only now that this page is being served: the config points it at this emulator.
        write_config = [node, "scripts/write-config.mjs", "--outputs", str(outputs_file)]
        subprocess.run([*write_config, "--endpoint", emulator.endpoint], cwd=WEB, check=True)
        step(f"Serving the page at http://127.0.0.1:{args.port}/ (Ctrl-C stops it and the emulator)", started)
        print(f"\n    Email:    {DEMO_EMAIL}\n    Password: {password}\n", flush=True)
        return server.wait()
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        with uninterrupted():  # a second Ctrl-C would cut the clean-up short, with a traceback
            if server is not None:
                stop(server)
            if emulator.process is not None:  # not when it was refused before starting
                emulator.stop()
                step("Stopped the page's server and the emulator", started)


if __name__ == "__main__":
    sys.exit(main())
