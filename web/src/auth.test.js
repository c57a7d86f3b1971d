import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { loadConfig, parseCaptcha } from "./auth.js";

const realFetch = globalThis.fetch;
const config = { userPoolId: "us-east-1_AbC123", userPoolClientId: "1example23456789", sessionMinutes: 3 };
/** config.json as the page would fetch it. */
const serve = (body) => {
  globalThis.fetch = async () => ({ ok: true, status: 200, json: async () => body });
};

describe("loadConfig", () => {
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  it("takes a captchaScriptUrl on loopback or https, and none at all", async () => {
    for (const captchaScriptUrl of ["http://127.0.0.1:8765/widget/turnstile.js", "https://cdn.example.com/w.js"]) {
      serve({ ...config, captchaScriptUrl });
      assert.equal((await loadConfig()).captchaScriptUrl, captchaScriptUrl);
    }
    serve(config);
    assert.equal((await loadConfig()).captchaScriptUrl, undefined);
  });

  it("refuses a captchaScriptUrl over plain http elsewhere, or another scheme", async () => {
    for (const captchaScriptUrl of ["http://192.0.2.1/w.js", "javascript:alert(1)", "data:text/javascript,1", 7]) {
      serve({ ...config, captchaScriptUrl });
      await assert.rejects(loadConfig(), /captchaScriptUrl must/);
    }
  });
});

describe("parseCaptcha", () => {
  it("reads a provider round, which has no data URL", () => {
    const parameters = {
      captchaFormat: "provider",
      provider: "hcaptcha",
      siteKey: "10000000-ffff-ffff-ffff-000000000001",
      attempt: "1",
      maxAttempts: "3",
      attemptsLeft: "3",
    };
    assert.deepEqual(parseCaptcha(parameters), {
      format: "provider",
      provider: "hcaptcha",
      siteKey: "10000000-ffff-ffff-ffff-000000000001",
      attempt: 1,
      maxAttempts: 3,
      attemptsLeft: 3,
    });
    assert.throws(() => parseCaptcha({ ...parameters, provider: "other" }), { name: "MalformedChallenge" });
  });

  it("still refuses a built-in round without its picture", () => {
    const parameters = { captchaFormat: "image", attempt: "1", maxAttempts: "3", attemptsLeft: "3" };
    assert.throws(() => parseCaptcha(parameters), { name: "MalformedChallenge" });
  });
});
