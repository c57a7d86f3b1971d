// The managed challenge providers a round may name (captchaFormat "provider"): which script
// each needs, and the checks on what reaches the page about them. No DOM here, so both the page
// and the config writer (scripts/write-config.mjs) use it, and `npm test` runs it in Node.

/**
 * @typedef {"turnstile" | "recaptcha-v2" | "recaptcha-v3" | "hcaptcha"} Provider
 */

/**
 * @typedef {object} ProviderRound
 * @property {"provider"} format
 * @property {Provider} provider
 * @property {string} siteKey the provider's public site key
 * @property {string} [action] Turnstile's and reCAPTCHA v3's action name
 * @property {number} attempt
 * @property {number} maxAttempts
 * @property {number} attemptsLeft
 */

/**
 * Each provider's name (as people know it), its script (the only one the page loads for it) and
 * the global that script defines. reCAPTCHA v3's script carries the site key.
 */
export const PROVIDERS = Object.freeze({
  turnstile: {
    name: "Cloudflare Turnstile",
    script: () => "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit",
    global: "turnstile",
  },
  "recaptcha-v2": {
    name: "Google reCAPTCHA",
    script: () => "https://www.google.com/recaptcha/api.js?render=explicit",
    global: "grecaptcha",
  },
  "recaptcha-v3": {
    name: "Google reCAPTCHA",
    script: (siteKey) => `https://www.google.com/recaptcha/api.js?render=${encodeURIComponent(siteKey)}`,
    global: "grecaptcha",
  },
  hcaptcha: {
    name: "hCaptcha",
    script: () => "https://js.hcaptcha.com/1/api.js?render=explicit",
    global: "hcaptcha",
  },
});

// Public keys and action names as the providers issue them (and as the stack accepts a site
// key): letters, digits, "_", "-" (and "/" in a reCAPTCHA action); nothing that could change a
// URL or markup around them.
const SITE_KEY = /^[\w-]{1,100}$/;
const ACTION = /^[\w/-]{1,64}$/;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

const malformed = () => Object.assign(new Error("malformed challenge"), { name: "MalformedChallenge" });

/**
 * A provider round's public challenge parameters (the create trigger's); anything else shaped is
 * refused as a MalformedChallenge, which the page explains as "CAPTCHA unavailable".
 * @returns {ProviderRound}
 */
export function parseProviderRound(parameters) {
  const provider = parameters?.provider;
  const siteKey = parameters?.siteKey;
  const action = parameters?.action;
  const numbers = ["attempt", "maxAttempts", "attemptsLeft"].map((key) => Number(parameters?.[key]));
  if (
    parameters?.captchaFormat !== "provider" ||
    !Object.hasOwn(PROVIDERS, provider) ||
    typeof siteKey !== "string" ||
    !SITE_KEY.test(siteKey) ||
    (action !== undefined && (typeof action !== "string" || !ACTION.test(action))) ||
    numbers.some((n) => !Number.isInteger(n) || n < 0)
  ) {
    throw malformed();
  }
  const [attempt, maxAttempts, attemptsLeft] = numbers;
  // Only Turnstile and reCAPTCHA v3 bind their token to an action.
  const bound = provider === "turnstile" || provider === "recaptcha-v3";
  return {
    format: "provider",
    provider,
    siteKey,
    ...(bound && action !== undefined ? { action } : {}),
    attempt,
    maxAttempts,
    attemptsLeft,
  };
}

/**
 * config.json's "captchaScriptUrl", which replaces the provider's script (the local stand-in's
 * widget in the tests): https, or http on this machine's loopback address. Returns it as given.
 * @param {unknown} value
 * @returns {string}
 */
export function checkScriptUrl(value) {
  let url;
  try {
    url = new URL(String(value));
  } catch {
    throw new Error("captchaScriptUrl must be an http(s) URL");
  }
  const loopback = url.protocol === "http:" && LOOPBACK.has(url.hostname);
  if (typeof value !== "string" || !(url.protocol === "https:" || loopback)) {
    throw new Error("captchaScriptUrl must be https, or http on a loopback address");
  }
  if (url.username || url.password) throw new Error("captchaScriptUrl must not carry credentials");
  return value;
}

/**
 * The one script the page loads for this round: the provider's, or the configured override.
 * @param {ProviderRound} round
 * @param {string} [override] config.json's captchaScriptUrl, already checked
 */
export function scriptUrl(round, override) {
  return override ?? PROVIDERS[round.provider].script(round.siteKey);
}
