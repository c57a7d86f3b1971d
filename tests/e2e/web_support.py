"""What the browser tests of the web page (web/) share: the page built and served on 127.0.0.1
against the end-to-end deployment (and, for test_web_provider.py, against the deployment whose
challenge is a managed provider's, with the local stand-in's widget script), headless Chromium,
a recorder of the page's Cognito traffic, and helpers for the steps. A pytest plugin: a test
module loads it with

    pytest_plugins = ["tests.e2e.web_support"]

so the fixtures exist once per session, however many modules use them. The modules import its
helpers first, before pytest could rewrite its asserts: they stay plain (PYTEST_DONT_REWRITE).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Request,
    Response,
    ViewportSize,
    expect,
    sync_playwright,
)

from offline.emulator import free_port
from offline.processes import stop
from signin.project import ROOT, version
from tests.e2e.deployment import Deployment

WEB = ROOT / "web"
ARTIFACTS = ROOT / "test-artifacts" / "web"
APP_VERSION = version()  # the one version string: pyproject.toml
MESSAGES: dict[str, str] = json.loads((ROOT / "signin" / "messages.json").read_text())["messages"]
# Headless, and quiet: no background connections (this machine's network is closed).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1024, "height": 768}
NARROW: ViewportSize = {"width": 320, "height": 640}
TARGET = "AWSCognitoIdentityProviderService."


class Account(Protocol):
    """Someone who signs in: the deployment's user, or one a test creates."""

    @property
    def email(self) -> str: ...

    @property
    def password(self) -> str: ...


def chromium_path() -> str | None:
    """The browser `make test` found or installed: $CHROMIUM; Chromium's headless shell, the
    headless-only build Playwright itself runs headless tests on (over a run of the end-to-end
    tests Chromium used 23 s of CPU as the shell, 61 s as the full browser, same results); a
    system Chromium or Chrome; or else None, which makes Playwright use its own download (its
    headless shell)."""
    names = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")
    return os.environ.get("CHROMIUM") or next((path for name in names if (path := shutil.which(name))), None)


def _node() -> str:
    node = shutil.which("node")
    if node is None or not (WEB / "node_modules").is_dir():
        pytest.fail("The page's packages are missing: run `make install` (npm ci in web/).")
    return node


@pytest.fixture(scope="session")
def built_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page built for production, once a session: each site below serves a copy of it with
    its own config.json (the build does not depend on the deployment)."""
    dist = tmp_path_factory.mktemp("web-build") / "dist"
    vite = ["node_modules/vite/bin/vite.js", "build", "--outDir", str(dist), "--emptyOutDir", "--logLevel", "warn"]
    subprocess.run([_node(), *vite], cwd=WEB, check=True)
    return dist


@pytest.fixture(scope="session")
def site(deployment: Deployment, built_page: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The page, with its config.json for this deployment, served as plain static files on a
    free loopback port."""
    yield from _serve_page(deployment, built_page, tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="session")
