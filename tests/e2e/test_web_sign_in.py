"""End to end in a real browser: the web page (web/), built with Vite and served as static
files on 127.0.0.1, signs in against the local deployment in headless Chromium.

The test plays the human by reading the CAPTCHA's answer from the emulator's state (as the CLI
end-to-end tests do). Screenshots of every step go to test-artifacts/web/.

Where the emulator differs from AWS the assertions hold on both. A wrong answer: AWS sends a
new CAPTCHA while attempts are left, the emulator ends the sign-in after one answer; the page
handles both, and the AWS round is covered by one test that answers that single call with the
documented response (everything else still goes to the emulator).
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
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Request,
    Response,
    Route,
    ViewportSize,
    expect,
    sync_playwright,
)

from captcha_auth.post_authentication import audit_record
from offline.emulator import free_port
from offline.processes import stop
from signin.project import ROOT, version
from tests.e2e.deployment import Deployment

pytestmark = pytest.mark.e2e

WEB = ROOT / "web"
ARTIFACTS = ROOT / "test-artifacts" / "web"
APP_VERSION = version()  # the one version string: pyproject.toml
# Chromium as packaged by the distribution; tools' own browser downloads are not used.
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


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail("Chromium is missing: apt-get install chromium (or set CHROMIUM=/path/to/chromium)")
    return path


@pytest.fixture(scope="module")
def site(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The page built for production, with its config.json for this deployment, served as
    plain static files on a free loopback port."""
    node = shutil.which("node")
    if node is None or not (WEB / "node_modules").is_dir():
        pytest.fail("The page's packages are missing: run `make install` (npm ci in web/).")
    work = tmp_path_factory.mktemp("web")
    dist = work / "dist"
    vite = ["node_modules/vite/bin/vite.js", "build", "--outDir", str(dist), "--emptyOutDir", "--logLevel", "warn"]
    subprocess.run([node, *vite], cwd=WEB, check=True)
    outputs = work / "stack-outputs.json"
    outputs.write_text(json.dumps({"E2E": deployment.outputs}))
    config = ["--outputs", str(outputs), "--endpoint", deployment.emulator.endpoint]
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@dataclass
class Traffic:
    """What the page sent to Cognito and what it printed, for assertions."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def record(self, request: Request) -> None:
        target = request.headers.get("x-amz-target", "")
        if target.startswith(TARGET):
            self.calls.append((target.removeprefix(TARGET), json.loads(request.post_data or "{}")))

    def responds(self) -> list[dict[str, Any]]:
        return [body for name, body in self.calls if name == "RespondToAuthChallenge"]


@pytest.fixture
def traffic() -> Traffic:
    return Traffic()


OpenPage = Callable[..., Page]


@pytest.fixture
def open_page(browser: Browser, site: str, traffic: Traffic) -> Iterator[OpenPage]:
    """Opens the page in a fresh browser context (no storage, nothing in memory), recording its
    traffic; the contexts close when the test ends."""
    contexts: list[BrowserContext] = []

    def keep_tokens(response: Response) -> None:
        if response.request.headers.get("x-amz-target", "").endswith("RespondToAuthChallenge") and response.ok:
            result = response.json().get("AuthenticationResult")
            if result:
                traffic.results.append(result)

    def open_(viewport: ViewportSize = DESKTOP) -> Page:
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
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


def enter_password(page: Page, deployment: Deployment, password: str | None = None) -> None:
    page.get_by_label("Email", exact=True).fill(deployment.email)
    page.get_by_label("Password", exact=True).fill(deployment.password if password is None else password)
    page.get_by_role("button", name="Continue").click()


def expect_captcha(page: Page) -> None:
    """The CAPTCHA step, as it first appears: an image, focus on the step's heading."""
    expect(page.get_by_role("heading", name="Check you're a person")).to_be_focused()
    expect(page.locator("#captcha-image")).to_be_visible()
    expect(page.locator("#captcha-image")).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    expect(page.locator("#captcha-audio")).to_be_hidden()


