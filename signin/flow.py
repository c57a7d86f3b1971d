"""The sign-in itself, free of any terminal code: InitiateAuth (CUSTOM_AUTH with SRP_A), the
SRP password proof, a new password if the pool asks for one (first sign-in with a temporary
password), then CAPTCHA rounds until Cognito issues tokens or refuses. Also the forgotten
password reset (ForgotPassword, ConfirmForgotPassword).

SRP is pycognito's AWSSRP: never hand-rolled.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import wave
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum, unique
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pycognito.aws_srp import AWSSRP

# What a person is told, and which CAPTCHA media this client accepts: shared with the web page
# (web/src/errors.js, web/src/auth.js), so both clients say the same thing.
_SHARED = json.loads((Path(__file__).resolve().parent / "messages.json").read_text())
MESSAGES: dict[str, str] = _SHARED["messages"]
CAPTCHA_MEDIA_TYPES: dict[str, list[str]] = _SHARED["captchaMediaTypes"]
# In the error text of a define trigger that refuses a locked username (the only trigger error
# whose text the clients read).
LOCKED_OUT_MARKER: str = _SHARED["lockedOutMarker"]


@unique  # two ways of ending must never share a code
class ExitCode(IntEnum):
    """Distinct exit codes, one per way a sign-in ends (documented in --help)."""

    OK = 0
    INTERNAL = 1
    USAGE = 2
    WRONG_PASSWORD = 3
    UNKNOWN_USER = 4
    CAPTCHA_FAILED = 5
    SESSION_EXPIRED = 6
    THROTTLED = 7
    CONFIGURATION = 8
    TRIGGER_FAILED = 9
    LOCKED_OUT = 10
    PASSWORD_RULES = 11
    RESET_CODE_WRONG = 12
    PROVIDER_NEEDS_BROWSER = 13
    CANCELLED = 130


class SignInError(Exception):
    def __init__(self, code: ExitCode, message: str) -> None:
        super().__init__(message)
        self.code = code


# The managed challenge providers a round may name (captchaFormat "provider"), as people know
# them. Their widgets run in a web browser only: this client names the provider and stops.
PROVIDERS: dict[str, str] = {
    "turnstile": "Cloudflare Turnstile",
    "recaptcha-v2": "Google reCAPTCHA v2",
    "recaptcha-v3": "Google reCAPTCHA v3",
    "hcaptcha": "hCaptcha",
}


@dataclass(frozen=True)
class Captcha:
    """One CAPTCHA round as the client sees it."""

    format: str  # "image", "audio", or "provider" (a managed provider's widget: no media)
    media_type: str
    data: bytes
    attempt: int
    max_attempts: int
    attempts_left: int
    provider: str = ""  # one of PROVIDERS when format is "provider"


def needs_browser(captcha: Captcha) -> SignInError:
    """A provider round: its widget runs in a web browser only, so this client stops there."""
    return SignInError(
        ExitCode.PROVIDER_NEEDS_BROWSER, f"{MESSAGES['providerNeedsBrowser']} ({PROVIDERS[captcha.provider]})"
    )


@dataclass(frozen=True)
class Tokens:
    id_token: str
    access_token: str
    refresh_token: str | None
    expires_in: int

    def claims(self) -> dict[str, Any]:
        """The ID token's claims, decoded for display only (no signature check here)."""
        payload = self.id_token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


Solver = Callable[[Captcha], str]
Progress = Callable[[str], None]
NewPassword = Callable[[], str]

# What this client agrees to decode: well above a real CAPTCHA (a 320x90 PNG of ~16 kB, a WAV of
# ~55 kB; Cognito caps a parameter at 131,072 characters), far below any harm.
MAX_MEDIA_BYTES = 200_000
MAX_PIXELS = 1_000_000
MEDIA_REFUSED = f"{MESSAGES['unavailable']} (the CAPTCHA was not a PNG image or WAV sound under 200 kB)"


