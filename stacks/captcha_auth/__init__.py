"""The reusable CaptchaAuth construct. To lift it into your own app, copy this folder and
`lambdas/` (the trigger code it bundles by default), keeping them side by side."""

from stacks.captcha_auth.construct import CaptchaAuth, ProtectedSettingError
from stacks.captcha_auth.trigger_code import bundled_trigger_code

__all__ = ["CaptchaAuth", "ProtectedSettingError", "bundled_trigger_code"]
