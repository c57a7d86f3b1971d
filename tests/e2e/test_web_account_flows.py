"""The web page's account flows in a real browser, against the local deployment: an invited
user's first sign-in with a temporary password, and the forgotten-password reset.

Each test signs in a user of its own, so the deployment's user keeps its password for the
other tests. Where the emulator differs from AWS (see each test) the test says what the emulator
does, asserts it, and answers the one call AWS would answer otherwise with Cognito's documented
response; everything else is real.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from offline.emulator import create_user, random_password
from offline.inspector import pending_answer, reset_code
from tests.e2e.deployment import Deployment
from tests.e2e.web_support import (
    APP_VERSION,
    MESSAGES,
    OpenPage,
    Traffic,
    answer_captcha,
    cognito_answer,
    cognito_error,
    enter_password,
    expect_captcha,
    expect_kept_nowhere,
    expect_metadata_on_every_answer,
    expect_signed_in,
    field_of,
    focused_id,
    shot,
)

pytestmark = pytest.mark.e2e
pytest_plugins = ["tests.e2e.web_support"]  # site, browser, traffic, open_page

PASSWORDS_DIFFER = "The two passwords don't match. Type the same new password in both fields."
RESET_METADATA = {"appVersion": APP_VERSION, "platform": "web"}


@dataclass
class Account:
    email: str
    password: str


def new_email(kind: str) -> str:
    return f"{kind}.{secrets.token_hex(4)}@example.com"


def invite(deployment: Deployment) -> Account:
    """What an administrator's invitation makes: a user with a temporary password
    (FORCE_CHANGE_PASSWORD) and a verified email; the test suppresses the email itself."""
    account = Account(new_email("invited"), random_password())
    deployment.client("cognito-idp").admin_create_user(
        UserPoolId=deployment.pool_id,
        Username=account.email,
        TemporaryPassword=account.password,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": account.email}, {"Name": "email_verified", "Value": "true"}],
    )
    return account


def user_status(deployment: Deployment, account: Account) -> str:
    user = deployment.client("cognito-idp").admin_get_user(UserPoolId=deployment.pool_id, Username=account.email)
    return str(user["UserStatus"])


def the_answer(deployment: Deployment, account: Account) -> str:
    """Play the human: this user's pending CAPTCHA answer, from the emulator's state."""
    return pending_answer(deployment.emulator.endpoint, deployment.pool_id, account.email)


def body_of(route: Route) -> dict[str, Any]:
    return dict(json.loads(route.request.post_data or "{}"))


def target_of(route: Route) -> str:
    return route.request.headers.get("x-amz-target", "").rsplit(".", 1)[-1]


def new_password_step(page: Page) -> None:
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_focused()
    expect(page.locator("#new-password-instructions")).to_have_text(MESSAGES["newPasswordRequired"])
    for label in ("New password", "Confirm new password"):
        expect(field_of(page, "new-password-step", label)).to_have_attribute("autocomplete", "new-password")
        expect(field_of(page, "new-password-step", label)).to_have_value("")


def choose(page: Page, step: str, first: str, second: str | None = None) -> None:
    field_of(page, step, "New password").fill(first)
    field_of(page, step, "Confirm new password").fill(first if second is None else second)
    field_of(page, step, "Confirm new password").press("Enter")


def expect_refused(page: Page, step: str, error: str, message: str, focused: str) -> None:
    """A failure of `step`, said in the step's alert region, with focus on the field to fix."""
    alert = page.locator(f"#{error}")
    expect(alert).to_have_text(message)
    assert alert.get_attribute("role") == "alert"
    expect(page.locator(f"#{step}")).to_be_visible()
    expect(page.locator(f"#{focused}")).to_be_focused()
    expect(page.locator(f"#{focused}")).to_have_attribute("aria-invalid", "true")


def test_an_invited_user_on_the_emulator_goes_straight_to_the_captcha(
    open_page: OpenPage, deployment: Deployment, traffic: Traffic
) -> None:
    """What the emulator does, unaltered: in CUSTOM_AUTH it never answers NEW_PASSWORD_REQUIRED.
    The password proof goes to Define like any other, so the CAPTCHA is still required, and the
    user signs in with the temporary password and stays FORCE_CHANGE_PASSWORD. (AWS asks for
    the new password; the next two tests play that.)"""
    account = invite(deployment)
    page = open_page()
    enter_password(page, account)

    expect_captcha(page)
    expect(page.locator("#new-password-step")).to_be_hidden()
    answer_captcha(page, the_answer(deployment, account))
    expect_signed_in(page, account)

    challenges = [body["ChallengeName"] for body in traffic.responds()]
    assert challenges == ["PASSWORD_VERIFIER", "CUSTOM_CHALLENGE"]
    assert user_status(deployment, account) == "FORCE_CHANGE_PASSWORD"
    expect_metadata_on_every_answer(traffic, "image")