def check_media(captcha_format: str, data: bytes) -> None:
    """Refuse anything but a small, well-formed PNG (image) or WAV (audio) before anyone opens it."""
    if len(data) > MAX_MEDIA_BYTES:
        raise SignInError(ExitCode.TRIGGER_FAILED, MEDIA_REFUSED)
    try:
        if captcha_format == "audio":
            with wave.open(io.BytesIO(data)) as sound:
                frames = sound.getnframes()
                ok = frames > 0 and sound.getnchannels() in (1, 2) and sound.getsampwidth() in (1, 2)
                ok = ok and len(sound.readframes(frames)) == frames * sound.getnchannels() * sound.getsampwidth()
        else:
            from PIL import Image

            with Image.open(io.BytesIO(data), formats=["PNG"]) as image:  # reads the header only
                ok = 0 < image.width * image.height <= MAX_PIXELS
                if ok:
                    image.load()  # decoded now, under the cap: a corrupt stream fails here, not later
    except Exception:  # a decoder refusing untrusted bytes may raise anything
        ok = False
    if not ok:
        raise SignInError(ExitCode.TRIGGER_FAILED, MEDIA_REFUSED)


def _attempts(parameters: dict[str, str]) -> tuple[int, int, int]:
    numbers = tuple(int(parameters[key]) for key in ("attempt", "maxAttempts", "attemptsLeft"))
    if any(number < 0 for number in numbers):
        raise ValueError("a negative count")
    return numbers[0], numbers[1], numbers[2]


def parse_captcha(parameters: dict[str, str]) -> Captcha:
    """Decode the public challenge parameters; refuse anything not shaped as expected. A
    provider round (a managed provider's widget) has no media: its provider and counts only."""
    try:
        captcha_format = parameters.get("captchaFormat", "image")
        if captcha_format == "provider":
            provider = parameters.get("provider", "")
            if provider not in PROVIDERS:
                raise ValueError("not a provider this client knows")
            attempt, max_attempts, attempts_left = _attempts(parameters)
            return Captcha("provider", "", b"", attempt, max_attempts, attempts_left, provider=provider)
        url = parameters["captchaUrl"]
        header, _, payload = url.partition(",")
        if not header.startswith("data:") or not header.endswith(";base64"):
            raise ValueError("not a base64 data URL")
        media_type = header[len("data:") : -len(";base64")]
        if media_type not in CAPTCHA_MEDIA_TYPES.get(captcha_format, []):
            raise ValueError("not a medium this client plays")
        if len(payload) > MAX_MEDIA_BYTES * 4 // 3 + 4:
            raise SignInError(ExitCode.TRIGGER_FAILED, MEDIA_REFUSED)
        attempt, max_attempts, attempts_left = _attempts(parameters)
        captcha = Captcha(
            format=captcha_format,
            media_type=media_type,
            data=base64.b64decode(payload, validate=True),
            attempt=attempt,
            max_attempts=max_attempts,
            attempts_left=attempts_left,
        )
    except (KeyError, ValueError, binascii.Error):
        raise SignInError(ExitCode.TRIGGER_FAILED, MESSAGES["unavailable"]) from None
    check_media(captcha.format, captcha.data)
    return captcha


