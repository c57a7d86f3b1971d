"""Read the emulator's own record of a pending CAPTCHA (served by ministack_with_inspector.py).

This is how a test or benchmark plays the human; nothing in the deployed stack can do this.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request


def pending_answer(endpoint: str, pool_id: str, username: str) -> str:
    """The answer of `username`'s newest pending CAPTCHA in `pool_id`."""
    query = urllib.parse.urlencode({"pool_id": pool_id})
    url = f"{endpoint}/_test/cognito/pending-challenges?{query}"
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
        pending = json.load(response)
    mine = [p for p in pending if str(p["username"]).lower() == username.lower()]
    if not mine:
        raise LookupError("no pending CAPTCHA for this user")
    return str(mine[-1]["privateChallengeParameters"]["answer"])


def reset_code(endpoint: str, pool_id: str, username: str) -> str:
    """The code ForgotPassword would have emailed to `username` in `pool_id`."""
    query = urllib.parse.urlencode({"pool_id": pool_id, "username": username})
    with urllib.request.urlopen(f"{endpoint}/_test/cognito/reset-code?{query}", timeout=5) as response:  # noqa: S310 (loopback)
        code = json.load(response)["code"]
    if not code:
        raise LookupError("no reset code for this user")
    return str(code)
