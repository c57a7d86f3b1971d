// The page: the sign-in steps (password, a new password for an invited user, CAPTCHA, signed
// in) and the password reset (ask for a code, then use it), one visible at a time. Focus moves
// to each new step's heading; failures are announced in the step's alert region. The CAPTCHA
// step shows the built-in picture or recording, or a managed provider's widget (widget.js).
import {
  answer,
  claims,
  clientMetadata,
  configure,
  confirmReset,
  end,
  loadConfig,
  requestReset,
  resetMetadata,
  setNewPassword,
  start,
} from "./auth.js";
import { explain, MESSAGES, NO_ANSWER, PASSWORDS_DIFFER, wrongAnswerMessage } from "./errors.js";
import { PROVIDERS } from "./providers.js";
import { clearWidget, solveChallenge } from "./widget.js";

// The project's one version string (pyproject.toml), put in by vite.config.js.
const APP_VERSION = __APP_VERSION__;

const $ = (id) => document.getElementById(id);
const passwordStep = $("password-step");
const newPasswordStep = $("new-password-step");
const captchaStep = $("captcha-step");
const resetRequestStep = $("reset-request-step");
const resetCodeStep = $("reset-code-step");
const signedIn = $("signed-in");
const STEPS = [passwordStep, newPasswordStep, captchaStep, resetRequestStep, resetCodeStep, signedIn];
const email = $("email");
const password = $("password");
const newPassword = $("new-password");
const newPasswordAgain = $("new-password-again");
const answerField = $("answer");
const answerLabel = $("answer-label");
const captchaSubmit = $("captcha-submit");
const providerBox = $("captcha-provider");
const widget = $("captcha-widget");
const image = $("captcha-image");
const audio = $("captcha-audio");
const switchFormat = $("switch-format");
const newCaptcha = $("new-captcha");
const resetEmail = $("reset-email");
const resetCode = $("reset-code");
const resetPassword = $("reset-new-password");
const resetPasswordAgain = $("reset-new-password-again");

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
  provider: {
    instructions: "Complete the check below. Signing in goes on by itself once it's done.",
    invisible: "Checking that you're a person. This takes a moment.",
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
/** The email a reset code was asked for: the code step's account. */
let resetUsername = "";

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
/** config.json's captchaScriptUrl: loaded instead of a provider's script (the local stand-in). */
let scriptOverride;
/** Ends the provider round in progress, if any: its widget goes, a token it still sends is dropped. */
let providerRound = new AbortController();

function endProviderRound() {
  providerRound.abort();
  clearWidget(widget);
}

function show(step, focus) {
  for (const section of STEPS) section.hidden = section !== step;
  (focus ?? step.querySelector("h2")).focus();
}

function say(text) {
  $("status").textContent = text;
}

function setError(id, message, field) {
  $(id).textContent = message;
  field?.setAttribute("aria-invalid", String(Boolean(message)));
}

/** Empties a step's alert and unmarks all its fields, before it is tried again. */
function clearErrors(form) {
  form.querySelector("[role=alert]").textContent = "";
  for (const field of form.querySelectorAll("input")) field.setAttribute("aria-invalid", "false");
}

/** Typed passwords and codes leave the page as soon as they are no longer needed. */
function forget(...fields) {
  for (const field of fields) field.value = "";
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
  resetUsername = "";
  format = "image"; // each sign-in starts with a picture; "Listen instead" is one press away
  forget(password, newPassword, newPasswordAgain, answerField, resetCode, resetPassword, resetPasswordAgain);
  image.removeAttribute("src");
  audio.removeAttribute("src");
  endProviderRound();
  for (const step of [newPasswordStep, resetRequestStep, resetCodeStep]) clearErrors(step);
  setError("password-error", message, password);
  show(passwordStep, email.value ? password : email);
}

/** Where each step shows its failures, and the field that gets focus and aria-invalid. */
const FAILURE_SHOWN = {
  password: () => password,
  captcha: () => (current?.format === "provider" ? widget : answerField),
  "new-password": () => newPassword,
};

/** Shows a failure of `step`; the sign-in goes on (e.g. after a network error) on the step `shownOn`. */
function fail(error, step, shownOn = step) {
  const failure = explain(error, step);
  if (failure.restart) return backToPassword(failure.message);
  const field = FAILURE_SHOWN[shownOn]();
  if (shownOn === "new-password") forget(newPassword, newPasswordAgain);
  setError(`${shownOn}-error`, failure.message, field);
  field.focus();
}

/** Shows what the pool asked for next. */
async function proceed(outcome, captchaOptions) {
  if (outcome.done) await showSignedIn();
  else if (outcome.newPassword) showNewPassword();
  else showCaptcha(outcome.captcha, captchaOptions);
}

function showNewPassword() {
  forget(newPassword, newPasswordAgain);
  clearErrors(newPasswordStep);
  show(newPasswordStep);
}

/** The message over the next round, when the last answer (or token) was refused. */
function nextRoundMessage(previous, next) {
  if (!(next?.attempt > previous.attempt)) return "";
  return next.format === "provider" ? MESSAGES.providerFailed : wrongAnswerMessage(next.attemptsLeft);
}

function showCaptcha(captcha, options = {}) {
  current = captcha;
  const provider = captcha.format === "provider";
  for (const element of [answerLabel, answerField, captchaSubmit]) element.hidden = provider;
  if (provider) return showProvider(captcha, options);
  providerBox.hidden = true;
  endProviderRound();
  showBuiltin(captcha, options);
}

function showBuiltin(captcha, { message = "", focus } = {}) {
  const text = TEXT[captcha.format];
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

/**
 * A managed provider's round: its widget (rendered by its own script) instead of the picture,
 * the recording and the answer field; the token it hands back is sent as the answer at once.
 * reCAPTCHA v3 shows no widget: its token comes without the person doing anything.
 */
function showProvider(round, { message = "", focus } = {}) {
  const invisible = round.provider === "recaptcha-v3";
  image.hidden = true;
  audio.hidden = true;
  image.removeAttribute("src");
  audio.removeAttribute("src");
  endProviderRound();
  providerRound = new AbortController();
  providerBox.hidden = invisible;
  $("captcha-widget-heading").textContent = `${PROVIDERS[round.provider].name} check`;
  $("captcha-instructions").textContent = invisible ? TEXT.provider.invisible : TEXT.provider.instructions;
  $("captcha-attempts").textContent = `Attempts left: ${round.attemptsLeft} of ${round.maxAttempts}`;
  $("captcha-alternatives").hidden = true; // no other medium, and no new picture to ask for
  answerField.value = "";
  setError("captcha-error", message, answerField);
  show(captchaStep, focus ?? (invisible ? undefined : widget));
  const { signal } = providerRound;
  setTimeout(() => runProvider(round, signal)); // once the call that showed this round has finished
}

/** Waits for the round's token, then sends it; a round left meanwhile ("Start over") is dropped. */
async function runProvider(round, signal) {
  let token;
  try {
    token = await solveChallenge(round, widget, { override: scriptOverride, signal });
  } catch (error) {
    if (!signal.aborted) fail(error, "provider", "captcha"); // the script didn't load: start again
    return;
  }
  if (!signal.aborted) await sendToken(round, token);
}

async function sendToken(round, token) {
  let retry = "";
  await busy(captchaStep, "Checking the challenge…", async () => {
    try {
      credentials = null;
      const outcome = await answer(token, metadata());
      // Another round: the token was refused and attempts are left.
      await proceed(outcome, { message: nextRoundMessage(round, outcome.captcha) });
    } catch (error) {
      const failure = explain(error, "provider");
      // Offline: a fresh widget for another token (reCAPTCHA v3 would ask again at once: start over).
      if (failure.restart || round.provider === "recaptcha-v3") backToPassword(failure.message);
      else retry = failure.message;
    }
  });
  if (retry && round === current) showProvider(round, { message: retry });
}

async function showSignedIn() {
  credentials = null;
  current = null;
  endProviderRound();
  const { sub, email: address, expires } = await claims();
  $("claim-email").textContent = address ?? "";
  $("claim-sub").textContent = sub ?? "";
  const when = $("claim-expires");
  when.dateTime = expires.toISOString();
  when.textContent = expires.toLocaleString();
  forget(password, newPassword, newPasswordAgain);
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
      await proceed(outcome);
    } catch (error) {
      fail(error, "password");
    }
  });
}