def expect_signed_in(page: Page, deployment: Deployment) -> None:
    expect(page.get_by_role("heading", name="You're signed in")).to_be_focused()
    expect(page.locator("#claim-email")).to_have_text(deployment.email)
    expect(page.locator("#claim-sub")).to_have_text(re.compile(r"^[0-9a-f-]{36}$"))
    expect(page.locator("#claim-expires")).to_have_attribute("datetime", re.compile(r"^\d{4}-\d\d-\d\dT"))


def expect_metadata_on_every_answer(traffic: Traffic, captcha_format: str) -> None:
    """ClientMetadata goes with every RespondToAuthChallenge (InitiateAuth's reaches no trigger)."""
    responds = traffic.responds()
    assert responds
    for body in responds:
        assert body["ClientMetadata"] == {"captchaFormat": captcha_format, "appVersion": APP_VERSION, "platform": "web"}


def test_full_sign_in_shows_the_main_claims_and_keeps_tokens_in_memory(
    open_page: OpenPage, deployment: Deployment, traffic: Traffic
) -> None:
    page = open_page()
    shot(page, "1-password")
    enter_password(page, deployment)

    expect_captcha(page)
    answer = deployment.pending_answer()
    alt = page.locator("#captcha-image").get_attribute("alt") or ""
    assert alt and answer.lower() not in alt.lower()
    expect(page.locator("#captcha-attempts")).to_have_text("Attempts left: 3 of 3")
    shot(page, "2-captcha")

    page.get_by_label("Characters", exact=True).fill(answer.lower())  # the trigger case-folds
    page.get_by_role("button", name="Sign in").click()
    expect_signed_in(page, deployment)
    shot(page, "3-signed-in")

    expect_metadata_on_every_answer(traffic, "image")
    assert [name for name, _ in traffic.calls] == ["InitiateAuth", "RespondToAuthChallenge", "RespondToAuthChallenge"]
    (tokens,) = traffic.results
    # What the page sends is what the post-authentication trigger writes to its audit record.
    sent = traffic.responds()[-1]["ClientMetadata"]
    record = audit_record({"request": {"userAttributes": {}, "clientMetadata": sent}, "callerContext": {}})
    assert record["client_metadata"] == sent and record["other_metadata_keys"] == 0

    # Tokens in memory only: Web Storage and cookies are empty, and the console never saw one.
    assert page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]") == [0, 0, ""]
    for token in (tokens["IdToken"], tokens["AccessToken"], tokens["RefreshToken"]):
        assert not any(token in line for line in traffic.console)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You're signed out.")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()


