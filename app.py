#!/usr/bin/env python3
"""CDK entry point: the only place that reads context and environment (the end-to-end tests'
app, tests/e2e/stacks_app.py, builds several of its stacks through the same read_settings).

Every context key (cdk.json, or `-c key=value`) is listed in CONTEXT below and in the README's
"Context" table. A value outside its allowed set stops the synth with one line naming the key
and the values it takes.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.captcha_auth import CaptchaAuth, bundled_trigger_code
from stacks.captcha_auth.trigger_code import MissingBundler, bundling_failures
from stacks.captcha_sign_in_stack import CaptchaSignInStack

BOOLEAN = ("true", "false")
TARGETS = ("aws", "local")
ATTEMPTS = CaptchaAuth.MAX_CAPTCHA_ATTEMPTS_RANGE
STACK_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,127}")
SITE_KEY = re.compile(r"[A-Za-z0-9_-]{1,100}")
EMULATOR_ACCOUNT = "000000000000"  # the local emulator's account id

# key: (what it does, the values it takes, default)
CONTEXT = {
    "stackName": ("the stack's name; the CLI and `make` targets look it up", "a CloudFormation stack name", "cdk.json"),
    "sandbox": ("throw-away deployment: `cdk destroy` deletes the pool and its users", "true | false", "false"),
    "threatProtection": ("Plus feature plan with threat protection (billed per active user)", "true | false", "false"),
    "selfSignUp": ("anyone may create an account", "true | false", "false"),
    "maxCaptchaAttempts": (
        "CAPTCHA rounds per sign-in",
        f"a whole number from {ATTEMPTS[0]} to {ATTEMPTS[-1]}",
        str(CaptchaAuth.DEFAULT_MAX_CAPTCHA_ATTEMPTS),
    ),
    "lockoutAfterFailures": ("failed sign-ins that lock a username", "a whole number from 1 to 100", "5"),
    "lockoutSeconds": (
        "the first lock's length; each further failure doubles it, up to an hour",
        "a whole number from 1 to 3600",
        "300",
    ),
    "waf": ("an AWS WAF web ACL on the user pool: rate limit per IP, IP reputation", "true | false", "false"),
    "captchaProvider": (
        "the challenge: the built-in CAPTCHA or a managed provider (see Choosing a challenge)",
        " | ".join(CaptchaAuth.CAPTCHA_PROVIDERS),
        "builtin",
    ),
    "captchaSiteKey": ("the provider's public site key (required with a provider)", "a site key", "none"),
    "captchaHostnames": (
        "the page's hostnames, comma-separated; tokens solved elsewhere are refused (needed with a provider)",
        "hostnames",
        "none",
    ),
    "captchaVerifyUrl": (
        "the provider's siteverify URL: a proxy, or a local stand-in",
        "an https URL",
        "the provider's",
    ),
    "target": ("local: bundle the triggers' wheels for the local emulator (`make demo`)", "aws | local", "aws"),
}


class ContextError(ValueError):
    """A context value this app does not take. Its text is the one line the user sees."""


@dataclass(frozen=True)
class Settings:
    stack_name: str
    sandbox: bool
    threat_protection: bool
    self_sign_up: bool
    max_captcha_attempts: int | None
    lockout_after_failures: int | None
    lockout_seconds: int | None
    waf: bool
    captcha_provider: str
    captcha_site_key: str | None
    captcha_hostnames: tuple[str, ...]
    captcha_verify_url: str | None
    target: str


def _refuse(key: str, value: Any) -> ContextError:
    return ContextError(f"context {key}={value!r} is not allowed: {key} takes {CONTEXT[key][1]}")


def read_settings(get: Callable[[str], Any]) -> Settings:
    """Parse every context key; `get` returns a key's value or None (`app.node.try_get_context`).

    cdk.json may hold JSON booleans and numbers, `-c` always gives strings: both are taken."""

    def boolean(key: str) -> bool:
        value = get(key)
        if value is None:
            return False
        text = str(value).lower() if isinstance(value, bool) else value
        if text not in BOOLEAN:
            raise _refuse(key, value)
        return bool(text == "true")

    stack_name = get("stackName")
    if not isinstance(stack_name, str) or not STACK_NAME.fullmatch(stack_name):
        raise _refuse("stackName", stack_name)
    target = get("target") or "aws"
    if target not in TARGETS:
        raise _refuse("target", target)
    if target == "local" and os.environ.get("CDK_DEFAULT_ACCOUNT", EMULATOR_ACCOUNT) != EMULATOR_ACCOUNT:
        # The local build leaves the alarms out and ships this machine's wheels: never to AWS.
        raise ContextError(f"context target='local' is for the local emulator (account {EMULATOR_ACCOUNT}) only")
    provider = get("captchaProvider") or "builtin"
    if provider not in CaptchaAuth.CAPTCHA_PROVIDERS:
        raise _refuse("captchaProvider", provider)
    site_key = get("captchaSiteKey")
    hostnames = tuple(name.strip() for name in str(get("captchaHostnames") or "").split(",") if name.strip())
    if provider != "builtin" and not (isinstance(site_key, str) and SITE_KEY.fullmatch(site_key)):
        raise ContextError(f"context captchaProvider={provider!r} needs captchaSiteKey: {CONTEXT['captchaSiteKey'][0]}")
    verify_url = get("captchaVerifyUrl")
    if verify_url is not None and not isinstance(verify_url, str):
        raise _refuse("captchaVerifyUrl", verify_url)
    if provider != "builtin" and not hostnames:
        raise ContextError(f"context captchaProvider={provider!r} needs captchaHostnames: the page's hostnames")

    def whole_number(key: str, allowed: range) -> int | None:
        value = get(key)
        if value is None:
            return None
        text = str(value) if type(value) is int else value
        if not isinstance(text, str) or not text.isascii() or not text.isdigit() or int(text) not in allowed:
            raise _refuse(key, value)
        return int(text)

    return Settings(
        stack_name=stack_name,
        sandbox=boolean("sandbox"),
        threat_protection=boolean("threatProtection"),
        self_sign_up=boolean("selfSignUp"),
        max_captcha_attempts=whole_number("maxCaptchaAttempts", ATTEMPTS),
        lockout_after_failures=whole_number("lockoutAfterFailures", range(1, 101)),
        lockout_seconds=whole_number("lockoutSeconds", range(1, 3601)),
        waf=boolean("waf"),
        captcha_provider=provider,
        captcha_site_key=site_key if provider != "builtin" else None,
        captcha_hostnames=hostnames,
        captcha_verify_url=verify_url,
        target=target,
    )


def edit_distance(a: str, b: str) -> int:
    """Levenshtein's: the fewest insertions, deletions and substitutions from `a` to `b`. (The
    standard library has none; difflib's ratio calls a key that extends ours, such as a fork's
    lockoutWindowSeconds, close to lockoutSeconds.)"""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def check_keys(keys: Iterable[str]) -> None:
    """A misspelling of one of our keys (`-c maxCaptchaAttemps=5`) is refused, naming the key it
    resembles: the setting would otherwise keep its default without a word. A misspelling here is
    the same key in other case, or one or two letters off (one for a key of five letters or
    fewer), but never a key that starts with one of ours (a fork's lockoutWindowSeconds). Any
    other key (the CDK's own, a fork's) is left alone."""
    for key in sorted(set(keys) - set(CONTEXT)):
        folded = key.casefold()
        for ours in CONTEXT:
            allowed = 1 if len(ours) <= 5 else 2
            if abs(len(key) - len(ours)) > allowed:  # at least that many edits: skip the count (~0.25 s a synth)
                continue
            extends = folded.startswith(ours.casefold()) and folded != ours.casefold()
            if not extends and edit_distance(folded, ours.casefold()) <= allowed:
                raise ContextError(f"context {key} is not a key this app reads: did you mean {ours}?")


def build_app(app: cdk.App) -> CaptchaSignInStack:
    """The stack, from the context, with the cdk-nag gate armed. Raises ContextError."""
    check_keys(app.node.get_all_context())
    stack = build_stack(app, read_settings(app.node.try_get_context))
    arm_nag(app)
    return stack


def arm_nag(app: cdk.App) -> None:
    """The cdk-nag gate, once per app: it checks every stack in it at synth."""
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def build_stack(app: cdk.App, settings: Settings) -> CaptchaSignInStack:
    """One stack in `app`, from parsed settings (read_settings). An app may hold several."""
    auth: dict[str, Any] = {
        "threat_protection": settings.threat_protection,
        "self_sign_up_enabled": settings.self_sign_up,
    }
    if settings.max_captcha_attempts is not None:
        auth["max_captcha_attempts"] = settings.max_captcha_attempts
    if settings.lockout_after_failures is not None:
        auth["lockout_after_failures"] = settings.lockout_after_failures
    if settings.lockout_seconds is not None:
        auth["lockout_backoff"] = cdk.Duration.seconds(settings.lockout_seconds)
    if settings.waf:
        auth["waf"] = True
    if settings.captcha_provider != "builtin":
        auth.update(
            captcha_provider=settings.captcha_provider,
            captcha_site_key=settings.captcha_site_key,
            captcha_hostnames=settings.captcha_hostnames,
        )
        if settings.captcha_verify_url:
            auth["captcha_verify_url"] = settings.captcha_verify_url
    if settings.target == "local":
        # The emulator runs every handler on this machine's Python whatever the template says,
        # so the wheels are this machine's; and it can't create metric-math alarms, so those
        # are left out. Nothing else changes: the deployed template is the one tested.
        auth["code"] = bundled_trigger_code(for_this_machine=True)
        auth["alarms"] = False
    return CaptchaSignInStack(
        app,
        settings.stack_name,
        sandbox=settings.sandbox,
        auth=auth,
        env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")),
        description="Cognito sign-in: password (SRP) first, then a CAPTCHA (custom auth triggers)",
    )


def main() -> int:
    app = cdk.App()
    earlier_failures = len(bundling_failures())
    try:
        build_app(app)
    except (ValueError, MissingBundler) as error:  # a context value or a prop made from one refused; no uv
        print(f"error: {error}", file=sys.stderr)
        return 2
    except RuntimeError:  # from CDK's asset staging (jsii): one line if it was our bundler's failure
        failures = bundling_failures()[earlier_failures:]
        if not failures:
            raise
        print(f"error: the trigger code could not be bundled: {failures[-1]}", file=sys.stderr)
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
