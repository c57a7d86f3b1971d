"""Failed sign-ins per username, across sign-ins, in DynamoDB: the lockout Define enforces.

Define counts one failure for every sign-in that proves the password, and deletes the record
when a sign-in succeeds. `threshold` failures, each within `window` of the previous one (or of
the end of a lockout), lock the account for `backoff`, doubling with every further failure up
to `max_backoff`.

Privacy: the table never holds a username. Its key is HMAC-SHA256(key, casefolded username),
with a key generated at deploy time into Secrets Manager (never in the template), so the table
alone can't be turned back into usernames, not even by hashing a list of known addresses.
Records expire with TTL once they can no longer matter.

Atomicity: every change is one conditional UpdateItem (ADD for the count, a monotonic
condition for the lock), so concurrent failures are all counted and a lock is never shortened;
there is no read-modify-write. The two conditions of a failure are each other's complement
(but for the mark, below), so one holds: the one for a person's sign-in (no recent record) is
tried first, and costs one request; a run of failures costs two.

Refused while locked: Define checks the lock when a sign-in starts, but a sign-in started before
the lock began proves its password later. So the count reports whether a lock was already running
when it was counted, from the record as the same atomic update found it (ReturnValues ALL_OLD),
and Define refuses that sign-in. However many sign-ins are opened at once, at most `threshold`
reach the CAPTCHA before a lock, and one more after each lock ends (`threshold` again only once
the record is stale). A refused sign-in is still counted: a longer lock, never a missed failure.
Not covered: a lock whose own write failed (the table unreachable for that one call, which
refuses that sign-in) is implied by its count only while the record is recent, a window after
its last failure, though the lock may be longer; and Cognito retrying a Define that overran its
5 s counts that failure again (no id in the event stays the same across Cognito's retries), so
the retry may be refused as locked by its first try.

Sent twice, counted once: the client retries a request whose answer was lost (a timeout, a
dropped connection), as botocore does, and DynamoDB may have applied the first. Each failure
marks the record with its own random id, and the counting update requires another's mark; when
it finds its own, the failure was counted, and one read gets the count. (A concurrent failure
marking the record between the two sends can still make it count twice: a stricter lock, never a
missed failure.)
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from captcha_auth.aws_json import ServiceError, Unreachable

# Small, bounded and well inside Cognito's 5 s per trigger: at most two tries of one request,
# each waiting at most half a second to connect and half a second for each read.
TIMEOUT_SECONDS = 0.5
ATTEMPTS = 2


class CounterUnavailable(Exception):
    """The table (or the hashing key) could not be reached in time; the caller decides."""


def unavailable(error: ServiceError | Unreachable) -> CounterUnavailable:
    """What a failed call to the table or the key means to the counter, with its short code."""
    return CounterUnavailable(error.code if isinstance(error, ServiceError) else str(error))


class _ConditionFailed(Exception):
    """An update's condition did not hold (the one error the counter expects)."""


@dataclass(frozen=True)
class Policy:
    threshold: int  # failures that lock a username
    window: int  # seconds between failures for them to add up
    backoff: int  # seconds of the first lock
    max_backoff: int  # cap, seconds

    def lock_seconds(self, failures: int) -> int:
        """How long `failures` lock the username for (0: not locked)."""
        if failures < self.threshold:
            return 0
        doublings = min(failures - self.threshold, 32)  # 2**32 s is far past any cap
        return int(min(self.max_backoff, self.backoff * 2**doublings))


@dataclass(frozen=True)
class Failure:
    count: int  # the count this failure brought the username to
    locked: bool  # a lock was running when it was counted: refuse its sign-in


