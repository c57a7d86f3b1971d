"""The cdk-nag (AwsSolutions) findings CaptchaAuth accepts on purpose, each with its reason.

CaptchaAuth acknowledges them on itself; `app.py` arms the gate (`AwsSolutionsChecks`), and any
unacknowledged finding makes `cdk synth` (and the template tests) fail.
"""

from __future__ import annotations

MFA_NOT_REQUIRED = (
    "Sign-in runs only through CUSTOM_AUTH, where the define trigger decides every step; the "
    "pool's built-in MFA setting is not what protects it. The CAPTCHA is not a second factor "
    "(README, security notes): add a TOTP or email-code step to the define trigger before "
    "relying on this pool for accounts that need MFA."
)
ESSENTIALS_TIER = (
    "The Plus feature plan is billed per monthly active user, so a starter that anyone can "
    "deploy to try keeps the Essentials plan. Set context threatProtection=true (construct prop "
    "threat_protection) for Plus with threat protection enforced on standard and custom auth."
)


COUNTER_KEY_NOT_ROTATED = (
    "The secret is the HMAC key that turns usernames into the failure counter's table keys. "
    "Rotating it would only reset every counter early; it never leaves Secrets Manager except to "
    "the define trigger, and the table holds nothing but counts and times."
)


PROVIDER_KEY_NOT_ROTATED = (
    "The secret holds the managed CAPTCHA provider's secret key, which the provider issues and "
    "rotates in its own dashboard; the operator puts each new key here. Secrets Manager can't "
    "rotate it: there is no API to mint one, so a rotation function would have nothing to do."
)


CHOSEN_RUNTIME = (
    "The deployer chose this runtime (the construct's runtime prop) over the newest, usually to "
    "match the Python that synthesizes, so the bundle carries byte-code and cold starts are "
    "faster (README, Cost). It is one of the runtimes the construct accepts, python3.12 to "
    "python3.14 on Amazon Linux 2023."
)


# Acknowledged on the one secret each applies to, not on the whole construct.
SECRET_ROTATION = "AwsSolutions-SMG4"  # noqa: S105 (a cdk-nag rule id)
# Acknowledged on the four triggers, and only when the runtime was chosen.
OLDER_RUNTIME = "AwsSolutions-L1"


def acknowledged_findings(*, threat_protection: bool, waf: bool = False) -> dict[str, str]:
    """Findings this design accepts on purpose for the whole construct, each with a reason for a
    security reviewer."""
    findings = {"AwsSolutions-COG2": MFA_NOT_REQUIRED}
    if not threat_protection:
        findings["AwsSolutions-COG8"] = ESSENTIALS_TIER
    return findings