async function onNewPassword(event) {
  event.preventDefault();
  if (!newPasswordStep.reportValidity()) return;
  clearErrors(newPasswordStep);
  if (newPassword.value !== newPasswordAgain.value) {
    forget(newPassword, newPasswordAgain);
    setError("new-password-error", PASSWORDS_DIFFER, newPassword);
    newPassword.focus();
    return;
  }
  const chosen = newPassword.value;
  await busy(newPasswordStep, "Setting your new password…", async () => {
    try {
      const outcome = await setNewPassword(chosen, metadata());
      forget(newPassword, newPasswordAgain);
      // A fresh CAPTCHA ("Listen instead") now needs the new password: the temporary one is spent.
      if (credentials !== null) remember({ ...credentials, password: chosen });
      await proceed(outcome);
    } catch (error) {
      fail(error, "new-password");
    }
  });
}

async function onAnswer(event) {
  event.preventDefault();
  if (current?.format === "provider") return; // the widget's token is sent by itself
  if (!captchaStep.reportValidity()) return;
  const typed = answerField.value.trim();
  if (typed === "") {
    // `required` lets spaces alone through, and sent trimmed they would spend an attempt.
    answerField.value = "";
    setError("captcha-error", NO_ANSWER, answerField);
    answerField.focus();
    return;
  }
  const previous = current;
  await busy(captchaStep, "Checking your answer…", async () => {
    try {
      credentials = null;
      $("captcha-alternatives").hidden = true;
      const outcome = await answer(typed, metadata());
      // Another round: the last answer was wrong and attempts are left (AWS allows three).
      await proceed(outcome, {
        message: nextRoundMessage(previous, outcome.captcha),
        focus: outcome.captcha?.format === "provider" ? undefined : answerField,
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
      await proceed(outcome, { focus: outcome.captcha?.format === "audio" ? audio : answerField });
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

/** "Forgot password?": leaves any sign-in in progress and asks for the account's email. */
function onForgotPassword() {
  credentials = null;
  forget(password);
  setError("password-error", "", password);
  clearErrors(resetRequestStep);
  resetEmail.value = email.value.trim();
  show(resetRequestStep);
}

/**
 * Asks for a code. The person sees the same sentence whether or not the account exists (see
 * errors.js); only throttling and a lost connection are said as such. Returns true when the
 * code step may follow.
 */
async function sendCode(form, username) {
  let failure = null;
  await busy(form, "Asking for a code…", async () => {
    try {
      await requestReset(username, resetMetadata(APP_VERSION));
    } catch (error) {
      failure = explain(error, "reset-request");
    }
  });
  if (failure === null || failure.kind === "code-sent") return true;
  const field = form === resetRequestStep ? resetEmail : resetCode;
  setError(`${form === resetRequestStep ? "reset-request" : "reset-code"}-error`, failure.message, field);
  field.focus();
  return false;
}

async function onResetRequest(event) {
  event.preventDefault();
  if (!resetRequestStep.reportValidity()) return;
  clearErrors(resetRequestStep);
  const username = resetEmail.value.trim();
  if (!(await sendCode(resetRequestStep, username))) return;
  resetUsername = username;
  forget(resetCode, resetPassword, resetPasswordAgain);
  clearErrors(resetCodeStep);
  show(resetCodeStep);
}

/** "Send a new code", e.g. after the last one was refused. */
async function onResendCode() {
  clearErrors(resetCodeStep);
  forget(resetCode);
  if (!(await sendCode(resetCodeStep, resetUsername))) return;
  resetCode.focus();
  say(MESSAGES.resetCodeSent);
}

async function onResetConfirm(event) {
  event.preventDefault();
  if (!resetCodeStep.reportValidity()) return;
  clearErrors(resetCodeStep);
  if (resetPassword.value !== resetPasswordAgain.value) {
    forget(resetPassword, resetPasswordAgain);
    setError("reset-code-error", PASSWORDS_DIFFER, resetPassword);
    resetPassword.focus();
    return;
  }
  const typed = { username: resetUsername, code: resetCode.value.trim(), newPassword: resetPassword.value };
  let failure = null;
  await busy(resetCodeStep, "Resetting your password…", async () => {
    try {
      await confirmReset({ ...typed, metadata: resetMetadata(APP_VERSION) });
    } catch (error) {
      failure = explain(error, "reset-confirm");
    }
  });
  if (failure === null) {
    email.value = typed.username;
    backToPassword("");
    say(MESSAGES.passwordReset);
    return;
  }
  // A refused password is typed again; a refused code is asked for again (or a new one sent).
  const field = failure.kind === "password-rules" ? resetPassword : resetCode;
  if (field === resetPassword) forget(resetPassword, resetPasswordAgain);
  else forget(resetCode);
  setError("reset-code-error", failure.message, field);
  field.focus();
}

async function main() {
  try {
    const config = await loadConfig();
    configure(config);
    forgetPasswordAfterMs = config.sessionMinutes * 60 * 1000;
    scriptOverride = config.captchaScriptUrl;
  } catch {
    setError("password-error", "This page isn't set up yet: it needs a config.json (see the README).");
    for (const control of passwordStep.elements) control.disabled = true;
    return;
  }
  // Wording shared with the sign-in CLI (signin/messages.json).
  $("new-password-instructions").textContent = MESSAGES.newPasswordRequired;
  $("reset-code-sent").textContent = MESSAGES.resetCodeSent;
  passwordStep.addEventListener("submit", onPassword);
  newPasswordStep.addEventListener("submit", onNewPassword);
  captchaStep.addEventListener("submit", onAnswer);
  resetRequestStep.addEventListener("submit", onResetRequest);
  resetCodeStep.addEventListener("submit", onResetConfirm);
  switchFormat.addEventListener("click", () => refetch(format === "image" ? "audio" : "image"));
  newCaptcha.addEventListener("click", () => refetch(format));
  $("forgot-password").addEventListener("click", onForgotPassword);
  $("resend-code").addEventListener("click", onResendCode);
  for (const id of ["start-over", "new-password-start-over"]) $(id).addEventListener("click", () => backToPassword(""));
  for (const button of document.querySelectorAll(".back-to-sign-in")) {
    button.addEventListener("click", () => backToPassword(""));
  }
  $("sign-out").addEventListener("click", onSignOut);
  document.documentElement.dataset.ready = "true";
}

main();