class FailureCounter:
    def __init__(
        self,
        client: Any,
        table: str,
        key: Callable[[], bytes],
        policy: Policy,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._table = table
        self._key = key  # read when first needed, then kept by the caller's cache
        self._policy = policy
        self._clock = clock

    def _item_key(self, username: str) -> dict[str, Any]:
        digest = hmac.new(self._key(), username.casefold().encode("utf-8"), hashlib.sha256).hexdigest()
        return {"pk": {"S": digest}}

    def _call(self, operation: str, **payload: Any) -> dict[str, Any]:
        """One DynamoDB call on the table: a failed condition raises _ConditionFailed, anything
        else that isn't an answer CounterUnavailable with its short code."""
        try:
            return self._client.call(operation, {"TableName": self._table, **payload})
        except (ServiceError, Unreachable) as error:
            if isinstance(error, ServiceError) and error.code == "ConditionalCheckFailedException":
                raise _ConditionFailed from None
            raise unavailable(error) from None

    def locked_for(self, username: str) -> int:
        """Seconds left of this username's lock (0: it may sign in)."""
        item = self._call("GetItem", Key=self._item_key(username), ConsistentRead=True).get("Item") or {}
        until = _number(item, "locked_until") if "locked_until" in item else 0
        return max(0, until - int(self._clock()))

    def record_failure(self, username: str) -> Failure:
        """Count one failed sign-in: the count it brought the username to, and whether the
        username was already locked."""
        now = int(self._clock())
        key = self._item_key(username)
        recent = now - self._policy.window
        expires = now + self._policy.window + self._policy.max_backoff
        mark = {"S": secrets.token_hex(8)}  # this failure's (see "Sent twice, counted once")
        values = {
            ":one": {"N": "1"},
            ":now": {"N": str(now)},
            ":recent": {"N": str(recent)},
            ":exp": {"N": str(expires)},
            ":mark": mark,
        }
        for _ in range(3):  # each race costs one more try: a fresh record appeared, or went stale
            try:
                # A person's sign-in finds no record (a success deleted it) or a stale one, so
                # this is tried first: one request. Start again from one. Its condition holds only
                # where any lock ended a window ago.
                self._call(
                    "UpdateItem",
                    Key=key,
                    UpdateExpression="SET failures = :one, last_failure = :now, expires_at = :exp, mark = :mark "
                    "REMOVE locked_until, before_failure, before_until",
                    ConditionExpression="attribute_not_exists(pk) OR "
                    "(NOT last_failure > :recent AND NOT locked_until > :recent)",
                    ExpressionAttributeValues=values,
                )
                failure = Failure(1, locked=False)
            except _ConditionFailed:
                try:  # the previous failure, or the end of the lock, is recent: go on counting
                    before = self._call(
                        "UpdateItem",
                        Key=key,
                        # The record's last failure and lock as they were are kept beside the
                        # count (the right-hand sides are read before the update), for a resend.
                        UpdateExpression="ADD failures :one SET before_failure = last_failure, "
                        "before_until = if_not_exists(locked_until, :zero), last_failure = :now, expires_at = :exp, "
                        "mark = :mark",
                        ConditionExpression="(last_failure > :recent OR locked_until > :recent) AND NOT mark = :mark",
                        ExpressionAttributeValues={**values, ":zero": {"N": "0"}},
                        ReturnValues="ALL_OLD",
                    ).get("Attributes")
                    failure = Failure(_number(before, "failures") + 1, self._locked(before, now))
                except _ConditionFailed:
                    # The record went stale or was deleted meanwhile (try again), or carries this
                    # failure's mark: an earlier send of one of these updates was applied, and
                    # this record is the one it made (a later failure would have marked it).
                    current = self._call("GetItem", Key=key, ConsistentRead=True).get("Item") or {}
                    if current.get("mark") != mark:
                        continue
                    failure = Failure(_number(current, "failures"), self._locked(_as_it_was(current), now))
            break
        else:
            raise CounterUnavailable("contention")
        lock = self._policy.lock_seconds(failure.count)
        if lock:
            self._lock(key, now + lock, now + lock + self._policy.window)
        return failure

    def _locked(self, record: Any, now: int) -> bool:
        """Whether `record` (the item as a failure found it) was locked: until its lock's end, or,
        where the failure that began the lock hasn't written it yet, the end its count implies."""
        until = _number(record, "locked_until") if "locked_until" in record else 0
        implied = self._policy.lock_seconds(_number(record, "failures"))
        return until > now or (implied > 0 and _number(record, "last_failure") + implied > now)

    def _lock(self, key: dict[str, Any], until: int, expires: int) -> None:
        with contextlib.suppress(_ConditionFailed):  # its condition failed: nothing to do
            self._call(
                "UpdateItem",
                Key=key,
                UpdateExpression="SET locked_until = :until, expires_at = :exp",
                # Never recreates a record a success deleted meanwhile, never shortens a lock.
                ConditionExpression="attribute_exists(pk) AND "
                "(attribute_not_exists(locked_until) OR locked_until < :until)",
                ExpressionAttributeValues={":until": {"N": str(until)}, ":exp": {"N": str(expires)}},
            )

    def reset(self, username: str) -> None:
        """A successful sign-in: forget this username's failures."""
        self._call("DeleteItem", Key=self._item_key(username))


def _as_it_was(record: dict[str, Any]) -> dict[str, Any]:
    """The record before the failure that made it, from what that failure kept (a fresh record,
    made by the first update, kept nothing: there was nothing before it)."""
    if "before_failure" not in record:
        return {"failures": {"N": "0"}, "last_failure": {"N": "0"}}
    return {
        "failures": {"N": str(_number(record, "failures") - 1)},
        "last_failure": record["before_failure"],
        "locked_until": record.get("before_until", {"N": "0"}),
    }


def _number(item: Any, name: str) -> int:
    """A whole-number attribute of an item as DynamoDB's JSON gives it ({"N": "12"}); any other
    shape is an answer the counter can't use: CounterUnavailable("malformed")."""
    try:
        return int(item[name]["N"])
    except (KeyError, TypeError, ValueError):
        raise CounterUnavailable("malformed") from None
