import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pageConfig, stackOutputs } from "./write-config.mjs";

const outputs = { UserPoolId: "eu-west-1_AbC123", UserPoolClientId: "1example23456789", Region: "eu-west-1" };

describe("stackOutputs", () => {
  it("reads `cdk deploy --outputs-file`", () => {
    assert.deepEqual(stackOutputs({ CaptchaSignIn: outputs }, "CaptchaSignIn"), outputs);
  });

  it("reads `aws cloudformation describe-stacks`", () => {
    const described = {
      Stacks: [
        {
          StackName: "CaptchaSignIn",
          Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        },
      ],
    };
    assert.deepEqual(stackOutputs(described, "CaptchaSignIn"), outputs);
  });
});

describe("pageConfig", () => {
  it("is the pool and client, and no endpoint for AWS", () => {
    assert.deepEqual(pageConfig(outputs), { userPoolId: outputs.UserPoolId, userPoolClientId: outputs.UserPoolClientId });
  });

  it("takes an endpoint override on loopback or https", () => {
    assert.equal(pageConfig(outputs, "http://127.0.0.1:4566").endpoint, "http://127.0.0.1:4566");
    assert.equal(pageConfig(outputs, "https://cognito.example.com").endpoint, "https://cognito.example.com");
  });

  it("refuses plain http off this machine, and missing outputs", () => {
    assert.throws(() => pageConfig(outputs, "http://192.0.2.1:4566"), /https/);
    assert.throws(() => pageConfig({}, undefined), /UserPoolId/);
  });
});
