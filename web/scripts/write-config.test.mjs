import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pageConfig, stackOutputs } from "./write-config.mjs";

const outputs = {
  UserPoolId: "eu-west-1_AbC123",
  UserPoolClientId: "1example23456789",
  Region: "eu-west-1",
  AuthSessionValidityMinutes: "3",
};
const described = (...names) => ({
  Stacks: names.map((StackName) => ({
    StackName,
    Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
  })),
});

describe("stackOutputs", () => {
  it("reads `cdk deploy --outputs-file`, whatever the stack is called", () => {
    assert.deepEqual(stackOutputs({ MyAuth: outputs }), outputs);
    assert.deepEqual(stackOutputs({ MyAuth: outputs, Other: {} }, "MyAuth"), outputs);
  });

  it("reads `aws cloudformation describe-stacks`", () => {
    assert.deepEqual(stackOutputs(described("MyAuth")), outputs);
    assert.deepEqual(stackOutputs(described("A", "MyAuth"), "MyAuth"), outputs);
  });

  it("asks which stack when there are several, and refuses one that isn't there", () => {
    assert.throws(() => stackOutputs({ A: outputs, B: outputs }), /2 stacks: name one with --stack/);
    assert.throws(() => stackOutputs(described("A"), "B"), /no stack B in the outputs \(found: A\)/);
  });
});

describe("pageConfig", () => {
  it("is the pool, the client and the session's lifetime, and no endpoint for AWS", () => {
    assert.deepEqual(pageConfig(outputs), {
      userPoolId: outputs.UserPoolId,
      userPoolClientId: outputs.UserPoolClientId,
      sessionMinutes: 3,
    });
  });

  it("takes an endpoint override on loopback or https", () => {
    assert.equal(pageConfig(outputs, "http://127.0.0.1:4566").endpoint, "http://127.0.0.1:4566");
    assert.equal(pageConfig(outputs, "https://cognito.example.com").endpoint, "https://cognito.example.com");
  });

  it("takes a challenge script override on loopback or https, and adds nothing without one", () => {
    const local = "http://127.0.0.1:8765/widget/turnstile.js";
    assert.equal(pageConfig(outputs, "http://127.0.0.1:4566", local).captchaScriptUrl, local);
    assert.equal(
      pageConfig(outputs, undefined, "http://localhost:8765/w.js").captchaScriptUrl,
      "http://localhost:8765/w.js",
    );
    assert.equal(
      pageConfig(outputs, undefined, "https://cdn.example.com/w.js").captchaScriptUrl,
      "https://cdn.example.com/w.js",
    );
    assert.equal("captchaScriptUrl" in pageConfig(outputs), false);
  });

  it("refuses a challenge script over plain http off this machine, or not a URL", () => {
    for (const url of [
      "http://192.0.2.1/widget.js",
      "http://127.0.0.1.example.com/w.js",
      "javascript:alert(1)",
      "data:text/javascript,alert(1)",
      "//127.0.0.1/w.js",
      "not a url",
      "",
      "https://user:secret@cdn.example.com/w.js",
    ]) {
      assert.throws(() => pageConfig(outputs, undefined, url), /--captcha-script must be https/, url);
    }
  });

  it("refuses plain http off this machine, and missing outputs", () => {
    assert.throws(() => pageConfig(outputs, "http://192.0.2.1:4566"), /https/);
    assert.throws(() => pageConfig({}, undefined), /UserPoolId/);
    assert.throws(
      () => pageConfig({ ...outputs, AuthSessionValidityMinutes: undefined }),
      /AuthSessionValidityMinutes/,
    );
  });
});