@dataclass
class NewPasswordFirst:
    """AWS's NEW_PASSWORD_REQUIRED straight after the password proof, then the CAPTCHA.

    The proof goes to the emulator for real (it proves the password, and Define and Create make
    the CAPTCHA, which is kept); the page gets NEW_PASSWORD_REQUIRED instead, as AWS documents
    for a temporary password. The page's answer goes to the emulator too, which sets the new
    password and, unlike what this flow needs, answers with tokens at once: the test asserts
    that, and hands the page the real CAPTCHA that was kept, so the sign-in ends with it."""

    account: Account
    captcha: dict[str, Any] | None = None
    refuse_next: bool = False
    emulator_answers: list[dict[str, Any]] | None = None

    def __call__(self, route: Route) -> None:
        body = body_of(route)
        if target_of(route) != "RespondToAuthChallenge":
            route.continue_()
        elif body.get("ChallengeName") == "PASSWORD_VERIFIER" and self.captcha is None:
            response = route.fetch()
            self.captcha = dict(response.json())
            assert self.captcha["ChallengeName"] == "CUSTOM_CHALLENGE"
            parameters = {
                "USER_ID_FOR_SRP": self.account.email,
                "requiredAttributes": "[]",
                "userAttributes": json.dumps({"email": self.account.email, "email_verified": "true"}),
            }
            answer = {"ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": self.captcha["Session"]}
            route.fulfill(**cognito_answer({**answer, "ChallengeParameters": parameters}))
        elif body.get("ChallengeName") == "NEW_PASSWORD_REQUIRED" and self.refuse_next:
            # The emulator checks no policy here; AWS refuses a weak password like this.
            self.refuse_next = False
            route.fulfill(**cognito_error("InvalidPasswordException", "Password did not conform with policy"))
        elif body.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
            response = route.fetch()
            self.emulator_answers = [*(self.emulator_answers or []), dict(response.json())]
            assert self.captcha is not None
            route.fulfill(**cognito_answer(self.captcha))
        else:
            route.continue_()


def test_first_sign_in_chooses_a_new_password_then_solves_the_captcha(
    open_page: OpenPage, deployment: Deployment, traffic: Traffic
) -> None:
    account = invite(deployment)
    aws = NewPasswordFirst(account)
    page = open_page()
    page.route(f"{deployment.emulator.endpoint}/**", aws)
    enter_password(page, account)

    new_password_step(page)
    shot(page, "11-new-password")
    # Typed differently twice: said by the page, nothing sent.
    choose(page, "new-password-step", random_password(), random_password())
    expect_refused(page, "new-password-step", "new-password-error", PASSWORDS_DIFFER, "new-password")
    expect(field_of(page, "new-password-step", "Confirm new password")).to_have_value("")
    assert [body["ChallengeName"] for body in traffic.responds()] == ["PASSWORD_VERIFIER"]
    # The pool's policy refuses it: its shared sentence, never the error's text.
    aws.refuse_next = True
    choose(page, "new-password-step", "short")
    expect_refused(page, "new-password-step", "new-password-error", MESSAGES["passwordRules"], "new-password")
    assert "did not conform" not in page.locator("main").inner_text()
    shot(page, "12-new-password-refused")

    # Keyboard only, from the field that has focus.
    chosen = random_password()
    page.keyboard.type(chosen)
    page.keyboard.press("Tab")
    assert focused_id(page) == "new-password-again"
    page.keyboard.type(chosen)
    page.keyboard.press("Enter")

    expect_captcha(page)
    (emulator_answer,) = aws.emulator_answers or []
    assert "AuthenticationResult" in emulator_answer  # the emulator would have skipped the CAPTCHA
    answer_captcha(page, the_answer(deployment, account))
    expect_signed_in(page, account)

    sent = traffic.responds()
    assert [body["ChallengeName"] for body in sent] == [
        "PASSWORD_VERIFIER",
        "NEW_PASSWORD_REQUIRED",
        "NEW_PASSWORD_REQUIRED",
        "CUSTOM_CHALLENGE",
    ]
    assert sent[2]["ChallengeResponses"]["NEW_PASSWORD"] == chosen
    expect_metadata_on_every_answer(traffic, "image")  # the new password's call may create the CAPTCHA
    assert user_status(deployment, account) == "CONFIRMED"
    expect_kept_nowhere(page, traffic, account.password, chosen)

    # The new password is the one that works now, CAPTCHA and all (no more interception).
    page.unroute(f"{deployment.emulator.endpoint}/**")
    page.get_by_role("button", name="Sign out").click()
    enter_password(page, Account(account.email, chosen))
    expect_captcha(page)
    answer_captcha(page, the_answer(deployment, account))
    expect_signed_in(page, account)


