"""ministack, unchanged, plus one read-only route for the end-to-end tests.

The tests play the human: they read the CAPTCHA answer where the emulator keeps it, in its own
record of each pending CUSTOM_AUTH session — never from the deployed stack. ministack has no
public endpoint for that record, so this launcher adds

    GET /_test/cognito/pending-challenges?pool_id=ID
      -> [{"username", "created_at", "privateChallengeParameters"}, ...]

and, for the password-reset tests, the code ForgotPassword would have emailed:

    GET /_test/cognito/reset-code?pool_id=ID&username=NAME -> {"code": "..." or null}

and otherwise runs ministack's own app and main(). Run it with ministack's interpreter.
It reads private names of the pinned ministack version (offline/requirements.txt).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import ministack.app as ministack_app
from emulator_guard import guard  # this script's folder is first on sys.path

ROUTE = "/_test/cognito/pending-challenges"
RESET_CODE_ROUTE = "/_test/cognito/reset-code"
_serve = ministack_app.app


def pending_challenges(pool_id: str) -> list[dict[str, Any]]:
    from ministack.services import cognito

    found = []
    for session in list(cognito._challenge_sessions._data.values()):
        challenges = session.get("challenges") or []
        if session.get("pool_id") != pool_id or not challenges:
            continue
        last = challenges[-1]
        if last.get("challengeName") == "CUSTOM_CHALLENGE" and last.get("challengeResult") is None:
            found.append(
                {
                    "username": session.get("username"),
                    "created_at": session.get("created_at"),
                    "privateChallengeParameters": last.get("privateChallengeParameters"),
                }
            )
    return sorted(found, key=lambda item: item["created_at"] or 0)


def reset_code(pool_id: str, username: str) -> dict[str, Any]:
    from ministack.services import cognito

    pool = cognito._get_pool_unscoped(pool_id)
    user = cognito._resolve_user(pool, username)[0] if pool else None
    return {"code": (user or {}).get("_reset_code")}


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and scope["path"] == RESET_CODE_ROUTE and scope["method"] == "GET":
        query = parse_qs(scope.get("query_string", b"").decode())
        body = json.dumps(reset_code((query.get("pool_id") or [""])[0], (query.get("username") or [""])[0])).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    if scope["type"] == "http" and scope["path"] == ROUTE and scope["method"] == "GET":
        query = parse_qs(scope.get("query_string", b"").decode())
        body = json.dumps(pending_challenges((query.get("pool_id") or [""])[0]), default=str).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    await _serve(scope, receive, send)


ministack_app.app = guard(app)  # main() serves the module-level `app`, behind the guard

if __name__ == "__main__":
    ministack_app.main()