def explain(error: ClientError, *, step: str) -> SignInError:
    """One clear line per failure, from Cognito's error code and the step it happened at."""
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", "")
    # ForbiddenException: AWS WAF blocked the request (the rate limit per IP, or IP reputation).
    # TooManyFailedAttemptsException: too many wrong reset codes.
    if code in (
        "TooManyRequestsException",
        "LimitExceededException",
        "ThrottlingException",
        "ForbiddenException",
        "TooManyFailedAttemptsException",
    ):
        return SignInError(ExitCode.THROTTLED, MESSAGES["throttled"])
    if code == "InvalidPasswordException":
        return SignInError(ExitCode.PASSWORD_RULES, MESSAGES["passwordRules"])
    # A reset code: an unknown user is answered as a wrong code, so nobody learns who exists.
    if step == "reset" and code in ("CodeMismatchException", "ExpiredCodeException", "UserNotFoundException"):
        return SignInError(ExitCode.RESET_CODE_WRONG, MESSAGES["resetCodeWrong"])
    if code == "UserNotFoundException":  # only where the pool reveals it; the page says no more
        return SignInError(ExitCode.UNKNOWN_USER, MESSAGES["wrongPassword"])
    if code == "NotAuthorizedException" and "attempts exceeded" in message.lower() and step == "password":
        return SignInError(ExitCode.LOCKED_OUT, MESSAGES["lockedOut"])  # Cognito's password lockout
    if code == "ExpiredCodeException" or "session" in message.lower():
        return SignInError(ExitCode.SESSION_EXPIRED, MESSAGES["expired"])
    if code == "NotAuthorizedException":
        if step == "captcha":
            return SignInError(ExitCode.CAPTCHA_FAILED, MESSAGES["captchaFailed"])
        return SignInError(ExitCode.WRONG_PASSWORD, MESSAGES["wrongPassword"])
    if code == "PasswordResetRequiredException":
        return SignInError(ExitCode.WRONG_PASSWORD, MESSAGES["resetRequired"])
    if code == "UserNotConfirmedException":
        return SignInError(ExitCode.WRONG_PASSWORD, MESSAGES["notConfirmed"])
    if code in ("UserLambdaValidationException", "InvalidLambdaResponseException", "UnexpectedLambdaException"):
        if LOCKED_OUT_MARKER in message:  # the failure counter's lock (define trigger)
            return SignInError(ExitCode.LOCKED_OUT, MESSAGES["lockedOut"])
        return SignInError(ExitCode.TRIGGER_FAILED, MESSAGES["unavailable"])
    if code in ("ResourceNotFoundException", "InvalidParameterException", "InvalidUserPoolConfigurationException"):
        return SignInError(ExitCode.CONFIGURATION, f"The pool or client is not set up for this sign-in ({code}).")
    return SignInError(ExitCode.CONFIGURATION, f"Cognito refused the request ({code or 'unknown error'}).")


def sign_in(
    idp: Any,
    *,
    pool_id: str,
    client_id: str,
    username: str,
    password: str,
    solve: Solver,
    client_metadata: dict[str, str] | None = None,
    progress: Progress = lambda _: None,
    new_password: NewPassword | None = None,
) -> Tokens:
    """Sign in; `solve` is asked for the answer to each CAPTCHA, `new_password` for a new
    password if the pool wants one (a temporary password's first sign-in). ClientMetadata goes
    with every RespondToAuthChallenge (InitiateAuth's would never reach the triggers)."""
    metadata = dict(client_metadata or {})
    srp = AWSSRP(username=username, password=password, pool_id=pool_id, client_id=client_id, client=idp)
    step = "password"
    try:
        progress("Starting sign-in (SRP)")
        auth_parameters = {**srp.get_auth_params(), "CHALLENGE_NAME": "SRP_A"}
        response = idp.initiate_auth(ClientId=client_id, AuthFlow="CUSTOM_AUTH", AuthParameters=auth_parameters)
        if response.get("ChallengeName") != "PASSWORD_VERIFIER":
            raise SignInError(ExitCode.CONFIGURATION, "The pool did not ask for the password first.")
        progress("Proving the password (SRP)")
        response = idp.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="PASSWORD_VERIFIER",
            Session=response["Session"],
            ChallengeResponses=srp.process_challenge(response["ChallengeParameters"], auth_parameters),
            ClientMetadata=metadata,
        )
        while "AuthenticationResult" not in response:
            # Once at most, straight after the password: a temporary password's first sign-in.
            if response.get("ChallengeName") == "NEW_PASSWORD_REQUIRED" and step == "password":
                step = "new_password"
                response = _set_new_password(idp, response, client_id, username, metadata, new_password)
                progress("New password set")
                continue
            if response.get("ChallengeName") != "CUSTOM_CHALLENGE":
                name = str(response.get("ChallengeName"))[:40]
                raise SignInError(ExitCode.CONFIGURATION, f"Unexpected challenge {name!r}.")
            step = "captcha"
            parameters = response["ChallengeParameters"]
            captcha = parse_captcha(parameters)
            if captcha.format == "provider":
                raise needs_browser(captcha)
            answer = solve(captcha)
            progress("Checking the answer")
            response = idp.respond_to_auth_challenge(
                ClientId=client_id,
                ChallengeName="CUSTOM_CHALLENGE",
                Session=response["Session"],
                ChallengeResponses={"USERNAME": parameters.get("USERNAME", username), "ANSWER": answer},
                ClientMetadata=metadata,
            )
    except ClientError as error:
        raise explain(error, step=step) from None
    except BotoCoreError as error:
        raise SignInError(ExitCode.CONFIGURATION, f"{MESSAGES['network']} ({type(error).__name__})") from None
    result = response["AuthenticationResult"]
    return Tokens(
        id_token=result["IdToken"],
        access_token=result["AccessToken"],
        refresh_token=result.get("RefreshToken"),
        expires_in=int(result.get("ExpiresIn", 0)),
    )


