"""End to end in a real browser: the web page signing in to the deployment whose challenge is a
managed provider's (Cloudflare Turnstile), with the local stand-in's widget script in place of
Cloudflare's (config.json's captchaScriptUrl) and the stand-in's siteverify behind the deployed
verify trigger. The page shows the widget instead of the picture, and sends the token the
widget hands back as the answer, with the usual ClientMetadata.

The test watches the widget: an init script wraps turnstile.render's callback, so the token the
widget produced can be compared with the ANSWER the page sent. One test answers one call itself
with Cognito's documented response (a second round, which the emulator never sends); everything
else is real.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Response, Route, expect

from tests.e2e.deployment import Deployment
from tests.e2e.web_support import (
    MESSAGES,
    OpenPage,
    Traffic,
    enter_password,
    expect_kept_nowhere,
    expect_metadata_on_every_answer,
    expect_signed_in,
    shot,
)

pytestmark = pytest.mark.e2e
pytest_plugins = ["tests.e2e.web_support"]  # provider_site, browser, traffic, open_provider_page

STANDIN_BUTTON = "I am human (stand-in)"
# Records every token the widget hands to the page's callback, in window.__widgetTokens. The
# stand-in's script assigns window.turnstile; the setter wraps render() as it arrives.
WATCH_WIDGET = """
(() => {
  window.__widgetTokens = [];
  let api;
  Object.defineProperty(window, "turnstile", {
    configurable: true,
    get: () => api,
    set: (value) => {
      const render = value.render;
      value.render = (element, options) =>
        render.call(value, element, {
          ...options,
          callback: (token) => {
            window.__widgetTokens.push(token);
            options.callback(token);
          },
        });
      api = value;
    },
  });
})();
"""
# The providers' own hosts: the page must ask none of them for anything when the stand-in is set.
PROVIDER_HOSTS = ("challenges.cloudflare.com", "www.google.com", "www.gstatic.com", "hcaptcha.com", "js.hcaptcha.com")


def widget_tokens(page: Page) -> list[str]:
    return list(page.evaluate("window.__widgetTokens"))


def expect_widget(page: Page) -> None:
    """The CAPTCHA step with the provider's widget: no picture, no recording, no answer field,
    no other-medium controls; focus on the labelled widget container."""
    expect(page.locator("#captcha-step")).to_be_visible()
    widget = page.get_by_role("group", name="Cloudflare Turnstile check")
    expect(widget).to_be_focused()
    expect(widget.get_by_role("button", name=STANDIN_BUTTON)).to_be_visible()
    expect(page.get_by_role("heading", name="Cloudflare Turnstile check")).to_be_visible()
    expect(page.locator("#captcha-image")).to_be_hidden()
    assert page.locator("#captcha-image").get_attribute("src") is None
    expect(page.locator("#captcha-audio")).to_be_hidden()
    expect(page.get_by_label("Characters", exact=True)).to_be_hidden()
    expect(page.get_by_role("button", name="Listen instead")).to_be_hidden()
    expect(page.get_by_role("button", name="New picture")).to_be_hidden()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_hidden()
    expect(page.locator("#captcha-instructions")).to_contain_text("Complete the check below")


def expect_only_the_standin_script(traffic: Traffic, site: str, widget_url: str) -> None:
    """The page's own files, the stand-in's widget script once, Cognito: nothing else."""
    scripts = [url for kind, url in traffic.requests if kind == "script"]
    assert [url for url in scripts if not url.startswith(site)] == [widget_url]
    hosts = {urlsplit(url).hostname for _, url in traffic.requests}
    assert not hosts & set(PROVIDER_HOSTS), hosts
    assert {host for host in hosts if host} <= {"127.0.0.1"}, hosts


def test_turnstile_sign_in_sends_the_widgets_token_as_the_answer(
    open_provider_page: OpenPage, provider_site: str, provider_deployment: Deployment, standin: Any, traffic: Traffic
) -> None:
    page = open_provider_page(init_script=WATCH_WIDGET)
    enter_password(page, provider_deployment)

    expect_widget(page)
    expect(page.locator("#captcha-attempts")).to_have_text("Attempts left: 3 of 3")
    assert widget_tokens(page) == []  # nothing sent before the person solves the widget
    shot(page, "provider-1-widget")

    page.get_by_role("button", name=STANDIN_BUTTON).click()
    expect_signed_in(page, provider_deployment)
    shot(page, "provider-2-signed-in")

    (token,) = widget_tokens(page)
    assert token.startswith("standin.")
    assert [name for name, _ in traffic.calls] == ["InitiateAuth", "RespondToAuthChallenge", "RespondToAuthChallenge"]
    answer = traffic.responds()[-1]
    assert answer["ChallengeName"] == "CUSTOM_CHALLENGE"
    assert answer["ChallengeResponses"]["ANSWER"] == token
    expect_metadata_on_every_answer(traffic, "image")  # the person's format, nothing added
    assert len(traffic.results) == 1
    expect_only_the_standin_script(traffic, provider_site, standin.widget_url("turnstile"))
    expect_kept_nowhere(page, traffic, token, provider_deployment.password)


def test_a_refused_token_is_said_in_the_shared_words(
    open_provider_page: OpenPage, provider_deployment: Deployment, traffic: Traffic
) -> None:
    """A token the provider refuses (here one the stand-in never minted): the verify trigger
    says no. The emulator then ends the sign-in (AWS would send a new round while attempts
    are left); either way the page says the challenge wasn't passed."""
    page = open_provider_page(init_script=WATCH_WIDGET.replace("options.callback(token)", 'options.callback("forged")'))
    enter_password(page, provider_deployment)
    expect_widget(page)
    page.get_by_role("button", name=STANDIN_BUTTON).click()

    error = page.locator("#password-error, #captcha-error").filter(has_text=MESSAGES["providerFailed"])
    expect(error).to_be_visible()
    assert traffic.responds()[-1]["ChallengeResponses"]["ANSWER"] == "forged"
    if page.locator("#password-step").is_visible():
        expect(page.get_by_label("Password", exact=True)).to_be_focused()
    else:
        expect(page.get_by_role("group", name="Cloudflare Turnstile check")).to_be_focused()
    assert traffic.results == []
    shot(page, "provider-3-refused")


