// The page: three steps (password, CAPTCHA, signed in), one visible at a time. Focus moves to
// each new step's heading; failures are announced in the step's alert region.
import { answer, claims, clientMetadata, configure, end, loadConfig, start } from "./auth.js";
import { explain, wrongAnswerMessage } from "./errors.js";

// The project's one version string (pyproject.toml), put in by vite.config.js.
const APP_VERSION = __APP_VERSION__;

const $ = (id) => document.getElementById(id);
const passwordStep = $("password-step");
const captchaStep = $("captcha-step");
const signedIn = $("signed-in");
const email = $("email");
const password = $("password");
const answerField = $("answer");
const image = $("captcha-image");
const audio = $("captcha-audio");
const switchFormat = $("switch-format");
const newCaptcha = $("new-captcha");

const TEXT = {
  image: {
    instructions: "Type the characters in the picture. Capitals or lower case both work.",
    other: "Listen instead",
    again: "New picture",
  },
  audio: {
    instructions: "Play the recording and type the characters you hear. Capitals or lower case both work.",
    other: "Show a picture",
    again: "New recording",
  },
};

/** "image" or "audio": the person's choice, sent as ClientMetadata on every call. */
let format = "image";
/**
 * Kept from the password step until the first answer is sent, so "Listen instead" and "New
 * picture" can start a fresh sign-in (SRP again) without asking for the password again. Once
 * an answer is sent they are gone, so no spent attempt can be won back.
 */
let credentials = null;
/** Not kept past the sign-in session it was typed for (config.json's sessionMinutes). */
let forgetPasswordAfterMs = 0;
let forgetTimer = 0;

function remember(typed) {
  credentials = typed;
  clearTimeout(forgetTimer);
  forgetTimer = setTimeout(() => {
    credentials = null;
    $("captcha-alternatives").hidden = true;
  }, forgetPasswordAfterMs);
}
/** The CAPTCHA on screen. */
let current = null;

function show(step, focus) {
  for (const section of [passwordStep, captchaStep, signedIn]) section.hidden = section !== step;
  (focus ?? step.querySelector("h2")).focus();
}

function say(text) {
  $("status").textContent = text;
}

function setError(id, message, field) {
  $(id).textContent = message;
  field?.setAttribute("aria-invalid", String(Boolean(message)));
}

/**
 * Runs one call with the form marked busy, so a double press can't send it twice. Fields turn
 * read-only rather than disabled, so focus can still move to them when the call ends.
 */
async function busy(form, status, call) {
  const buttons = form.querySelectorAll("button");
  const fields = form.querySelectorAll("input");
  form.setAttribute("aria-busy", "true");
  for (const button of buttons) button.disabled = true;
  for (const field of fields) field.readOnly = true;
  say(status);
  try {
    await call();
  } finally {
    for (const button of buttons) button.disabled = false;
    for (const field of fields) field.readOnly = false;
    form.removeAttribute("aria-busy");
    say("");
  }
}

function metadata() {
  return clientMetadata(format, APP_VERSION);
}

function backToPassword(message) {
  credentials = null;
  current = null;
  format = "image"; // each sign-in starts with a picture; "Listen instead" is one press away
  password.value = "";
  answerField.value = "";
  image.removeAttribute("src");
  audio.removeAttribute("src");
  setError("password-error", message, password);
  show(passwordStep, email.value ? password : email);
}

/** Shows a failure of `step`; the sign-in goes on (e.g. after a network error) on the step `shownOn`. */
function fail(error, step, shownOn = step) {
  const failure = explain(error, step);
  if (failure.restart) return backToPassword(failure.message);
  const field = shownOn === "captcha" ? answerField : password;
  setError(`${shownOn}-error`, failure.message, field);
  field.focus();
}

