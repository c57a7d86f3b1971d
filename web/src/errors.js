// What the page says when a step fails. Chosen from Cognito's error name (and, where one name
// covers several causes, a keyword of its message); the error's own text is never shown,
// since a trigger's exception text reaches the client verbatim.
import shared from "../../signin/messages.json" with { type: "json" };

/**
 * The step whose call failed: the two sign-in steps ("provider" is the CAPTCHA step answered
 * with a managed provider's token), the new password an invited user chooses, and the two
 * halves of a password reset (asking for a code, then using it).
 * @typedef {"password" | "captcha" | "provider" | "new-password" | "reset-request" | "reset-confirm"} Step
 */
/**
 * @typedef {object} Failure
 * @property {string} kind what went wrong, for the page's logic and the tests
 * @property {string} message one clear sentence for the person signing in
 * @property {boolean} restart true when this sign-in is over: the person starts again from the password
 */

const THROTTLED = new Set([
  "TooManyRequestsException",
  "LimitExceededException",
  "TooManyFailedAttemptsException",
  "ThrottlingException",
  "ForbiddenException", // AWS WAF blocked the request (rate limit per IP, or IP reputation)
]);
const TRIGGER_FAILED = new Set([
  "UserLambdaValidationException",
  "InvalidLambdaResponseException",
  "UnexpectedLambdaException",
  "MalformedChallenge", // auth.js: challenge parameters this page can't show
  "ChallengeUnavailable", // widget.js: the provider's script didn't load or define its widget
]);

/** A reset code that can't be used: wrong, expired, or (said the same way) no such account. */
const RESET_CODE_REFUSED = new Set([
  "CodeMismatchException",
  "ExpiredCodeException",
  "UserNotFoundException",
  "NotAuthorizedException", // e.g. "User password cannot be reset in the current state."
]);

/** Shared with the sign-in CLI, so both clients say the same thing for the same error. */
export const MESSAGES = Object.freeze({ ...shared.messages });

/** The page's own check, before anything is sent: the new password typed twice must match. */
export const PASSWORDS_DIFFER = "The two passwords don't match. Type the same new password in both fields.";
export const NO_ANSWER = "Type the characters first: an empty answer isn't sent.";

/** The message for a wrong answer when the pool sent another CAPTCHA. */
export function wrongAnswerMessage(attemptsLeft) {
  const left = attemptsLeft === 1 ? "1 attempt left" : `${attemptsLeft} attempts left`;
  return `That answer wasn't right. Here is a new CAPTCHA: ${left}.`;
}

/**
 * @param {unknown} error what Amplify threw
 * @param {Step} step the step that was being answered
 * @returns {Failure}
 */
export function explain(error, step) {
  const name = typeof error?.name === "string" ? error.name : "";
  const text = typeof error?.message === "string" ? error.message.toLowerCase() : "";
  const fail = (kind, message) => ({ kind, message, restart: true });
  const keep = (kind, message) => ({ kind, message, restart: false });

  if (step === "reset-request" || step === "reset-confirm") return explainReset(name, step);
  // The pool's password policy refused the new one: the sign-in goes on, on the same step.
  if (name === "InvalidPasswordException") return keep("password-rules", MESSAGES.passwordRules);
  if (THROTTLED.has(name)) return fail("throttled", MESSAGES.throttled);
  if (name === "NetworkError") return keep("network", MESSAGES.network);
  if (TRIGGER_FAILED.has(name)) {
    // The failure counter's lock: the define trigger's one deliberate error carries this marker.
    if (error?.message?.includes(shared.lockedOutMarker)) return fail("locked-out", MESSAGES.lockedOut);
    return fail("unavailable", MESSAGES.unavailable);
  }
  // Amplify's own error when its copy of the sign-in session has expired.
  if (name === "SignInException" || name === "ExpiredCodeException") return fail("expired", MESSAGES.expired);
  if (name === "NotAuthorizedException") {
    if (text.includes("session")) return fail("expired", MESSAGES.expired);
    // Cognito's lockout after repeated wrong passwords.
    if (step === "password" && text.includes("attempts exceeded")) return fail("locked-out", MESSAGES.lockedOut);
    if (step === "captcha") return fail("too-many-attempts", MESSAGES.captchaFailed);
    // The provider's token was refused and this sign-in is over.
    if (step === "provider") return fail("provider-failed", MESSAGES.providerFailed);
    // The temporary password was proved already; what is left to refuse is the session.
    if (step === "new-password") return fail("expired", MESSAGES.expired);
    return fail("wrong-password", MESSAGES.wrongPassword);
  }
  // With user-existence errors prevented Cognito never says this; if a pool does, say no more.
  if (name === "UserNotFoundException") return fail("wrong-password", MESSAGES.wrongPassword);
  if (name === "PasswordResetRequiredException") return fail("reset-required", MESSAGES.resetRequired);
  if (name === "UserNotConfirmedException") return fail("not-confirmed", MESSAGES.notConfirmed);
  return fail("unexpected", MESSAGES.unexpected);
}

/**
 * A password reset's failures. Nothing here may tell whether an account exists: asking for a
 * code always reads as sent (Cognito itself answers so for unknown users when user-existence
 * errors are prevented, and the other refusals, such as no verified email, would give it away),
 * and an unknown user's code is just a wrong code. Reset failures never end a sign-in.
 * @param {string} name
 * @param {"reset-request" | "reset-confirm"} step
 * @returns {Failure}
 */
function explainReset(name, step) {
  const stay = (kind, message) => ({ kind, message, restart: false });
  // LimitExceededException here is also Cognito's answer to too many wrong codes.
  if (THROTTLED.has(name)) return stay("throttled", MESSAGES.throttled);
  if (name === "NetworkError") return stay("network", MESSAGES.network);
  if (step === "reset-request") return stay("code-sent", MESSAGES.resetCodeSent);
  if (name === "InvalidPasswordException") return stay("password-rules", MESSAGES.passwordRules);
  if (RESET_CODE_REFUSED.has(name)) return stay("code-wrong", MESSAGES.resetCodeWrong);
  return stay("unexpected", MESSAGES.unexpected);
}