def _set_new_password(
    idp: Any, response: dict, client_id: str, username: str, metadata: dict[str, str], ask: NewPassword | None
) -> dict:
    """Answer NEW_PASSWORD_REQUIRED (an invited user's temporary password): USERNAME and
    NEW_PASSWORD. What comes next is the pool's decision; the loop handles either."""
    parameters = response.get("ChallengeParameters") or {}
    try:
        required = json.loads(parameters.get("requiredAttributes") or "[]")
    except ValueError:
        required = ["?"]
    if required:  # this client asks for a password only
        raise SignInError(ExitCode.CONFIGURATION, "The pool wants profile attributes this client doesn't ask for.")
    if ask is None:
        raise SignInError(ExitCode.USAGE, MESSAGES["newPasswordRequired"])
    return dict(
        idp.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=response["Session"],
            ChallengeResponses={"USERNAME": parameters.get("USER_ID_FOR_SRP", username), "NEW_PASSWORD": ask()},
            ClientMetadata=metadata,
        )
    )


def request_password_reset(
    idp: Any, *, client_id: str, username: str, client_metadata: dict[str, str] | None = None
) -> None:
    """ForgotPassword: Cognito emails a code to the user's verified address. Returns the same
    way whether or not the user exists (the pool prevents existence errors; where it doesn't,
    UserNotFoundException is swallowed here), so the caller can only say "if it exists"."""
    try:
        idp.forgot_password(ClientId=client_id, Username=username, ClientMetadata=dict(client_metadata or {}))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "UserNotFoundException":
            raise explain(error, step="reset") from None
    except BotoCoreError as error:
        raise SignInError(ExitCode.CONFIGURATION, f"{MESSAGES['network']} ({type(error).__name__})") from None


def confirm_password_reset(
    idp: Any,
    *,
    client_id: str,
    username: str,
    code: str,
    new_password: str,
    client_metadata: dict[str, str] | None = None,
) -> None:
    """ConfirmForgotPassword with the emailed code and the new password."""
    if not code.strip():
        raise SignInError(ExitCode.RESET_CODE_WRONG, MESSAGES["resetCodeWrong"])
    try:
        idp.confirm_forgot_password(
            ClientId=client_id,
            Username=username,
            ConfirmationCode=code.strip(),
            Password=new_password,
            ClientMetadata=dict(client_metadata or {}),
        )
    except ClientError as error:
        raise explain(error, step="reset") from None
    except BotoCoreError as error:
        raise SignInError(ExitCode.CONFIGURATION, f"{MESSAGES['network']} ({type(error).__name__})") from None