def provider_site(
    provider_deployment: Deployment, standin: Any, built_page: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The same page for the deployment whose challenge is Cloudflare Turnstile's, with
    config.json's captchaScriptUrl set to the local stand-in's widget script (the machine's
    network is closed, and the stand-in's tokens pass its own siteverify)."""
    work = tmp_path_factory.mktemp("web-provider")
    yield from _serve_page(provider_deployment, built_page, work, ["--captcha-script", standin.widget_url("turnstile")])


def _serve_page(deployment: Deployment, built: Path, work: Path, config_args: list[str] | None = None) -> Iterator[str]:
    """Copies the built page into `work`, writes its config.json for `deployment` (plus
    `config_args` for write-config.mjs), serves it on a free loopback port and allows that
    origin on the deployment's emulator; yields the page's URL, and stops the server after."""
    node = _node()
    dist = work / "dist"
    shutil.copytree(built, dist)
    outputs = work / "stack-outputs.json"
    outputs.write_text(json.dumps({"E2E": deployment.outputs}))
    config = ["--outputs", str(outputs), "--endpoint", deployment.emulator.endpoint, *(config_args or [])]
    config += ["--out", str(dist / "config.json")]
    subprocess.run([node, "scripts/write-config.mjs", *config], cwd=WEB, check=True, capture_output=True)

    port = free_port()
    log = (work / "http.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(dist), str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deployment.emulator.allow_origin(url.rstrip("/"))  # the emulator's guard refuses other pages
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(url + "config.json", timeout=1):  # noqa: S310 (loopback)
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the static server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        stop(server)  # by its PID
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@dataclass
class Traffic:
    """What the page sent to Cognito and what it printed, for assertions; and every request it
    made, as (resource type, URL)."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)

    def record(self, request: Request) -> None:
        self.requests.append((request.resource_type, request.url))
        target = request.headers.get("x-amz-target", "")
        if target.startswith(TARGET):
            self.calls.append((target.removeprefix(TARGET), json.loads(request.post_data or "{}")))

    def responds(self) -> list[dict[str, Any]]:
        return [body for name, body in self.calls if name == "RespondToAuthChallenge"]

    def bodies(self, name: str) -> list[dict[str, Any]]:
        return [body for call, body in self.calls if call == name]


@pytest.fixture
def traffic() -> Traffic:
    return Traffic()


OpenPage = Callable[..., Page]


@pytest.fixture
def open_page(browser: Browser, site: str, traffic: Traffic) -> Iterator[OpenPage]:
    """Opens the page in a fresh browser context (no storage, nothing in memory), recording its
    traffic; the contexts close when the test ends."""
    yield from _opener(browser, site, traffic)


@pytest.fixture
def open_provider_page(browser: Browser, provider_site: str, traffic: Traffic) -> Iterator[OpenPage]:
    """As open_page, for the provider deployment's page (provider_site). `init_script`, if
    given, runs in the page before its own scripts (to watch the widget, say)."""
    yield from _opener(browser, provider_site, traffic)


def _opener(browser: Browser, site: str, traffic: Traffic) -> Iterator[OpenPage]:
    contexts: list[BrowserContext] = []

    def keep_tokens(response: Response) -> None:
        if response.request.headers.get("x-amz-target", "").endswith("RespondToAuthChallenge") and response.ok:
            result = response.json().get("AuthenticationResult")
            if result:
                traffic.results.append(result)

    def open_(viewport: ViewportSize = DESKTOP, init_script: str | None = None) -> Page:
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        if init_script is not None:
            context.add_init_script(init_script)
        page = context.new_page()
        page.on("request", traffic.record)
        page.on("response", keep_tokens)
        page.on("console", lambda message: traffic.console.append(message.text))
        page.goto(site)
        expect(page.locator("html[data-ready=true]")).to_be_attached()
        return page

    yield open_
    for context in contexts:
        context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def focused_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement?.id ?? ''"))


def field_of(page: Page, step: str, label: str) -> Locator:
    """A labelled field of one step: several steps have an "Email" or a "New password"."""
    return page.locator(f"#{step}").get_by_label(label, exact=True)


# Resolves once no form is aria-busy (the page marks one for each Cognito call), or after 5 s.
SETTLED = """() => new Promise((resolve) => {
  const idle = () => !document.querySelector("[aria-busy=true]");
  if (idle()) return resolve();
  const observer = new MutationObserver(() => idle() && done());
  const timer = setTimeout(() => done(), 5000);
  const done = () => { observer.disconnect(); clearTimeout(timer); resolve(); };
  observer.observe(document, { subtree: true, attributes: true, attributeFilter: ["aria-busy"] });
})"""


def settle(page: Page) -> None:
    """Waits for the page's call in flight (SRP, Cognito, the triggers) to end, told by the page
    itself, not by polling: expect() polls at 0, 20, 70, 170, 270 ms and then every 500 ms, so a
    step that takes ~0.9 s (a password proof) was seen up to 0.5 s late. The assertions after
    it are unchanged; when it returns they pass on their first check."""
    page.evaluate(SETTLED)


def enter_password(page: Page, account: Account, password: str | None = None) -> None:
    field_of(page, "password-step", "Email").fill(account.email)
    field_of(page, "password-step", "Password").fill(account.password if password is None else password)
    page.get_by_role("button", name="Continue").click()
    settle(page)


def expect_captcha(page: Page) -> None:
    """The CAPTCHA step, as it first appears: an image, focus on the step's heading."""
    settle(page)
    expect(page.get_by_role("heading", name="Check you're a person")).to_be_focused()
    expect(page.locator("#captcha-image")).to_be_visible()
    expect(page.locator("#captcha-image")).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    expect(page.locator("#captcha-audio")).to_be_hidden()


def answer_captcha(page: Page, answer: str) -> None:
    page.get_by_label("Characters", exact=True).fill(answer)
    page.get_by_role("button", name="Sign in").click()


def expect_signed_in(page: Page, account: Account) -> None:
    settle(page)
    expect(page.get_by_role("heading", name="You're signed in")).to_be_focused()
    expect(page.locator("#claim-email")).to_have_text(account.email)
    expect(page.locator("#claim-sub")).to_have_text(re.compile(r"^[0-9a-f-]{36}$"))
    expect(page.locator("#claim-expires")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))


def expect_metadata_on_every_answer(traffic: Traffic, captcha_format: str) -> None:
    """ClientMetadata goes with every RespondToAuthChallenge (InitiateAuth's reaches no trigger)."""
    responds = traffic.responds()
    assert responds
    for body in responds:
        assert body["ClientMetadata"] == {"captchaFormat": captcha_format, "appVersion": APP_VERSION, "platform": "web"}


def expect_kept_nowhere(page: Page, traffic: Traffic, *secrets: str) -> None:
    """Passwords, codes and tokens: not in Web Storage or cookies, never on the console."""
    stored = page.evaluate(
        """() => [document.cookie,
                  ...Object.keys(localStorage).map((key) => key + "=" + localStorage.getItem(key)),
                  ...Object.keys(sessionStorage).map((key) => key + "=" + sessionStorage.getItem(key))]
                 .join("\\n")"""
    )
    for secret in secrets:
        assert secret and secret not in stored
        assert not any(secret in line for line in traffic.console)


def cognito_error(name: str, message: str) -> dict[str, Any]:
    """Cognito's documented shape of an error, for the one call a test answers itself."""
    return {
        "status": 400,
        "headers": {
            "content-type": "application/x-amz-json-1.1",
            "x-amzn-errortype": name,
            "access-control-allow-origin": "*",
        },
        "body": json.dumps({"__type": name, "message": message}),
    }


def cognito_answer(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": 200,
        "headers": {"content-type": "application/x-amz-json-1.1", "access-control-allow-origin": "*"},
        "body": json.dumps(body),
    }
