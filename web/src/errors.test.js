import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { explain, MESSAGES, wrongAnswerMessage } from "./errors.js";

const error = (name, message = "") => Object.assign(new Error(message), { name });

describe("explain", () => {
  const cases = [
    // [step, name, Cognito's message, kind, restart]
    ["password", "NotAuthorizedException", "Incorrect username or password.", "wrong-password", true],
    ["password", "UserNotFoundException", "User does not exist.", "wrong-password", true],
    ["password", "NotAuthorizedException", "Password attempts exceeded", "locked-out", true],
    ["password", "TooManyRequestsException", "Too many requests", "throttled", true],
    ["captcha", "LimitExceededException", "Attempt limit exceeded", "throttled", true],
    ["password", "ForbiddenException", "Request not allowed due to WAF block.", "throttled", true],
    ["captcha", "NotAuthorizedException", "Incorrect username or password.", "too-many-attempts", true],
    ["captcha", "NotAuthorizedException", "Max authentication attempts exceeded", "too-many-attempts", true],
    ["captcha", "NotAuthorizedException", "Invalid session for the user, session is expired.", "expired", true],
    ["captcha", "SignInException", "An error occurred during the sign in process.", "expired", true],
    ["captcha", "UserLambdaValidationException", "CreateAuthChallenge failed with error x.", "unavailable", true],
    ["password", "InvalidLambdaResponseException", "Invalid lambda response", "unavailable", true],
    ["captcha", "MalformedChallenge", "malformed CAPTCHA", "unavailable", true],
    [
      "password",
      "UserLambdaValidationException",
      "DefineAuthChallenge failed with error SIGN_IN_LOCKED: too many failed sign-ins, try again later.",
      "locked-out",
      true,
    ],
    [
      "password",
      "InvalidLambdaResponseException",
      "DefineAuthChallenge returned error: SIGN_IN_LOCKED",
      "locked-out",
      true,
    ],
    ["captcha", "NetworkError", "A network error has occurred.", "network", false],
    ["password", "PasswordResetRequiredException", "Password reset required", "reset-required", true],
    ["password", "UserNotConfirmedException", "User is not confirmed.", "not-confirmed", true],
    ["captcha", "SomethingNew", "whatever", "unexpected", true],
    ["captcha", "ExpiredCodeException", "Invalid code provided, please request a code again.", "expired", true],
    // A managed provider's token (Turnstile, reCAPTCHA, hCaptcha) as the answer.
    ["provider", "NotAuthorizedException", "Incorrect username or password.", "provider-failed", true],
    ["provider", "NotAuthorizedException", "Invalid session for the user, session is expired.", "expired", true],
    ["provider", "NetworkError", "A network error has occurred.", "network", false],
    ["provider", "ChallengeUnavailable", "the challenge's script did not load", "unavailable", true],
    [
      "provider",
      "UserLambdaValidationException",
      "VerifyAuthChallengeResponse failed with error x.",
      "unavailable",
      true,
    ],
    // An invited user's first sign-in: the new password.
    ["new-password", "InvalidPasswordException", "Password did not conform with policy", "password-rules", false],
    ["new-password", "NotAuthorizedException", "Invalid session for the user, session is expired.", "expired", true],
    ["new-password", "NotAuthorizedException", "Incorrect username or password.", "expired", true],
    ["new-password", "TooManyRequestsException", "Rate exceeded", "throttled", true],
    ["new-password", "NetworkError", "A network error has occurred.", "network", false],
    // Asking for a reset code: the same answer whether or not the account exists.
    ["reset-request", "UserNotFoundException", "Username/client id combination not found.", "code-sent", false],
    [
      "reset-request",
      "NotAuthorizedException",
      "User password cannot be reset in the current state.",
      "code-sent",
      false,
    ],
    [
      "reset-request",
      "InvalidParameterException",
      "Cannot reset password for the user as there is no registered/verified email or phone_number",
      "code-sent",
      false,
    ],
    [
      "reset-request",
      "LimitExceededException",
      "Attempt limit exceeded, please try after some time.",
      "throttled",
      false,
    ],
    ["reset-request", "TooManyRequestsException", "Rate exceeded", "throttled", false],
    ["reset-request", "NetworkError", "A network error has occurred.", "network", false],
    // Using the code.
    [
      "reset-confirm",
      "CodeMismatchException",
      "Invalid verification code provided, please try again.",
      "code-wrong",
      false,
    ],
    [
      "reset-confirm",
      "ExpiredCodeException",
      "Invalid code provided, please request a code again.",
      "code-wrong",
      false,
    ],
    ["reset-confirm", "UserNotFoundException", "Username/client id combination not found.", "code-wrong", false],
    ["reset-confirm", "InvalidPasswordException", "Password did not conform with policy", "password-rules", false],
    [
      "reset-confirm",
      "LimitExceededException",
      "Attempt limit exceeded, please try after some time.",
      "throttled",
      false,
    ],
    ["reset-confirm", "ForbiddenException", "Request not allowed due to WAF block.", "throttled", false],
    ["reset-confirm", "SomethingNew", "whatever", "unexpected", false],
  ];
  for (const [step, name, message, kind, restart] of cases) {
    it(`${step}: ${name} "${message}" -> ${kind}`, () => {
      const failure = explain(error(name, message), step);
      assert.equal(failure.kind, kind);
      assert.equal(failure.restart, restart);
      assert.ok(Object.values(MESSAGES).includes(failure.message));
    });
  }

  it("says each new kind in the shared words", () => {
    const expected = {
      "password-rules": MESSAGES.passwordRules,
      "code-sent": MESSAGES.resetCodeSent,
      "code-wrong": MESSAGES.resetCodeWrong,
      "provider-failed": MESSAGES.providerFailed,
    };
    for (const [step, name, message, kind] of cases) {
      if (kind in expected) assert.equal(explain(error(name, message), step).message, expected[kind]);
    }
  });

  it("never tells whether an account exists when a reset code is asked for", () => {
    const answers = ["UserNotFoundException", "NotAuthorizedException", "InvalidParameterException", "Boom"].map(
      (name) => explain(error(name, "no such user"), "reset-request"),
    );
    for (const answer of answers) assert.deepEqual(answer, answers[0]);
    assert.equal(answers[0].message, MESSAGES.resetCodeSent);
  });

  it("never repeats an error's own text", () => {
    const secret = "CreateAuthChallenge failed with error internal detail";
    for (const name of ["UserLambdaValidationException", "Boom", ""]) {
      assert.ok(!explain(error(name, secret), "captcha").message.includes("internal detail"));
    }
  });

  it("copes with things that are not errors", () => {
    assert.equal(explain(undefined, "password").kind, "unexpected");
    assert.equal(explain("text", "captcha").kind, "unexpected");
  });
});

describe("wrongAnswerMessage", () => {
  it("counts what is left", () => {
    assert.match(wrongAnswerMessage(2), /2 attempts left\.$/);
    assert.match(wrongAnswerMessage(1), /1 attempt left\.$/);
  });
});
