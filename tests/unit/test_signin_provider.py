"""The sign-in CLI and a managed challenge provider's round (captchaFormat "provider": Cloudflare
Turnstile, Google reCAPTCHA v2/v3, hCaptcha). Its widget runs in a web browser only, so the CLI
names the provider and stops with its own exit code, without answering the round."""

from __future__ import annotations

from typing import Any

import pytest

from signin import cli, flow
from signin.cli import PASSWORD_ENV, main
from signin.flow import MESSAGES, PROVIDERS, ExitCode, SignInError, parse_captcha, sign_in


def provider_round(provider: str = "turnstile", **overrides: str) -> dict[str, str]:
    """The create trigger's public parameters of a provider round, as the contract gives them."""
    parameters = {
        "captchaFormat": "provider",
        "provider": provider,
        "siteKey": "1x00000000000000000000AA",
        "attempt": "1",
        "maxAttempts": "3",
        "attemptsLeft": "3",
    }
    if provider in ("turnstile", "recaptcha-v3"):
        parameters["action"] = "sign_in"
    return {**parameters, **overrides}


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_a_provider_round_is_parsed_without_media(provider: str) -> None:
    captcha = parse_captcha(provider_round(provider, attempt="2", attemptsLeft="2"))
    assert (captcha.format, captcha.provider, captcha.data, captcha.media_type) == ("provider", provider, b"", "")
    assert (captcha.attempt, captcha.max_attempts, captcha.attempts_left) == (2, 3, 2)


@pytest.mark.parametrize(
    "overrides",
    [{"provider": "friendlycaptcha"}, {"provider": ""}, {"attempt": "one"}, {"attemptsLeft": "-1"}],
    ids=["unknown-provider", "no-provider", "attempt-not-a-number", "negative-count"],
)
def test_a_malformed_provider_round_is_refused_cleanly(overrides: dict[str, str]) -> None:
    with pytest.raises(SignInError) as refused:
        parse_captcha(provider_round(**overrides))
    assert refused.value.code == ExitCode.TRIGGER_FAILED
    assert str(refused.value) == MESSAGES["unavailable"]


def test_the_provider_names_are_the_shared_message_and_the_provider() -> None:
    assert PROVIDERS == {
        "turnstile": "Cloudflare Turnstile",
        "recaptcha-v2": "Google reCAPTCHA v2",
        "recaptcha-v3": "Google reCAPTCHA v3",
        "hcaptcha": "hCaptcha",
    }
    error = flow.needs_browser(parse_captcha(provider_round("hcaptcha")))
    assert (error.code, str(error)) == (13, f"{MESSAGES['providerNeedsBrowser']} (hCaptcha)")


class FakeSRP:
    """Stands in for pycognito's AWSSRP: the password proof is Cognito's business, not this test's."""

    def __init__(self, **_: Any) -> None:
        pass

    def get_auth_params(self) -> dict[str, str]:
        return {"USERNAME": "jane@example.com", "SRP_A": "abc"}

    def process_challenge(self, parameters: dict[str, str], auth_parameters: dict[str, str]) -> dict[str, str]:
        return {"USERNAME": "jane@example.com", "PASSWORD_CLAIM_SIGNATURE": "sig"}


class ProviderPool:
    """A pool whose challenge is a provider's: every RespondToAuthChallenge is recorded."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self.responds: list[dict[str, Any]] = []

    def initiate_auth(self, **_: Any) -> dict[str, Any]:
        return {"ChallengeName": "PASSWORD_VERIFIER", "Session": "s1", "ChallengeParameters": {}}

    def respond_to_auth_challenge(self, **call: Any) -> dict[str, Any]:
        self.responds.append(call)
        parameters = {**provider_round(self.provider), "USERNAME": "jane@example.com"}
        return {"ChallengeName": "CUSTOM_CHALLENGE", "Session": "s2", "ChallengeParameters": parameters}


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_sign_in_stops_at_a_provider_round_without_answering_it(provider: str, monkeypatch) -> None:
    monkeypatch.setattr(flow, "AWSSRP", FakeSRP)
    pool = ProviderPool(provider)
    asked: list[object] = []
    with pytest.raises(SignInError) as stopped:
        sign_in(
            pool,
            pool_id="us-east-1_AbC123",
            client_id="abc123",
            username="jane@example.com",
            password="Any-password-123!",
            solve=lambda captcha: asked.append(captcha) or "ANSWER",
        )
    assert stopped.value.code == ExitCode.PROVIDER_NEEDS_BROWSER == 13
    assert str(stopped.value) == f"{MESSAGES['providerNeedsBrowser']} ({PROVIDERS[provider]})"
    assert asked == []  # nobody is asked to solve what only a browser can
    assert [call["ChallengeName"] for call in pool.responds] == ["PASSWORD_VERIFIER"]  # no ANSWER sent


def test_the_terminal_solver_never_shows_a_provider_round(tmp_path) -> None:
    solver = cli.TerminalSolver(tmp_path, show_preview=False)
    with pytest.raises(SignInError) as stopped:
        solver(parse_captcha(provider_round("recaptcha-v2")))
    assert stopped.value.code == ExitCode.PROVIDER_NEEDS_BROWSER
    assert list(tmp_path.iterdir()) == []


def test_the_cli_names_the_provider_in_one_line_and_exits_13(monkeypatch, capsys) -> None:
    monkeypatch.setattr(flow, "AWSSRP", FakeSRP)
    pool = ProviderPool("turnstile")
    monkeypatch.setattr(cli, "connect", lambda args: (pool, "us-east-1_AbC123", "abc123"))
    monkeypatch.setenv(PASSWORD_ENV, "Any-password-123!")
    code = main(["--username", "jane@example.com"])
    err = capsys.readouterr().err
    assert code == 13
    assert err.strip().splitlines()[-1] == f"error: {MESSAGES['providerNeedsBrowser']} (Cloudflare Turnstile)"
    assert "Traceback" not in err
    # The round was reached with the CLI's usual ClientMetadata (the format the person asked for).
    assert pool.responds[0]["ClientMetadata"]["captchaFormat"] == "image"


def test_help_documents_exit_code_13(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.parse_args(["--help"])
    out = capsys.readouterr().out
    assert "  13   a managed provider's challenge (Turnstile, reCAPTCHA, hCaptcha): sign in on the web page" in out
