"""Post authentication trigger (PostAuthentication_Authentication).

Runs after tokens are issued. ClientMetadata reaches it from RespondToAuthChallenge (never from
InitiateAuth). It writes one audit record and returns the event unchanged; it never fails a
sign-in, since by now the metadata is only a report from the client, not a credential.
"""

from __future__ import annotations

import logging
from typing import Any

from captcha_auth.common import audit, start_invocation

# ClientMetadata keys whose values are written to the audit record. Anything else is counted,
# not logged: the client controls these strings, and they could carry anything.
AUDITED_METADATA_KEYS = ("appVersion", "captchaFormat", "platform")
MAX_AUDITED_VALUE_CHARS = 64


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def audit_record(event: dict[str, Any]) -> dict[str, Any]:
    """Who signed in, through which client, and the allow-listed metadata. Fields at their
    usual value are left out (`new_device`: false, `other_keys`: 0, `meta`: none)."""
    request = _mapping(event.get("request"))
    attributes = _mapping(request.get("userAttributes"))
    caller = _mapping(event.get("callerContext"))
    metadata = _mapping(request.get("clientMetadata"))

    audited = {
        key: metadata[key][:MAX_AUDITED_VALUE_CHARS]
        for key in AUDITED_METADATA_KEYS
        if isinstance(metadata.get(key), str)
    }
    sub = attributes.get("sub")
    client_id = caller.get("clientId")
    record: dict[str, Any] = {
        "sub": sub if isinstance(sub, str) else None,
        "client": client_id if isinstance(client_id, str) else None,
    }
    if request.get("newDeviceUsed") is True:
        record["new_device"] = True
    if audited:
        record["meta"] = audited
    if len(metadata) > len(audited):
        record["other_keys"] = len(metadata) - len(audited)
    return record


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The sign-in's one record (`sign_in`): Cognito runs this trigger only once Define has
    decided to issue tokens, so Define writes no line of its own for that decision. The
    construct's metric filter counts these lines as SignInPassed."""
    start_invocation(context)
    try:
        record = audit_record(event)
    except Exception as exc:  # an audit problem must not undo a completed sign-in
        audit("sign_in", logging.ERROR, error="internal", error_type=type(exc).__name__)
    else:
        audit("sign_in", **record)
    return event