def test_wrong_password_is_refused_with_a_clear_message(
    open_page: OpenPage, deployment: Deployment, traffic: Traffic
) -> None:
    page = open_page()
    enter_password(page, deployment, password="Wrong-password-123!")
    expect(page.locator("#password-error")).to_have_text("Incorrect email or password.")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    expect(page.get_by_label("Password", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Email", exact=True)).to_have_value(deployment.email)
    expect(page.locator("#captcha-step")).to_be_hidden()
    shot(page, "4-wrong-password")


def test_wrong_answer_then_the_right_one(open_page: OpenPage, deployment: Deployment, traffic: Traffic) -> None:
    page = open_page()
    enter_password(page, deployment)
    expect_captcha(page)
    answer = deployment.pending_answer()
    page.get_by_label("Characters", exact=True).fill("WRONG" + answer[:1])
    page.get_by_role("button", name="Sign in").click()

    # AWS: a new CAPTCHA while attempts are left. The emulator: this sign-in is over (one answer).
    error = page.locator("#captcha-error, #password-error").filter(has_text=re.compile(r"answer wasn't right"))
    expect(error).to_be_visible()
    assert error.get_attribute("role") == "alert"
    shot(page, "5-wrong-answer")
    if page.locator("#password-step").is_visible():
        expect(error).to_have_text(re.compile("no attempts left. Sign in again"))
        expect(page.get_by_label("Password", exact=True)).to_be_focused()
        expect(page.get_by_label("Email", exact=True)).to_have_value(deployment.email)
        page.get_by_label("Password", exact=True).fill(deployment.password)
        page.get_by_role("button", name="Continue").click()
        expect_captcha(page)
    else:
        expect(page.locator("#captcha-attempts")).to_have_text("Attempts left: 2 of 3")
        expect(page.get_by_label("Characters", exact=True)).to_be_focused()

    page.get_by_label("Characters", exact=True).fill(deployment.pending_answer())
    page.get_by_role("button", name="Sign in").click()
    expect_signed_in(page, deployment)
    expect_metadata_on_every_answer(traffic, "image")


def test_wrong_answer_with_attempts_left_shows_the_next_captcha(
    open_page: OpenPage, deployment: Deployment, traffic: Traffic
) -> None:
    """AWS's round two, which the emulator never sends: the test answers the one call that
    carries the wrong answer as Cognito documents (a new CUSTOM_CHALLENGE from the create
    trigger, attempt 2); the password proof, the first CAPTCHA and the final answer are real."""
    page = open_page()
    enter_password(page, deployment)
    expect_captcha(page)
    first = page.locator("#captcha-image").get_attribute("src")

    def aws_round_two(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        if body.get("ChallengeResponses", {}).get("ANSWER") != "WRONG":
            route.continue_()
            return
        parameters = {
            "captchaFormat": "image",
            "captchaUrl": first,
            "attempt": "2",
            "maxAttempts": "3",
            "attemptsLeft": "2",
            "USERNAME": body["ChallengeResponses"]["USERNAME"],
        }
        # The emulator's Session string never rotates (AWS's does), so the real one carries on.
        response = {"ChallengeName": "CUSTOM_CHALLENGE", "Session": body["Session"], "ChallengeParameters": parameters}
        route.fulfill(
            status=200,
            headers={"content-type": "application/x-amz-json-1.1", "access-control-allow-origin": "*"},
            body=json.dumps(response),
        )

    page.route(f"{deployment.emulator.endpoint}/**", aws_round_two)
    page.get_by_label("Characters", exact=True).fill("WRONG")
    page.get_by_role("button", name="Sign in").click()

    expect(page.locator("#captcha-error")).to_have_text(
        "That answer wasn't right. Here is a new CAPTCHA: 2 attempts left."
    )
    expect(page.locator("#captcha-attempts")).to_have_text("Attempts left: 2 of 3")
    expect(page.get_by_label("Characters", exact=True)).to_be_focused()
    expect(page.get_by_label("Characters", exact=True)).to_have_value("")
    # An answer was sent: switching format or asking for another would hand back the spent attempt.
    expect(page.locator("#captcha-alternatives")).to_be_hidden()
    shot(page, "6-next-captcha")

    page.get_by_label("Characters", exact=True).fill(deployment.pending_answer())
    page.get_by_role("button", name="Sign in").click()
    expect_signed_in(page, deployment)
    expect_metadata_on_every_answer(traffic, "image")


def test_new_picture_starts_a_fresh_sign_in_before_any_answer(
    open_page: OpenPage, deployment: Deployment, traffic: Traffic
) -> None:
    page = open_page()
    enter_password(page, deployment)
    expect_captcha(page)
    first = page.locator("#captcha-image").get_attribute("src")
    page.get_by_role("button", name="New picture").click()

    expect(page.get_by_label("Characters", exact=True)).to_be_focused()
    expect(page.locator("#captcha-image")).not_to_have_attribute("src", first or "")
    # No answer was sent, so no attempt is handed back: a whole new sign-in, password proved again.
    expect(page.locator("#captcha-attempts")).to_have_text("Attempts left: 3 of 3")
    names = [name for name, _ in traffic.calls]
    assert names == ["InitiateAuth", "RespondToAuthChallenge", "InitiateAuth", "RespondToAuthChallenge"]

    page.get_by_label("Characters", exact=True).fill(deployment.pending_answer())
    page.get_by_role("button", name="Sign in").click()
    expect_signed_in(page, deployment)
    expect_metadata_on_every_answer(traffic, "image")


@pytest.mark.parametrize(
    ("error", "raw", "shown"),
    [
        ("NotAuthorizedException", "Invalid session for the user, session is expired.", "This sign-in timed out"),
        ("TooManyRequestsException", "Rate exceeded", "Too many sign-in attempts"),
        ("UserLambdaValidationException", "VerifyAuthChallengeResponse failed with error boom.", "couldn't prepare"),
    ],
    ids=["expired-session", "throttled", "trigger-error"],
)
def test_failures_the_emulator_cannot_produce_are_explained_in_the_pages_words(
    open_page: OpenPage, deployment: Deployment, traffic: Traffic, error: str, raw: str, shown: str
) -> None:
    """The answer call gets Cognito's documented error; the page says what happened in its own
    words, never the error's text, and starts the sign-in again."""
    page = open_page()
    enter_password(page, deployment)
    expect_captcha(page)
    page.route(
        f"{deployment.emulator.endpoint}/**",
        lambda route: route.fulfill(
            status=400,
            headers={"content-type": "application/x-amz-json-1.1", "x-amzn-errortype": error},
            body=json.dumps({"__type": error, "message": raw}),
        ),
    )
    page.get_by_label("Characters", exact=True).fill("ANSWER")
    page.get_by_role("button", name="Sign in").click()

    alert = page.locator("#password-error")
    expect(alert).to_contain_text(shown)
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    assert raw not in page.locator("main").inner_text()
    shot(page, f"failure-{error}")


def test_keyboard_only_at_320_px(open_page: OpenPage, deployment: Deployment, traffic: Traffic) -> None:
    page = open_page(NARROW)
    keyboard = page.keyboard

    def fits() -> None:
        assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]

    fits()
    shot(page, "7-narrow-password")
    keyboard.press("Tab")
    assert focused_id(page) == "email"
    keyboard.type(deployment.email)
    keyboard.press("Tab")
    assert focused_id(page) == "password"
    keyboard.type(deployment.password)
    keyboard.press("Enter")

    expect_captcha(page)
    fits()
    shot(page, "8-narrow-captcha")
    keyboard.press("Tab")  # from the step's heading straight to the answer
    assert focused_id(page) == "answer"
    keyboard.type(deployment.pending_answer())
    keyboard.press("Enter")

    expect_signed_in(page, deployment)
    fits()
    shot(page, "9-narrow-signed-in")


def test_listen_instead_asks_for_the_audio_captcha(
    open_page: OpenPage, deployment: Deployment, traffic: Traffic
) -> None:
    page = open_page()
    enter_password(page, deployment)
    expect_captcha(page)
    page.get_by_role("button", name="Listen instead").click()

    audio = page.locator("#captcha-audio")
    expect(audio).to_be_focused()
    expect(audio).to_have_attribute("src", re.compile(r"^data:audio/wav;base64,"))
    expect(page.locator("#captcha-image")).to_be_hidden()
    expect(page.locator("#captcha-instructions")).to_contain_text("type the characters you hear")
    duration = page.evaluate(
        """() => new Promise((resolve) => {
             const audio = document.getElementById("captcha-audio");
             if (audio.readyState >= 1) resolve(audio.duration);
             else audio.addEventListener("loadedmetadata", () => resolve(audio.duration), { once: true });
           })"""
    )
    assert duration > 0.5
    shot(page, "10-audio")

    # The restart proved the password again, asking for audio in that call's ClientMetadata.
    names = [name for name, _ in traffic.calls]
    assert names == ["InitiateAuth", "RespondToAuthChallenge", "InitiateAuth", "RespondToAuthChallenge"]
    assert traffic.responds()[-1]["ClientMetadata"]["captchaFormat"] == "audio"

    page.get_by_label("Characters", exact=True).fill(deployment.pending_answer())
    page.get_by_role("button", name="Sign in").click()
    expect_signed_in(page, deployment)
    assert traffic.responds()[-1]["ClientMetadata"]["captchaFormat"] == "audio"