def test_first_sign_in_may_ask_for_the_new_password_after_the_captcha(
    open_page: OpenPage, deployment: Deployment, traffic: Traffic
) -> None:
    """The other order Cognito is reported to use in custom auth (aws-amplify/amplify-flutter
    issue 4890): the CAPTCHA, then NEW_PASSWORD_REQUIRED. The emulator checks the answer for
    real (and would issue tokens); the page gets NEW_PASSWORD_REQUIRED instead, and its answer
    goes to the emulator, which sets the password and issues tokens."""
    account = invite(deployment)
    page = open_page()

    def aws_after_the_captcha(route: Route) -> None:
        body = body_of(route)
        if target_of(route) == "RespondToAuthChallenge" and body.get("ChallengeName") == "CUSTOM_CHALLENGE":
            assert "AuthenticationResult" in route.fetch().json()  # a right answer
            parameters = {"USER_ID_FOR_SRP": account.email, "requiredAttributes": "[]", "userAttributes": "{}"}
            answer = {"ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": body["Session"]}
            route.fulfill(**cognito_answer({**answer, "ChallengeParameters": parameters}))
        else:
            route.continue_()

    page.route(f"{deployment.emulator.endpoint}/**", aws_after_the_captcha)
    enter_password(page, account)
    expect_captcha(page)
    answer_captcha(page, the_answer(deployment, account))

    new_password_step(page)
    chosen = random_password()
    choose(page, "new-password-step", chosen)
    expect_signed_in(page, account)
    assert [body["ChallengeName"] for body in traffic.responds()] == [
        "PASSWORD_VERIFIER",
        "CUSTOM_CHALLENGE",
        "NEW_PASSWORD_REQUIRED",
    ]
    expect_metadata_on_every_answer(traffic, "image")
    assert user_status(deployment, account) == "CONFIRMED"
    expect_kept_nowhere(page, traffic, account.password, chosen)


def ask_for_a_code(page: Page, email: str) -> None:
    """From the password step, by keyboard only: "Forgot password?", the email, Enter."""
    keyboard = page.keyboard
    for expected in ("email", "password", "", "forgot-password"):  # "" is the Continue button
        keyboard.press("Tab")
        assert focused_id(page) == expected
    keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Reset your password")).to_be_focused()
    keyboard.press("Tab")
    assert focused_id(page) == "reset-email"
    keyboard.type(email)
    keyboard.press("Enter")


def test_asking_for_a_reset_code_reads_the_same_for_unknown_and_known_emails(
    open_page: OpenPage, deployment: Deployment, traffic: Traffic
) -> None:
    known = Account(new_email("reset"), random_password())
    create_user(deployment.client("cognito-idp"), deployment.pool_id, known.email, known.password)
    emails, seen = [new_email("nobody"), known.email], []
    for email in emails:
        page = open_page()
        ask_for_a_code(page, email)
        expect(page.get_by_role("heading", name="Enter the code and a new password")).to_be_focused()
        expect(page.locator("#reset-code-sent")).to_have_text(MESSAGES["resetCodeSent"])
        expect(page.locator("#reset-code-error")).to_have_text("")
        seen.append(page.locator("main").inner_text())
    shot(page, "13-reset-code")

    assert seen[0] == seen[1]
    calls = traffic.bodies("ForgotPassword")
    assert [call["Username"] for call in calls] == emails
    assert all(call["ClientMetadata"] == RESET_METADATA for call in calls)
    assert reset_code(deployment.emulator.endpoint, deployment.pool_id, known.email)  # the known one got a code


def refusing(name: str, message: str) -> Callable[[Route], None]:
    """Answers every ConfirmForgotPassword with this error (Amplify retries a throttled call
    itself, so one answer is not enough). The emulator accepts any code (it checks codes only
    with its AUTH=true), so a wrong or expired code is Cognito's documented answer, given here."""

    def answer(route: Route) -> None:
        if target_of(route) == "ConfirmForgotPassword":
            route.fulfill(**cognito_error(name, message))
        else:
            route.continue_()

    return answer


