"""End to end in a real browser: the web page (web/), built with Vite and served as static
files on 127.0.0.1, signs in against the local deployment in headless Chromium.

The test plays the human by reading the CAPTCHA's answer from the emulator's state (as the CLI
end-to-end tests do). Screenshots of every step go to test-artifacts/web/, and one test checks
that the README's (docs/captcha-step.png) is still today's CAPTCHA step. The fixtures are in
web_support.py, shared with test_web_account_flows.py (first sign-in, password reset).

Where the emulator differs from AWS the assertions hold on both. A wrong answer: AWS sends a
new CAPTCHA while attempts are left, the emulator ends the sign-in after one answer; the page
handles both, and the AWS round is covered by one test that answers that single call with the
documented response (everything else still goes to the emulator).
"""

from __future__ import annotations

import json
import re

import pytest
from PIL import Image, ImageStat
from playwright.sync_api import FloatRect, Page, Route, expect

from captcha_auth.post_authentication import audit_record
from signin.project import ROOT
from tests.e2e.deployment import Deployment
from tests.e2e.web_support import (
    ARTIFACTS,
    NARROW,
    OpenPage,
    Traffic,
    answer_captcha,
    enter_password,
    expect_captcha,
    expect_metadata_on_every_answer,
    expect_signed_in,
    field_of,
    focused_id,
    settle,
    shot,
)

pytestmark = pytest.mark.e2e
pytest_plugins = ["tests.e2e.web_support"]  # site, browser, traffic, open_page

# The README's picture of the CAPTCHA step, and the test's own copy of it from this run.
README_SCREENSHOT = ROOT / "docs" / "captcha-step.png"
FRESH_SCREENSHOT = ARTIFACTS / "captcha-step.png"


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
    assert record["meta"] == sent and "other_keys" not in record

    # Tokens in memory only: Web Storage and cookies are empty, and the console never saw one.
    assert page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]") == [0, 0, ""]
    for token in (tokens["IdToken"], tokens["AccessToken"], tokens["RefreshToken"]):
        assert not any(token in line for line in traffic.console)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You're signed out.")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()


def readme_screenshot(page: Page) -> tuple[int, int, int, int]:
    """The card with a 16 px margin, as the README shows it, saved to FRESH_SCREENSHOT; returns
    the CAPTCHA picture's box within it, 3 px inside its border."""
    card = page.locator("main").bounding_box()
    picture = page.locator("#captcha-image").bounding_box()
    assert card and picture
    margin = 16
    x, y = card["x"] - margin, card["y"] - margin
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    clip: FloatRect = {"x": x, "y": y, "width": card["width"] + 2 * margin, "height": card["height"] + 2 * margin}
    page.screenshot(path=FRESH_SCREENSHOT, clip=clip)
    left, top = round(picture["x"] - x) + 3, round(picture["y"] - y) + 3
    return left, top, left + round(picture["width"]) - 6, top + round(picture["height"]) - 6


def looks_like_night(image: Image.Image, box: tuple[int, int, int, int]) -> bool:
    """The CAPTCHA as challenge.py's night_colours draws it: a near-black background (each
    channel under 51) covers most of the picture, so its median brightness is low."""
    return ImageStat.Stat(image.convert("L").crop(box)).median[0] < 64


def test_the_readme_screenshot_shows_todays_captcha_step(
    open_page: OpenPage, deployment: Deployment, traffic: Traffic
) -> None:
    """docs/captcha-step.png must be this run's picture of the CAPTCHA step (same size, a night
    CAPTCHA where the picture is), so a change of design can't leave it stale unnoticed.
    To refresh it: cp test-artifacts/web/captcha-step.png docs/captcha-step.png"""
    page = open_page()
    enter_password(page, deployment)
    expect_captcha(page)
    page.wait_for_function("document.getElementById('captcha-image').complete")
    box = readme_screenshot(page)

    fresh_path, readme_path = FRESH_SCREENSHOT.relative_to(ROOT), README_SCREENSHOT.relative_to(ROOT)
    stale = f"{readme_path} is stale: cp {fresh_path} {readme_path}"
    with Image.open(FRESH_SCREENSHOT) as fresh, Image.open(README_SCREENSHOT) as readme:
        assert looks_like_night(fresh, box)  # the check itself holds on today's page
        assert readme.size == fresh.size, stale
        assert looks_like_night(readme, box), stale

    answer_captcha(page, deployment.pending_answer())  # no sign-in left half done
    expect_signed_in(page, deployment)


def test_wrong_password_is_refused_with_a_clear_message(
    open_page: OpenPage, deployment: Deployment, traffic: Traffic
) -> None:
    page = open_page()
    enter_password(page, deployment, password="Wrong-password-123!")
    expect(page.locator("#password-error")).to_have_text("Incorrect email or password.")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    expect(page.get_by_label("Password", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(field_of(page, "password-step", "Email")).to_have_value(deployment.email)
    expect(page.locator("#captcha-step")).to_be_hidden()
    shot(page, "4-wrong-password")


def test_wrong_answer_then_the_right_one(open_page: OpenPage, deployment: Deployment, traffic: Traffic) -> None:
    page = open_page()
    enter_password(page, deployment)
    expect_captcha(page)
    # Spaces alone pass the field's `required`; they are not sent as an empty answer.
    sent = len(traffic.responds())
    page.get_by_label("Characters", exact=True).fill("   ")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#captcha-error")).to_have_text("Type the characters first: an empty answer isn't sent.")
    expect(page.get_by_label("Characters", exact=True)).to_be_focused()
    expect(page.get_by_label("Characters", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Characters", exact=True)).to_have_value("")
    assert len(traffic.responds()) == sent
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
        expect(field_of(page, "password-step", "Email")).to_have_value(deployment.email)
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
    settle(page)

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
    settle(page)

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
