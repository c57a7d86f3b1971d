"""A guard in front of the local emulator, so that only our own tools can drive it.

ministack answers every origin with `Access-Control-Allow-Origin: *`, accepts any Host and
needs no credentials, and it creates and runs Lambda functions on request: left alone, any web
page open in the developer's browser could run code on this machine through it (a `text/plain`
POST needs no CORS preflight; DNS rebinding defeats a check of the page's address). This ASGI
wrapper runs inside the emulator's own process, around its app, so there is no unguarded port:

- the Host header must be the loopback address and port it listens on (DNS rebinding);
- a request a browser made (it carries `Origin` or `Sec-Fetch-Site`) must come from an origin
  registered in the file named by EMULATOR_ALLOWED_ORIGINS_FILE, one per line: the sign-in
  page that `make web` or the browser test serves. Our other tools (the CDK CLI, boto3, the
  emulator's own Lambda workers) send neither header.

Anything else gets 403 with a short reason and no CORS headers. Written by hand: it is a few
lines of ASGI around this emulator, not something a library does.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

Asgi = Callable[[dict[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]


def allowed_origins(path: str | None) -> set[str]:
    if not path:
        return set()
    try:
        return {line.strip() for line in Path(path).read_text().splitlines() if line.strip()}
    except OSError:
        return set()


def refusal(scope: dict[str, Any], port: str, origins_file: str | None) -> str | None:
    """Why this request must be refused, or None."""
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}
    if headers.get("host") not in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
        return "host"
    origin = headers.get("origin")
    from_a_browser = origin is not None or "sec-fetch-site" in headers
    if from_a_browser and origin not in allowed_origins(origins_file):
        return "origin"
    return None


def guard(app: Asgi, *, port: str | None = None, origins_file: str | None = None) -> Asgi:
    port = port or os.environ["GATEWAY_PORT"]
    origins_file = origins_file or os.environ.get("EMULATOR_ALLOWED_ORIGINS_FILE")

    async def guarded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            reason = refusal(scope, port, origins_file)
            if reason is not None:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                body = f"refused by the local emulator's guard ({reason})\n".encode()
                headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
                await send({"type": "http.response.start", "status": 403, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    return guarded