def test_a_second_round_renders_a_fresh_widget_without_loading_the_script_again(
    open_provider_page: OpenPage, provider_site: str, provider_deployment: Deployment, standin: Any, traffic: Traffic
) -> None:
    """AWS's round two after a refused token, which the emulator never sends: the test answers
    the call carrying the first token as Cognito documents (a new CUSTOM_CHALLENGE, attempt 2).
    The password proof and the second token's answer are real."""
    page = open_provider_page(init_script=WATCH_WIDGET)
    rounds: list[dict[str, str]] = []

    def keep_rounds(response: Response) -> None:
        target = response.request.headers.get("x-amz-target", "")
        if target.endswith("RespondToAuthChallenge") and response.ok and "ChallengeParameters" in response.json():
            rounds.append(response.json()["ChallengeParameters"])

    page.on("response", keep_rounds)
    enter_password(page, provider_deployment)
    expect_widget(page)
    round_one = page.get_by_role("button", name=STANDIN_BUTTON).element_handle()

    def aws_round_two(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        tokens = widget_tokens(page) if body.get("ChallengeName") == "CUSTOM_CHALLENGE" else []
        if len(tokens) != 1 or body["ChallengeResponses"]["ANSWER"] != tokens[0]:
            route.continue_()
            return
        assert rounds[0]["captchaFormat"] == "provider" and rounds[0]["provider"] == "turnstile"
        parameters = {**rounds[0], "attempt": "2", "attemptsLeft": "2"}  # the create trigger's round two
        # The emulator's Session string never rotates (AWS's does), so the real one carries on.
        response = {"ChallengeName": "CUSTOM_CHALLENGE", "Session": body["Session"], "ChallengeParameters": parameters}
        route.fulfill(
            status=200,
            headers={"content-type": "application/x-amz-json-1.1", "access-control-allow-origin": "*"},
            body=json.dumps(response),
        )

    page.route(f"{provider_deployment.emulator.endpoint}/**", aws_round_two)
    page.get_by_role("button", name=STANDIN_BUTTON).click()

    expect(page.locator("#captcha-error")).to_have_text(MESSAGES["providerFailed"])
    expect(page.locator("#captcha-attempts")).to_have_text("Attempts left: 2 of 3")
    expect_widget(page)
    assert round_one is not None and not round_one.evaluate("button => button.isConnected")  # a fresh widget
    shot(page, "provider-4-second-round")

    page.get_by_role("button", name=STANDIN_BUTTON).click()
    expect_signed_in(page, provider_deployment)
    first, second = widget_tokens(page)
    assert first != second
    assert [body["ChallengeResponses"].get("ANSWER") for body in traffic.responds()[1:]] == [first, second]
    expect_metadata_on_every_answer(traffic, "image")
    expect_only_the_standin_script(traffic, provider_site, standin.widget_url("turnstile"))  # loaded once


def test_a_widget_script_that_does_not_load_is_unavailable(
    open_provider_page: OpenPage, provider_deployment: Deployment, standin: Any, traffic: Traffic
) -> None:
    """The provider's script blocked or unreachable: the page can't show the challenge, says so
    in the shared words and asks for the password again."""
    page = open_provider_page()
    page.route(standin.widget_url("turnstile"), lambda route: route.abort())
    enter_password(page, provider_deployment)

    alert = page.locator("#password-error")
    expect(alert).to_have_text(MESSAGES["unavailable"])
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    assert [name for name, _ in traffic.calls] == ["InitiateAuth", "RespondToAuthChallenge"]  # no answer sent
    assert ("script", standin.widget_url("turnstile")) in traffic.requests


def as_provider(provider: str) -> Callable[[Route], None]:
    """Answers the password proof with the deployment's real first round renamed to another
    provider's, so the page shows that provider's widget (the stand-in's script defines every
    provider's API). The token still goes to the real verify trigger, which checks Turnstile's."""

    def rename(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}")
        if body.get("ChallengeName") != "PASSWORD_VERIFIER":
            route.continue_()
            return
        response = route.fetch()
        answer = response.json()
        answer["ChallengeParameters"]["provider"] = provider
        route.fulfill(response=response, body=json.dumps(answer))

    return rename


@pytest.mark.parametrize(("provider", "name"), [("recaptcha-v2", "Google reCAPTCHA"), ("hcaptcha", "hCaptcha")])
def test_each_widget_provider_is_drawn_and_its_token_sent(
    open_provider_page: OpenPage, provider_deployment: Deployment, traffic: Traffic, provider: str, name: str
) -> None:
    page = open_provider_page(init_script=WATCH_WIDGET)
    page.route(f"{provider_deployment.emulator.endpoint}/**", as_provider(provider))
    enter_password(page, provider_deployment)

    widget = page.get_by_role("group", name=f"{name} check")
    expect(widget).to_be_focused()
    expect(page.locator("#captcha-image")).to_be_hidden()
    widget.get_by_role("button", name=STANDIN_BUTTON).click()

    # Turnstile's verify refuses a token rendered without its action: the page says so.
    error = page.locator("#password-error, #captcha-error").filter(has_text=MESSAGES["providerFailed"])
    expect(error).to_be_visible()
    (token,) = widget_tokens(page)
    assert traffic.responds()[-1]["ChallengeResponses"]["ANSWER"] == token
    expect_metadata_on_every_answer(traffic, "image")


def test_recaptcha_v3_needs_no_widget_and_no_click(
    open_provider_page: OpenPage, provider_deployment: Deployment, traffic: Traffic
) -> None:
    """reCAPTCHA v3 has no widget: the page executes it with the round's action as soon as its
    script is ready and sends the token. Its token carries the action, so verify passes it."""
    page = open_provider_page()
    page.route(f"{provider_deployment.emulator.endpoint}/**", as_provider("recaptcha-v3"))
    enter_password(page, provider_deployment)

    expect_signed_in(page, provider_deployment)
    answer = traffic.responds()[-1]["ChallengeResponses"]["ANSWER"]
    assert answer.startswith("standin.")
    expect_metadata_on_every_answer(traffic, "image")
