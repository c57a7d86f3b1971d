// A managed provider's challenge on the page: its one script, loaded once per page and only
// when a round names that provider, then its widget rendered into the page's container. The
// token the widget hands back is the round's answer (auth.js sends it with confirmSignIn).
import { PROVIDERS, scriptUrl } from "./providers.js";

/** How long the provider's script (and reCAPTCHA's ready()) may take before the page gives up. */
const LOAD_TIMEOUT_MS = 20_000;

/** Script URL -> its load, shared by every round of the page's life. */
const scripts = new Map();
/** The widget shown in a container, so the next round can remove it first. */
const widgets = new WeakMap();

/** The page explains this as "CAPTCHA unavailable" and starts the sign-in again (errors.js). */
function unavailable(reason) {
  return Object.assign(new Error(reason), { name: "ChallengeUnavailable" });
}

function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(unavailable(`${what} took too long`)), LOAD_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Adds the script once; a failed load is forgotten, so a later round may try again. */
function loadScript(url) {
  let load = scripts.get(url);
  if (load === undefined) {
    load = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.async = true;
      script.addEventListener("load", () => resolve(), { once: true });
      script.addEventListener(
        "error",
        () => {
          scripts.delete(url);
          script.remove();
          reject(unavailable("the challenge's script did not load"));
        },
        { once: true },
      );
      document.head.append(script);
    });
    scripts.set(url, load);
  }
  return withTimeout(load, "the challenge's script");
}

/** Removes the widget a container shows (a finished or abandoned round's), if any. */
export function clearWidget(container) {
  const shown = widgets.get(container);
  widgets.delete(container);
  if (shown && typeof shown.api.remove === "function") {
    try {
      shown.api.remove(shown.id); // Turnstile and hCaptcha clean up after a removed widget
    } catch {
      // already gone: nothing to clean up
    }
  }
  container.replaceChildren();
}

const isToken = (token) => typeof token === "string" && token.length > 0;

/**
 * Runs one provider round: loads the provider's script (or the configured override) if this
 * page hasn't yet, shows a fresh widget in `container` and resolves with the token it hands
 * back. reCAPTCHA v3 has no widget: its token comes from execute() as soon as it is ready.
 * Once `signal` is aborted (the page left the round) nothing more is drawn and no token comes.
 * @param {import("./providers.js").ProviderRound} round
 * @param {HTMLElement} container
 * @param {{ override?: string, signal: AbortSignal }} options override: config.json's captchaScriptUrl
 * @returns {Promise<string>}
 */
export async function solveChallenge(round, container, { override, signal }) {
  const { global } = PROVIDERS[round.provider];
  await loadScript(scriptUrl(round, override));
  signal.throwIfAborted();
  const api = globalThis[global];
  const needed = round.provider === "recaptcha-v3" ? "execute" : "render";
  if (typeof api?.[needed] !== "function") throw unavailable("the challenge's script defined no widget");
  if (global === "grecaptcha") await withTimeout(new Promise((resolve) => api.ready(resolve)), "reCAPTCHA");
  signal.throwIfAborted();
  if (round.provider === "recaptcha-v3") {
    const token = await api.execute(round.siteKey, round.action ? { action: round.action } : {});
    signal.throwIfAborted();
    if (!isToken(token)) throw unavailable("reCAPTCHA gave no token");
    return token;
  }
  clearWidget(container);
  const element = document.createElement("div");
  container.append(element);
  // The providers' compact size where the normal one (about 300 px wide) would not fit.
  const size = container.clientWidth < 304 ? { size: "compact" } : {};
  return new Promise((resolve, reject) => {
    const options = {
      sitekey: round.siteKey,
      ...(round.provider === "turnstile" && round.action ? { action: round.action } : {}),
      ...size,
      // A token may come again (Turnstile renews an expired one); the first settles the round.
      callback: (token) => {
        if (isToken(token) && !signal.aborted) resolve(token);
      },
    };
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    widgets.set(container, { api, id: api.render(element, options) });
  });
}
