"""A local stand-in for the managed CAPTCHA providers, for tests: their siteverify endpoints and
a stand-in of their widget scripts, on 127.0.0.1, speaking each provider's documented shapes.

    CAPTCHA_STANDIN_SECRET=SECRET python -m offline.captcha_standin --port PORT

- POST /turnstile/v0/siteverify (Turnstile), /recaptcha/api/siteverify (reCAPTCHA v2 and v3),
  /siteverify (hCaptcha): form fields `secret` and `response`, answered with that provider's
  JSON (`success`, `challenge_ts`, `hostname`, `error-codes`, and `action` for Turnstile,
  `action` and `score` for reCAPTCHA v3). A wrong secret gets `invalid-input-secret`; a token
  used before gets `timeout-or-duplicate` (tokens are single use, as the providers' are).
- A token is "standin." + base64url(JSON): {"hostname", "action", "ts", "score"} say what the
  reply reports; {"status": 500}, {"raw": "not json"} or {"delay": 3} make it misbehave, for
  the failure tests. Anything else is `invalid-input-response`.
- GET /widget/<provider>.js: the provider's global API (turnstile.render, grecaptcha.ready /
  render / execute, hcaptcha.render) drawing an "I am human (stand-in)" button whose token passes
  for the page's hostname and the action it was rendered for.

Binds 127.0.0.1 only, answers only requests for its own Host, and refuses any siteverify call
a browser makes (one with an Origin header): only our own tools (the deployed verify trigger,
the tests) may use it. Written by hand: no library stands in for these providers.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PATHS = {
    "/turnstile/v0/siteverify": "turnstile",
    "/recaptcha/api/siteverify": "recaptcha",
    "/siteverify": "hcaptcha",
}
WIDGET = """\
(() => {
  const mint = (action, score) => "standin." + btoa(JSON.stringify({
    hostname: location.hostname, action: action || null, ts: new Date().toISOString(),
    nonce: crypto.getRandomValues(new Uint32Array(2)).join("-"), ...(score === undefined ? {} : { score }),
  })).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  const render = (el, opts) => {
    const target = typeof el === "string" ? document.getElementById(el) : el;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "I am human (stand-in)";
    button.addEventListener("click", () => opts.callback(mint(opts.action)));
    target.replaceChildren(button);
    return 0;
  };
  const api = { render, reset: () => {}, remove: () => {} };
  window.turnstile = api;
  window.hcaptcha = api;
  const execute = (_key, opts) => Promise.resolve(mint(opts && opts.action, 0.9));
  window.grecaptcha = { ...api, ready: (fn) => fn(), execute };
})();
"""


def standin_token(claims: dict[str, Any]) -> str:
    """A token this stand-in understands (for the tests; the widget mints the same shape)."""
    return "standin." + base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")


def _claims(token: str) -> dict[str, Any] | None:
    if not token.startswith("standin."):
        return None
    body = token.removeprefix("standin.")
    try:
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


class StandIn(ThreadingHTTPServer):
    def __init__(self, port: int, secret: str) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.secret = secret
        self.used: set[str] = set()
        self.lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    server: StandIn

    def log_message(self, *args: Any) -> None:  # quiet: tokens must not land in logs
        return

    def _ours(self) -> bool:
        port = self.server.server_address[1]
        return self.headers.get("Host") in (f"127.0.0.1:{port}", f"localhost:{port}")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        provider = self.path.removeprefix("/widget/").removesuffix(".js")
        if self._ours() and self.path.startswith("/widget/") and provider in ("turnstile", "recaptcha", "hcaptcha"):
            self._send(200, WIDGET.encode(), "text/javascript")
        else:
            self._send(404, b"not found\n", "text/plain")

    def do_POST(self) -> None:
        kind = PATHS.get(self.path)
        if kind is None or not self._ours() or "Origin" in self.headers:
            self._send(403, b"refused\n", "text/plain")
            return
        length = min(int(self.headers.get("Content-Length") or 0), 65_536)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        secret, token = (form.get(name, [""])[0] for name in ("secret", "response"))
        sitekey = form.get("sitekey", [None])[0]
        claims = _claims(token) or {}
        if "delay" in claims:
            time.sleep(min(float(claims["delay"]), 10))
        if "status" in claims:
            self._send(int(claims["status"]), b"upstream error\n", "text/plain")
            return
        if "raw" in claims:
            self._send(200, str(claims["raw"]).encode(), "application/json")
            return
        if sitekey is not None and claims.get("sitekey", sitekey) != sitekey:
            claims = {**claims, "success": False, "error-codes": ["sitekey-secret-mismatch"]}
        self._send(200, json.dumps(self._reply(kind, secret, token, claims)).encode(), "application/json")

    def _reply(self, kind: str, secret: str, token: str, claims: dict[str, Any]) -> dict[str, Any]:
        if secret != self.server.secret:
            return {"success": False, "error-codes": ["invalid-input-secret"]}
        if not claims:
            return {"success": False, "error-codes": ["invalid-input-response"]}
        with self.server.lock:
            if token in self.server.used:
                return {"success": False, "error-codes": ["timeout-or-duplicate"]}
            self.server.used.add(token)
        reply: dict[str, Any] = {
            "success": bool(claims.get("success", True)),
            "challenge_ts": claims.get("ts") or datetime.now(UTC).isoformat(),
            "hostname": claims.get("hostname", "127.0.0.1"),
            "error-codes": list(claims.get("error-codes", [])),
        }
        if kind == "turnstile":
            reply["action"] = claims.get("action")
        if kind == "recaptcha" and "score" in claims:  # v3
            reply["score"] = claims["score"]
            reply["action"] = claims.get("action")
        if kind == "hcaptcha":
            reply["credit"] = False
        return reply


@contextmanager
def running(secret: str) -> Iterator[str]:
    """The stand-in in its own process on a free loopback port, stopped by its PID; yields its URL."""
    from offline.emulator import free_port
    from offline.processes import stop, wait_until_listening

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "offline.captcha_standin", "--port", str(port)],
        env={**os.environ, "CAPTCHA_STANDIN_SECRET": secret},  # not on the command line, where ps shows it
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until_listening(process, port, "the CAPTCHA stand-in", timeout=15)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    StandIn(args.port, os.environ["CAPTCHA_STANDIN_SECRET"]).serve_forever()


if __name__ == "__main__":
    main()