def test_forgot_password_then_sign_in_with_the_new_one(
    open_page: OpenPage, deployment: Deployment, traffic: Traffic
) -> None:
    account = Account(new_email("forgot"), random_password())
    create_user(deployment.client("cognito-idp"), deployment.pool_id, account.email, account.password)
    page = open_page()
    page.get_by_role("button", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_focused()
    field_of(page, "reset-request-step", "Email").fill(account.email)
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_role("heading", name="Enter the code and a new password")).to_be_focused()
    code = reset_code(deployment.emulator.endpoint, deployment.pool_id, account.email)

    def use(code_typed: str, first: str, second: str | None = None) -> None:
        field_of(page, "reset-code-step", "Code").fill(code_typed)
        choose(page, "reset-code-step", first, second)

    # The page's own check: the two passwords differ; nothing is sent.
    use(code, random_password(), random_password())
    expect_refused(page, "reset-code-step", "reset-code-error", PASSWORDS_DIFFER, "reset-new-password")
    assert not traffic.bodies("ConfirmForgotPassword")
    # The emulator applies the pool's policy for real.
    use(code, "short")
    expect_refused(page, "reset-code-step", "reset-code-error", MESSAGES["passwordRules"], "reset-new-password")
    expect(field_of(page, "reset-code-step", "Code")).to_have_value(code)

    chosen = random_password()
    for error, raw, message in [
        ("CodeMismatchException", "Invalid verification code provided, please try again.", MESSAGES["resetCodeWrong"]),
        ("ExpiredCodeException", "Invalid code provided, please request a code again.", MESSAGES["resetCodeWrong"]),
        ("LimitExceededException", "Attempt limit exceeded, please try after some time.", MESSAGES["throttled"]),
    ]:
        refuse = refusing(error, raw)
        page.route(f"{deployment.emulator.endpoint}/**", refuse)
        use("000000", chosen)
        expect_refused(page, "reset-code-step", "reset-code-error", message, "reset-code")
        expect(field_of(page, "reset-code-step", "Code")).to_have_value("")
        page.unroute(f"{deployment.emulator.endpoint}/**", refuse)
    assert "Invalid" not in page.locator("main").inner_text()
    shot(page, "14-reset-code-wrong")

    # "Send a new code": asked for again, said in the status region, focus back on the code.
    page.get_by_role("button", name="Send a new code").click()
    expect(page.get_by_role("status")).to_have_text(MESSAGES["resetCodeSent"])
    expect(field_of(page, "reset-code-step", "Code")).to_be_focused()
    expect(page.locator("#reset-code-error")).to_have_text("")
    code = reset_code(deployment.emulator.endpoint, deployment.pool_id, account.email)

    use(code, chosen)
    expect(page.get_by_role("status")).to_have_text(MESSAGES["passwordReset"])
    expect(page.get_by_role("heading", name="Email and password")).to_be_visible()
    expect(field_of(page, "password-step", "Email")).to_have_value(account.email)
    expect(field_of(page, "password-step", "Password")).to_be_focused()
    shot(page, "15-password-reset")
    confirmed = traffic.bodies("ConfirmForgotPassword")[-1]
    assert confirmed == {**confirmed, "Username": account.email, "ConfirmationCode": code, "Password": chosen}
    assert confirmed["ClientMetadata"] == RESET_METADATA

    # Signed in with the new password, CAPTCHA and all.
    enter_password(page, Account(account.email, chosen))
    expect_captcha(page)
    answer_captcha(page, the_answer(deployment, account))
    expect_signed_in(page, account)
    expect_kept_nowhere(page, traffic, account.password, chosen, code)


def test_back_to_sign_in_leaves_the_reset_and_forgets_what_was_typed(
    open_page: OpenPage, deployment: Deployment, traffic: Traffic
) -> None:
    page = open_page()
    field_of(page, "password-step", "Email").fill(deployment.email)
    page.get_by_role("button", name="Forgot password?").click()
    # The email typed on the password step is carried over.
    expect(field_of(page, "reset-request-step", "Email")).to_have_value(deployment.email)
    page.get_by_role("button", name="Send code").click()
    field_of(page, "reset-code-step", "Code").fill("123456")
    field_of(page, "reset-code-step", "New password").fill("Typed-but-never-sent-1")
    page.get_by_role("button", name="Back to sign in").click()

    expect(field_of(page, "password-step", "Password")).to_be_focused()
    for label in ("Code", "New password", "Confirm new password"):
        expect(field_of(page, "reset-code-step", label)).to_have_value("")
    assert not traffic.bodies("ConfirmForgotPassword")
    # The deployment's user asked for a code but kept the password: sign-in works as before.
    enter_password(page, deployment)
    expect_captcha(page)
    answer_captcha(page, deployment.pending_answer())
    expect_signed_in(page, deployment)
