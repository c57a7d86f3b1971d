import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkScriptUrl, parseProviderRound, PROVIDERS, scriptUrl } from "./providers.js";

/** A provider round's public challenge parameters, as the create trigger sends them. */
const round = (provider, overrides = {}) => ({
  captchaFormat: "provider",
  provider,
  siteKey: "1x00000000000000000000AA",
  ...(provider === "turnstile" || provider === "recaptcha-v3" ? { action: "sign_in" } : {}),
  attempt: "1",
  maxAttempts: "3",
  attemptsLeft: "3",
  ...overrides,
});

describe("parseProviderRound", () => {
  it("reads each provider's round: its site key, its action where it has one, the counts", () => {
    assert.deepEqual(parseProviderRound(round("turnstile")), {
      format: "provider",
      provider: "turnstile",
      siteKey: "1x00000000000000000000AA",
      action: "sign_in",
      attempt: 1,
      maxAttempts: 3,
      attemptsLeft: 3,
    });
    assert.equal(parseProviderRound(round("recaptcha-v3")).action, "sign_in");
    for (const provider of ["recaptcha-v2", "hcaptcha"]) {
      const parsed = parseProviderRound(round(provider, { action: "sign_in", attempt: "2", attemptsLeft: "2" }));
      assert.equal("action" in parsed, false); // only Turnstile and reCAPTCHA v3 bind one
      assert.deepEqual([parsed.provider, parsed.attempt, parsed.attemptsLeft], [provider, 2, 2]);
    }
  });

  it("refuses anything else shaped, as a malformed challenge", () => {
    const refused = [
      round("friendlycaptcha"),
      round("constructor"), // not one of PROVIDERS' own keys
      round("turnstile", { siteKey: "" }),
      round("turnstile", { siteKey: 'x" onload="alert(1)' }),
      round("recaptcha-v3", { siteKey: "a&render=explicit" }),
      round("turnstile", { action: "sign in!" }),
      round("hcaptcha", { attempt: "one" }),
      round("hcaptcha", { attemptsLeft: "-1" }),
      round("hcaptcha", { captchaFormat: "image" }),
      { captchaFormat: "provider" },
    ];
    for (const parameters of refused) {
      assert.throws(() => parseProviderRound(parameters), { name: "MalformedChallenge" }, JSON.stringify(parameters));
    }
  });
});

describe("scriptUrl", () => {
  it("is the provider's own script, and only that one", () => {
    const url = (provider) => scriptUrl(parseProviderRound(round(provider)));
    assert.equal(url("turnstile"), "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit");
    assert.equal(url("recaptcha-v2"), "https://www.google.com/recaptcha/api.js?render=explicit");
    assert.equal(url("recaptcha-v3"), "https://www.google.com/recaptcha/api.js?render=1x00000000000000000000AA");
    assert.equal(url("hcaptcha"), "https://js.hcaptcha.com/1/api.js?render=explicit");
    assert.deepEqual(Object.keys(PROVIDERS).sort(), ["hcaptcha", "recaptcha-v2", "recaptcha-v3", "turnstile"]);
  });

  it("is config.json's captchaScriptUrl when there is one", () => {
    const local = "http://127.0.0.1:8765/widget/turnstile.js";
    assert.equal(scriptUrl(parseProviderRound(round("turnstile")), local), local);
  });
});

describe("checkScriptUrl", () => {
  it("takes https anywhere, and http on this machine's loopback address", () => {
    for (const url of [
      "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit",
      "http://127.0.0.1:8765/widget/turnstile.js",
      "http://localhost:8765/widget/hcaptcha.js",
      "http://[::1]:8765/widget/recaptcha-v2.js",
    ]) {
      assert.equal(checkScriptUrl(url), url);
    }
  });

  it("refuses plain http elsewhere, other schemes, credentials and non-strings", () => {
    for (const value of [
      "http://192.0.2.1/widget.js",
      "http://localhost.example.com/widget.js",
      "javascript:alert(1)",
      "data:text/javascript,alert(1)",
      "ftp://127.0.0.1/widget.js",
      "/widget/turnstile.js",
      "",
      "https://user:secret@cdn.example.com/w.js",
      42,
      null,
    ]) {
      assert.throws(() => checkScriptUrl(value), /captchaScriptUrl must/, String(value));
    }
  });
});