function showCaptcha(captcha, { message = "", focus } = {}) {
  const text = TEXT[captcha.format];
  current = captcha;
  image.hidden = captcha.format !== "image";
  audio.hidden = captcha.format !== "audio";
  if (captcha.format === "image") {
    image.src = captcha.url;
    audio.removeAttribute("src");
  } else {
    audio.src = captcha.url;
    image.removeAttribute("src");
  }
  $("captcha-instructions").textContent = text.instructions;
  $("captcha-attempts").textContent = `Attempts left: ${captcha.attemptsLeft} of ${captcha.maxAttempts}`;
  switchFormat.textContent = text.other;
  newCaptcha.textContent = text.again;
  $("captcha-alternatives").hidden = credentials === null;
  answerField.value = "";
  setError("captcha-error", message, answerField);
  show(captchaStep, focus);
}

async function showSignedIn() {
  credentials = null;
  current = null;
  const { sub, email: address, expires } = await claims();
  $("claim-email").textContent = address ?? "";
  $("claim-sub").textContent = sub ?? "";
  const when = $("claim-expires");
  when.dateTime = expires.toISOString();
  when.textContent = expires.toLocaleString();
  password.value = "";
  show(signedIn);
}

async function onPassword(event) {
  event.preventDefault();
  if (!passwordStep.reportValidity()) return;
  setError("password-error", "", password);
  const typed = { username: email.value.trim(), password: password.value };
  await busy(passwordStep, "Checking your password…", async () => {
    try {
      remember(typed);
      const outcome = await start({ ...typed, metadata: metadata() });
      password.value = "";
      if (outcome.done) await showSignedIn();
      else showCaptcha(outcome.captcha);
    } catch (error) {
      fail(error, "password");
    }
  });
}

async function onAnswer(event) {
  event.preventDefault();
  if (!captchaStep.reportValidity()) return;
  const previous = current;
  await busy(captchaStep, "Checking your answer…", async () => {
    try {
      credentials = null;
      $("captcha-alternatives").hidden = true;
      const outcome = await answer(answerField.value.trim(), metadata());
      if (outcome.done) await showSignedIn();
      // Another round: the last answer was wrong and attempts are left (AWS allows three).
      else
        showCaptcha(outcome.captcha, {
          message: outcome.captcha.attempt > previous.attempt ? wrongAnswerMessage(outcome.captcha.attemptsLeft) : "",
          focus: answerField,
        });
    } catch (error) {
      fail(error, "captcha");
    }
  });
}

/** "Listen instead" / "New picture": a fresh sign-in, before any answer was sent. */
async function refetch(nextFormat) {
  if (credentials === null) return;
  await busy(captchaStep, "Getting a new CAPTCHA…", async () => {
    try {
      const outcome = await start({ ...credentials, metadata: clientMetadata(nextFormat, APP_VERSION) });
      format = nextFormat;
      if (outcome.done) await showSignedIn();
      else showCaptcha(outcome.captcha, { focus: outcome.captcha.format === "audio" ? audio : answerField });
    } catch (error) {
      fail(error, "password", "captcha"); // it was a fresh password proof
    }
  });
}

async function onSignOut() {
  await busy(signedIn, "Signing out…", end);
  for (const id of ["claim-email", "claim-sub", "claim-expires"]) $(id).textContent = "";
  backToPassword("");
  say("You're signed out.");
}

async function main() {
  try {
    const config = await loadConfig();
    configure(config);
    forgetPasswordAfterMs = config.sessionMinutes * 60 * 1000;
  } catch {
    setError("password-error", "This page isn't set up yet: it needs a config.json (see the README).");
    for (const control of passwordStep.elements) control.disabled = true;
    return;
  }
  passwordStep.addEventListener("submit", onPassword);
  captchaStep.addEventListener("submit", onAnswer);
  switchFormat.addEventListener("click", () => refetch(format === "image" ? "audio" : "image"));
  newCaptcha.addEventListener("click", () => refetch(format));
  $("start-over").addEventListener("click", () => backToPassword(""));
  $("sign-out").addEventListener("click", onSignOut);
  document.documentElement.dataset.ready = "true";
}

main();
