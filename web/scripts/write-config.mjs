#!/usr/bin/env node
// Writes the page's config.json from a deployed stack's outputs.
//
//   node scripts/write-config.mjs --outputs FILE [--stack NAME] [--endpoint URL]
//                                 [--captcha-script URL] [--out FILE]
//
// FILE is what `cdk deploy --outputs-file FILE` writes, or what
// `aws cloudformation describe-stacks --stack-name NAME` prints; --stack picks one stack when
// FILE holds several. --endpoint points the page at another Cognito API endpoint (the local
// emulator); leave it out for AWS. --captcha-script replaces a managed challenge provider's
// script (Turnstile, reCAPTCHA, hCaptcha) with another: https, or http on a loopback address
// (the local stand-in's widget); leave it out to load the provider's own. Everything else in
// config.json comes from the deployment.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { checkScriptUrl } from "../src/providers.js";

const here = dirname(fileURLToPath(import.meta.url));

/** {OutputKey: OutputValue} of one stack, from either file shape: `stack`, or the only one. */
export function stackOutputs(document, stack) {
  const stacks = Array.isArray(document?.Stacks)
    ? Object.fromEntries(
        document.Stacks.map((s) => [
          s.StackName,
          Object.fromEntries((s.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue])),
        ]),
      )
    : { ...document };
  const names = Object.keys(stacks);
  if (stack !== undefined) {
    if (!names.includes(stack))
      throw new Error(`no stack ${stack} in the outputs (found: ${names.join(", ") || "none"})`);
    return stacks[stack];
  }
  if (names.length !== 1) throw new Error(`the outputs hold ${names.length} stacks: name one with --stack`);
  return stacks[names[0]];
}

export function pageConfig(outputs, endpoint, captchaScriptUrl) {
  const { UserPoolId: userPoolId, UserPoolClientId: userPoolClientId } = outputs;
  if (!userPoolId || !userPoolClientId) throw new Error("the outputs have no UserPoolId and UserPoolClientId");
  const sessionMinutes = Number(outputs.AuthSessionValidityMinutes);
  if (!Number.isInteger(sessionMinutes) || sessionMinutes < 1) {
    throw new Error("the outputs have no AuthSessionValidityMinutes: deploy the current stack");
  }
  if (endpoint !== undefined) {
    const url = new URL(endpoint);
    const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
    if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
      throw new Error("--endpoint must be https, or http on a loopback address");
    }
  }
  if (captchaScriptUrl !== undefined) {
    try {
      checkScriptUrl(captchaScriptUrl);
    } catch {
      throw new Error("--captcha-script must be https, or http on a loopback address");
    }
  }
  return {
    userPoolId,
    userPoolClientId,
    sessionMinutes,
    ...(endpoint ? { endpoint } : {}),
    ...(captchaScriptUrl !== undefined ? { captchaScriptUrl } : {}),
  };
}

function main() {
  const { values } = parseArgs({
    options: {
      outputs: { type: "string" },
      stack: { type: "string" },
      endpoint: { type: "string" },
      "captcha-script": { type: "string" },
      out: { type: "string", default: resolve(here, "..", "public", "config.json") },
    },
  });
  if (!values.outputs) throw new Error("--outputs FILE is required");
  const outputs = stackOutputs(JSON.parse(readFileSync(values.outputs, "utf8")), values.stack);
  const config = pageConfig(outputs, values.endpoint, values["captcha-script"]);
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, `${JSON.stringify(config, null, 2)}\n`);
  const where = config.endpoint ? ` at ${config.endpoint}` : "";
  const script = config.captchaScriptUrl ? `, challenge script ${config.captchaScriptUrl}` : "";
  console.log(`Wrote ${values.out} for pool ${config.userPoolId}${where}${script}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    console.error(`error: ${error.message}`);
    process.exit(1);
  }
}
