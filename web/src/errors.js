// What the page says when a step fails. Chosen from Cognito's error name (and, where one name
// covers several causes, a keyword of its message); the error's own text is never shown,
// since a trigger's exception text reaches the client verbatim.
import shared from "../../signin/messages.json" with { type: "json" };

/** @typedef {"password" | "captcha"} Step */
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
]);

/** Shared with the sign-in CLI, so both clients say the same thing for the same error. */
export const MESSAGES = Object.freeze({ ...shared.messages });

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

  if (THROTTLED.has(name)) return fail("throttled", MESSAGES.throttled);
  if (name === "NetworkError") return { kind: "network", message: MESSAGES.network, restart: false };
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
    return fail("wrong-password", MESSAGES.wrongPassword);
  }
  // With user-existence errors prevented Cognito never says this; if a pool does, say no more.
  if (name === "UserNotFoundException") return fail("wrong-password", MESSAGES.wrongPassword);
  if (name === "PasswordResetRequiredException") return fail("reset-required", MESSAGES.resetRequired);
  if (name === "UserNotConfirmedException") return fail("not-confirmed", MESSAGES.notConfirmed);
  return fail("unexpected", MESSAGES.unexpected);
}
