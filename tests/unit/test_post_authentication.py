"""Post authentication: one audit record from allow-listed ClientMetadata; never fails a sign-in."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from captcha_auth.post_authentication import MAX_AUDITED_VALUE_CHARS, lambda_handler
from tests.support import load_event


def audit_lines(logs: str) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in logs.splitlines() if line.strip()]
    return [r for r in records if r.get("message") == "sign_in"]


def test_event_is_returned_unchanged(lambda_context) -> None:
    event = load_event("post_authentication")
    assert lambda_handler(copy.deepcopy(event), lambda_context) == event


def test_one_audit_record_with_allow_listed_metadata(lambda_context, captured_logs) -> None:
    lambda_handler(load_event("post_authentication"), lambda_context)
    (record,) = audit_lines(captured_logs())
    assert record == {
        "message": "sign_in",
        "sub": "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
        "client": "1example23456789",
        "meta": {"captchaFormat": "image", "appVersion": "1.0.0", "platform": "web"},
    }  # no new device, no other keys: those fields are left out


def test_unlisted_keys_are_counted_not_logged(lambda_context, captured_logs) -> None:
    event = load_event("post_authentication")
    event["request"]["clientMetadata"].update({"idToken": "eyJhbGciOi.secret", "password": "hunter2hunter2"})
    lambda_handler(event, lambda_context)
    logs = captured_logs()
    (record,) = audit_lines(logs)
    assert record["other_keys"] == 2
    for secret in ("eyJhbGciOi", "hunter2", "idToken", "password"):
        assert secret not in logs


def test_values_are_truncated(lambda_context, captured_logs) -> None:
    event = load_event("post_authentication")
    event["request"]["clientMetadata"]["appVersion"] = "9" * 100_000
    lambda_handler(event, lambda_context)
    (record,) = audit_lines(captured_logs())
    assert record["meta"]["appVersion"] == "9" * MAX_AUDITED_VALUE_CHARS


def test_ten_thousand_keys_are_counted(lambda_context, captured_logs) -> None:
    event = load_event("post_authentication")
    event["request"]["clientMetadata"] = {f"k{i}": "v" for i in range(10_000)}
    lambda_handler(event, lambda_context)
    (record,) = audit_lines(captured_logs())
    assert "meta" not in record
    assert record["other_keys"] == 10_000
    assert len(captured_logs()) < 2_000


HOSTILE_REQUESTS = {
    "metadata-not-an-object": {"clientMetadata": "captchaFormat=audio"},
    "metadata-null": {"clientMetadata": None},
    "metadata-values-not-strings": {"clientMetadata": {"appVersion": {"nested": True}, "platform": 7}},
    "user-attributes-missing": {"userAttributes": None},
    "new-device-string": {"newDeviceUsed": "true"},
}


@pytest.mark.parametrize("changes", HOSTILE_REQUESTS.values(), ids=HOSTILE_REQUESTS.keys())
def test_bad_metadata_never_fails_the_sign_in(lambda_context, captured_logs, changes: dict[str, Any]) -> None:
    event = load_event("post_authentication")
    event["request"].update(changes)
    expected = copy.deepcopy(event)
    assert lambda_handler(event, lambda_context) == expected
    (record,) = audit_lines(captured_logs())
    assert "new_device" not in record
    assert all(isinstance(v, str) for v in record.get("meta", {}).values())


def test_request_missing_still_returns_the_event(lambda_context) -> None:
    event = load_event("post_authentication")
    del event["request"]
    assert lambda_handler(copy.deepcopy(event), lambda_context) == event


def test_new_device_is_reported(lambda_context, captured_logs) -> None:
    event = load_event("post_authentication")
    event["request"]["newDeviceUsed"] = True
    lambda_handler(event, lambda_context)
    (record,) = audit_lines(captured_logs())
    assert record["new_device"] is True


def test_whole_event_is_never_logged(lambda_context, captured_logs) -> None:
    lambda_handler(load_event("post_authentication"), lambda_context)
    logs = captured_logs()
    assert "jane.doe@example.com" not in logs
    assert "userAttributes" not in logs
    assert "cognito:user_status" not in logs


def test_the_sign_in_line_is_what_the_metric_filter_counts(lambda_context, captured_logs) -> None:
    from stacks.captcha_auth.monitoring import METRIC_FILTERS

    lambda_handler(load_event("post_authentication"), lambda_context)
    (line,) = captured_logs().splitlines()
    record = json.loads(line)
    counted = [
        m for m, alternatives in METRIC_FILTERS["post"].items() if any(record.get(f) == v for f, v in alternatives)
    ]
    assert counted == ["SignInPassed"]
    assert len(line) < 250  # one compact line
