"""Post authentication trigger (PostAuthentication_Authentication).

Runs after tokens are issued. ClientMetadata reaches it from RespondToAuthChallenge (never from
InitiateAuth). It writes one audit record and returns the event unchanged; it never fails a
sign-in, since by now the metadata is only a report from the client, not a credential.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from captcha_auth.common import logger

# ClientMetadata keys whose values are written to the audit record. Anything else is counted,
# not logged: the client controls these strings, and they could carry anything.
AUDITED_METADATA_KEYS = ("appVersion", "captchaFormat", "platform")
MAX_AUDITED_VALUE_CHARS = 64


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def audit_record(event: dict[str, Any]) -> dict[str, Any]:
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
    return {
        "sub": sub if isinstance(sub, str) else None,
        "client_id": client_id if isinstance(client_id, str) else None,
        "new_device_used": request.get("newDeviceUsed") is True,
        "client_metadata": audited,
        "other_metadata_keys": len(metadata) - len(audited),
    }


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        logger.info("sign_in_audit", extra=audit_record(event))
    except Exception as exc:  # an audit problem must not undo a completed sign-in
        logger.error("audit_error", extra={"error_type": type(exc).__name__})
    return event
