// The sign-in, with Amplify JS: SRP password proof inside CUSTOM_AUTH ("CUSTOM_WITH_SRP"),
// then CAPTCHA rounds with confirmSignIn (and a new password, when Cognito asks for one).
// Tokens live in memory only and go when the tab does. Also the forgotten-password reset.
import { Amplify } from "aws-amplify";
import {
  confirmResetPassword,
  confirmSignIn,
  fetchAuthSession,
  resetPassword,
  signIn,
  signOut,
} from "aws-amplify/auth";
import { cognitoUserPoolsTokenProvider } from "aws-amplify/auth/cognito";
import { sharedInMemoryStorage } from "aws-amplify/utils";
import shared from "../../signin/messages.json" with { type: "json" };
import { checkScriptUrl, parseProviderRound } from "./providers.js";

/**
 * @typedef {object} Config
 * @property {string} userPoolId
 * @property {string} userPoolClientId
 * @property {number} sessionMinutes how long one sign-in may take (the stack's AuthSessionValidityMinutes)
 * @property {string} [endpoint] Cognito API endpoint override (the local emulator)
 * @property {string} [captchaScriptUrl] replaces a managed provider's script (the local stand-in)
 */

/**
 * The built-in CAPTCHA's round.
 * @typedef {object} BuiltinCaptcha
 * @property {"image" | "audio"} format
 * @property {string} url a data: URL of the picture or sound
 * @property {number} attempt
 * @property {number} maxAttempts
 * @property {number} attemptsLeft
 */

/**
 * One round: the built-in CAPTCHA, or a managed provider's widget (providers.js).
 * @typedef {BuiltinCaptcha | import("./providers.js").ProviderRound} Captcha
 */

/**
 * What comes next: tokens, a CAPTCHA, or (first sign-in with a temporary password) a new password.
 * @typedef {{ done: true } | { done: false, captcha: Captcha } | { done: false, newPassword: true }} Outcome
 */

/** Reads and checks config.json, written from the stack's outputs (npm run config). */
export async function loadConfig(url = "config.json") {
  const response = await fetch(url, { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const config = await response.json();
  if (!/^[\w-]+_[0-9A-Za-z]+$/.test(config?.userPoolId ?? "")) throw new Error("config.json: bad userPoolId");
  if (!/^[0-9A-Za-z]+$/.test(config?.userPoolClientId ?? "")) throw new Error("config.json: bad userPoolClientId");
  if (!Number.isInteger(config.sessionMinutes) || config.sessionMinutes < 1) {
    throw new Error("config.json: bad sessionMinutes");
  }
  if (config.endpoint !== undefined && !/^https?:\/\//.test(config.endpoint)) {
    throw new Error("config.json: endpoint must be an http(s) URL");
  }
  if (config.captchaScriptUrl !== undefined) checkScriptUrl(config.captchaScriptUrl);
  return /** @type {Config} */ (config);
}

/** @param {Config} config */
export function configure(config) {
  Amplify.configure({
    Auth: {
      Cognito: {
        userPoolId: config.userPoolId,
        userPoolClientId: config.userPoolClientId,
        ...(config.endpoint ? { userPoolEndpoint: config.endpoint } : {}),
      },
    },
  });
  // Amplify's default is localStorage, where any script on the origin could read the tokens.
  cognitoUserPoolsTokenProvider.setKeyValueStorage(sharedInMemoryStorage);
}

/**
 * ClientMetadata for every RespondToAuthChallenge: the format picks the CAPTCHA's medium in the
 * create trigger, and all three keys go into the post-authentication audit record.
 */
export function clientMetadata(format, appVersion) {
  return { captchaFormat: format, appVersion, platform: "web" };
}

/** ClientMetadata for the password-reset calls: no CAPTCHA there, so no format. */
export function resetMetadata(appVersion) {
  return { appVersion, platform: "web" };
}

/** @returns {Outcome} */
function outcome(result) {
  if (result.isSignedIn) return { done: true };
  const step = result.nextStep;
  // An invited user's temporary password. Whether Cognito asks right after the password proof
  // or once the CAPTCHA is solved, the page shows whatever step comes next.
  if (step?.signInStep === "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED") {
    // This page asks for a password only; a pool that wants profile attributes too needs more.
    if (step.missingAttributes?.length) {
      throw Object.assign(new Error("attributes required"), { name: "UnexpectedStep" });
    }
    return { done: false, newPassword: true };
  }
  if (step?.signInStep !== "CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE") {
    throw Object.assign(new Error("unexpected sign-in step"), { name: "UnexpectedStep" });
  }
  return { done: false, captcha: parseCaptcha(step.additionalInfo ?? {}) };
}

/**
 * The create trigger's public challenge parameters; anything else shaped is refused. The media
 * types are the ones the sign-in CLI accepts too (signin/messages.json). A managed provider's
 * round carries its provider and public site key instead of media.
 * @returns {Captcha}
 */
export function parseCaptcha(parameters) {
  if (parameters.captchaFormat === "provider") return parseProviderRound(parameters);
  const format = parameters.captchaFormat === "audio" ? "audio" : "image";
  const url = String(parameters.captchaUrl ?? "");
  const mediaType = /^data:([\w.+/-]+);base64,/.exec(url)?.[1];
  const numbers = ["attempt", "maxAttempts", "attemptsLeft"].map((key) => Number.parseInt(parameters[key], 10));
  if (!shared.captchaMediaTypes[format].includes(mediaType) || numbers.some((n) => !Number.isInteger(n) || n < 0)) {
    throw Object.assign(new Error("malformed CAPTCHA"), { name: "MalformedChallenge" });
  }
  const [attempt, maxAttempts, attemptsLeft] = numbers;
  return { format, url, attempt, maxAttempts, attemptsLeft };
}

/** Proves the password (SRP) and returns what comes next: usually the first CAPTCHA. */
export async function start({ username, password, metadata }) {
  return outcome(
    await signIn({ username, password, options: { authFlowType: "CUSTOM_WITH_SRP", clientMetadata: metadata } }),
  );
}

/**
 * Sends one CAPTCHA answer (typed characters, or a provider widget's token): tokens, or the next
 * CAPTCHA after a wrong answer (or a new password).
 */
export async function answer(text, metadata) {
  return outcome(await confirmSignIn({ challengeResponse: text, options: { clientMetadata: metadata } }));
}

/**
 * Answers NEW_PASSWORD_REQUIRED. The metadata is the sign-in's own: if the pool goes on to the
 * CAPTCHA, this call creates it, and captchaFormat picks its medium.
 */
export async function setNewPassword(newPassword, metadata) {
  return outcome(await confirmSignIn({ challengeResponse: newPassword, options: { clientMetadata: metadata } }));
}

/**
 * Asks Cognito to send a reset code. Where it went (the masked address) is not returned: the
 * page says the same thing whether or not the account exists.
 */
export async function requestReset(username, metadata) {
  await resetPassword({ username, options: { clientMetadata: metadata } });
}

/** Sets the new password with the emailed code. */
export async function confirmReset({ username, code, newPassword, metadata }) {
  await confirmResetPassword({ username, confirmationCode: code, newPassword, options: { clientMetadata: metadata } });
}

/** The ID token's main claims, for display. */
export async function claims() {
  const { tokens } = await fetchAuthSession();
  const payload = tokens?.idToken?.payload ?? {};
  return { sub: payload.sub, email: payload.email, expires: new Date(Number(payload.exp) * 1000) };
}

/** Revokes the refresh token (best effort) and forgets every token. */
export async function end() {
  await signOut();
}
