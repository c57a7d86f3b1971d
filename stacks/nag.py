"""cdk-nag (AwsSolutions) gate, with every accepted finding and its reason in one place.

Unacknowledged findings make `cdk synth` (and the template tests) fail.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Stack, Validations
from cdk_nag import AwsSolutionsChecks

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


def acknowledged_findings(*, threat_protection: bool) -> dict[str, str]:
    """Findings this design accepts on purpose, each with a reason for a security reviewer."""
    findings = {"AwsSolutions-COG2": MFA_NOT_REQUIRED}
    if not threat_protection:
        findings["AwsSolutions-COG8"] = ESSENTIALS_TIER
    return findings


def apply_nag(app: App, stack: Stack, *, threat_protection: bool) -> None:
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    for finding_id, reason in acknowledged_findings(threat_protection=threat_protection).items():
        Validations.of(stack).acknowledge(Acknowledgment(id=finding_id, reason=reason))
