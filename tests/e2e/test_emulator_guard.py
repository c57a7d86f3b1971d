"""The local emulator can't be driven by a web page: the guard in front of it (offline/) refuses
browser requests from other origins and requests for another Host (DNS rebinding).

Each attack is first shown to work against ministack without the guard, so the tests can fail."""

from __future__ import annotations

import base64
import http.client
import io
import json
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from offline.emulator import Emulator, free_port
from offline.local_aws import aws_client
from offline.processes import stop

pytestmark = pytest.mark.e2e
pytest_plugins = ["tests.e2e.web_support"]  # browser: the session's one Chromium
EVIL = "http://evil.example"


def create_function_body(name: str) -> bytes:
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 'ran'\n")
    return json.dumps(
        {
            "FunctionName": name,
            "Runtime": "python3.12",
            "Role": "arn:aws:iam::000000000000:role/any",
            "Handler": "index.handler",
            "Code": {"ZipFile": base64.b64encode(code.getvalue()).decode()},
        }
    ).encode()


def post(port: int, path: str, body: bytes, headers: dict[str, str]) -> int:
    """A raw request, headers exactly as given (Host included)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.putrequest("POST", path, skip_host=True, skip_accept_encoding=True)
    for name, value in {"Content-Length": str(len(body)), **headers}.items():
        connection.putheader(name, value)
    connection.endheaders(body)
    status = connection.getresponse().status
    connection.close()
    return status


def functions(endpoint: str) -> list[str]:
    return [f["FunctionName"] for f in aws_client("lambda", endpoint).list_functions()["Functions"]]


# What a page at http://evil.example sends for fetch(url, {method: "POST", mode: "no-cors",
# body}) with a text/plain body: a "simple" request, so no CORS preflight.
def from_a_page(port: int, host: str | None = None) -> dict[str, str]:
    return {
        "Host": host or f"127.0.0.1:{port}",
        "Origin": EVIL,
        "Content-Type": "text/plain;charset=UTF-8",
        "Sec-Fetch-Site": "cross-site",
        "Sec-Fetch-Mode": "no-cors",
    }


@pytest.fixture(scope="module")
def unguarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with Emulator(workdir=tmp_path_factory.mktemp("unguarded"), launcher=["-m", "ministack"]) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with Emulator(workdir=tmp_path_factory.mktemp("guarded")) as emulator:  # the default launcher
        yield emulator


def test_without_the_guard_a_page_creates_a_function(unguarded: Emulator) -> None:
    """The attack is real: ministack alone takes it."""
    status = post(unguarded.port, "/2015-03-31/functions", create_function_body("pwned"), from_a_page(unguarded.port))
    assert status in (200, 201)
    assert "pwned" in functions(unguarded.endpoint)


def test_the_guard_refuses_a_cross_origin_page(guarded: Emulator) -> None:
    status = post(guarded.port, "/2015-03-31/functions", create_function_body("pwned"), from_a_page(guarded.port))
    assert status == 403
    assert "pwned" not in functions(guarded.endpoint)


def test_the_guard_refuses_dns_rebinding(guarded: Emulator) -> None:
    """A page on evil.example whose name now resolves to 127.0.0.1 is same-origin to itself:
    no Origin on a GET, but the Host header is its own name."""
    headers = {"Host": f"evil.example:{guarded.port}", "Content-Type": "application/json"}
    assert post(guarded.port, "/2015-03-31/functions", create_function_body("rebound"), headers) == 403
    assert "rebound" not in functions(guarded.endpoint)


def test_the_guard_refuses_a_browser_request_without_an_origin(guarded: Emulator) -> None:
    headers = {"Host": f"127.0.0.1:{guarded.port}", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}
    assert post(guarded.port, "/2015-03-31/functions", create_function_body("nocors"), headers) == 403


def test_our_tools_and_our_page_still_get_through(guarded: Emulator) -> None:
    ours = {"Host": f"127.0.0.1:{guarded.port}"}
    assert post(guarded.port, "/2015-03-31/functions", create_function_body("ours"), ours) in (200, 201)
    assert "ours" in functions(guarded.endpoint)  # an SDK call: no Origin, loopback Host
    page = "http://127.0.0.1:5173"
    assert post(guarded.port, "/", b"{}", {**from_a_page(guarded.port), "Origin": page}) == 403
    guarded.allow_origin(page)
    assert post(guarded.port, "/", b"{}", {**from_a_page(guarded.port), "Origin": page}) != 403


def test_only_loopback_pages_can_be_allowed(guarded: Emulator) -> None:
    with pytest.raises(ValueError, match="loopback"):
        guarded.allow_origin(EVIL)


@pytest.mark.parametrize(("which", "created"), [("unguarded", True), ("guarded", False)])
def test_a_real_browser_page_on_another_origin(
    which: str, created: bool, request: pytest.FixtureRequest, tmp_path: Path, browser: Browser
) -> None:
    """Headless Chromium (the session's one browser, in a context of its own) opens a page from
    another loopback port that tries exactly this: it works against ministack alone, and not
    through the guard."""
    emulator: Emulator = request.getfixturevalue(which)
    name = f"browser-{which}"
    url, body = json.dumps(f"{emulator.endpoint}/2015-03-31/functions"), json.dumps(create_function_body(name).decode())
    options = f"{{method: 'POST', mode: 'no-cors', headers: {{'Content-Type': 'text/plain'}}, body: {body}}}"
    (tmp_path / "index.html").write_text(
        f"<script>fetch({url}, {options}).finally(() => {{ document.title = 'sent'; }});</script>"
    )
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(tmp_path), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_function("document.title === 'sent'", timeout=15_000)
        finally:
            context.close()
    finally:
        stop(server)
    assert (name in functions(emulator.endpoint)) is created
