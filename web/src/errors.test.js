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
  ];
  for (const [step, name, message, kind, restart] of cases) {
    it(`${step}: ${name} "${message}" -> ${kind}`, () => {
      const failure = explain(error(name, message), step);
      assert.equal(failure.kind, kind);
      assert.equal(failure.restart, restart);
      assert.ok(Object.values(MESSAGES).includes(failure.message));
    });
  }

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
