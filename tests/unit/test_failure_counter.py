"""The failure counter against a real DynamoDB API (the local emulator's): window, back-off,
reset, concurrency, privacy of the keys, and an unreachable table."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from captcha_auth.aws_json import DYNAMODB, Client, ServiceError
from captcha_auth.failure_counter import ATTEMPTS, TIMEOUT_SECONDS, CounterUnavailable, FailureCounter, Policy
from offline.emulator import emulator_credentials
from offline.local_aws import aws_client, create_counter_table

POLICY = Policy(threshold=3, window=60, backoff=10, max_backoff=35)
KEY = b"k" * 64


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def dynamodb(endpoint: str) -> Client:
    """Define's client, as Define makes it, for `endpoint` with the emulator's credentials."""
    return Client(
        DYNAMODB, endpoint, timeout=TIMEOUT_SECONDS, attempts=ATTEMPTS, environ=emulator_credentials(endpoint)
    )


@pytest.fixture
def table(local_aws_endpoint: str) -> str:
    return create_counter_table(local_aws_endpoint, f"counter-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def counter(local_aws_endpoint: str, table: str, clock: Clock) -> FailureCounter:
    return FailureCounter(dynamodb(local_aws_endpoint), table, lambda: KEY, POLICY, clock)


def test_locks_after_the_threshold_and_doubles_up_to_the_cap(counter: FailureCounter, clock: Clock) -> None:
    user = "jane@example.com"
    assert [counter.record_failure(user).count for _ in range(2)] == [1, 2]
    assert counter.locked_for(user) == 0
    assert counter.record_failure(user).count == 3
    assert counter.locked_for(user) == 10  # the first lock: `backoff`
    clock.now += 10
    assert counter.locked_for(user) == 0
    counter.record_failure(user)
    assert counter.locked_for(user) == 20  # doubled
    clock.now += 20
    counter.record_failure(user)
    assert counter.locked_for(user) == 35  # 40, capped


def test_a_failure_counted_while_a_lock_runs_says_so(counter: FailureCounter, clock: Clock) -> None:
    """A sign-in started before the lock proves its password during it: Define refuses it."""
    user = "opened-early@example.com"
    assert [counter.record_failure(user).locked for _ in range(3)] == [False, False, False]  # the third locks
    during = counter.record_failure(user)
    assert (during.count, during.locked) == (4, True)
    assert counter.locked_for(user) == 20  # counted all the same: the lock doubled
    clock.now += 20
    assert counter.record_failure(user).locked is False  # the one sign-in after the lock


def test_a_lock_is_seen_before_its_own_write_lands(local_aws_endpoint: str, table: str, clock: Clock) -> None:
    """Between the update that counts the locking failure and the one that writes its lock, a
    concurrent failure finds the count alone: the lock it implies is running."""
    client = dynamodb(local_aws_endpoint)

    class LockWriteNotYetLanded:
        def call(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
            if payload.get("UpdateExpression", "").startswith("SET locked_until"):
                return {}
            return client.call(operation, payload)

    slow = FailureCounter(LockWriteNotYetLanded(), table, lambda: KEY, POLICY, clock)
    user = "between@example.com"
    for _ in range(3):
        slow.record_failure(user)
    plain = FailureCounter(client, table, lambda: KEY, POLICY, clock)
    assert plain.locked_for(user) == 0  # no lock written
    assert plain.record_failure(user).locked is True


def test_of_fifty_sign_ins_at_once_only_the_threshold_reach_the_captcha(
    local_aws_endpoint: str, table: str, clock: Clock
) -> None:
    """Fifty sign-ins opened before any failure (each passed the lock check at its start), their
    passwords proved at once: the threshold's worth go on to a CAPTCHA, the rest are refused."""

    def counter() -> FailureCounter:
        return FailureCounter(dynamodb(local_aws_endpoint), table, lambda: KEY, POLICY, clock)

    with ThreadPoolExecutor(max_workers=50) as pool:
        failures = list(pool.map(lambda _: counter().record_failure("parallel@example.com"), range(50)))
    assert sorted(failure.count for failure in failures) == list(range(1, 51))
    assert sorted(failure.count for failure in failures if not failure.locked) == [1, 2, 3]


def test_failures_further_apart_than_the_window_start_again(counter: FailureCounter, clock: Clock) -> None:
    user = "sam@example.com"
    counter.record_failure(user)
    counter.record_failure(user)
    clock.now += POLICY.window + 1
    assert counter.record_failure(user).count == 1
    assert counter.locked_for(user) == 0


def test_the_window_runs_from_the_end_of_a_lock_so_doubling_goes_on(counter: FailureCounter, clock: Clock) -> None:
    user = "kim@example.com"
    for _ in range(3):
        counter.record_failure(user)
    clock.now += 10 + POLICY.window - 1  # lock over, but within a window of its end
    assert counter.record_failure(user).count == 4
    assert counter.locked_for(user) == 20


def test_a_success_resets(counter: FailureCounter) -> None:
    user = "lee@example.com"
    for _ in range(3):
        counter.record_failure(user)
    counter.reset(user)
    assert counter.locked_for(user) == 0
    assert counter.record_failure(user).count == 1


def test_usernames_differing_only_in_case_share_a_count(counter: FailureCounter) -> None:
    counter.record_failure("Ana@Example.com")
    assert counter.record_failure("ana@example.COM").count == 2


def test_fifty_concurrent_failures_count_fifty(local_aws_endpoint: str, table: str, clock: Clock) -> None:
    """Fifty containers at once, each with its own client (a container runs one call at a time)."""

    def counter() -> FailureCounter:
        return FailureCounter(dynamodb(local_aws_endpoint), table, lambda: KEY, Policy(100, 60, 10, 35), clock)

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda _: counter().record_failure("bot-target@example.com").count, range(50)))
    assert sorted(results) == list(range(1, 51))
    assert counter().record_failure("bot-target@example.com").count == 51


def test_the_table_holds_no_username_and_expires_its_items(
    local_aws_endpoint: str, table: str, counter: FailureCounter, clock: Clock
) -> None:
    counter.record_failure("private.person@example.com")
    (item,) = aws_client("dynamodb", local_aws_endpoint).scan(TableName=table)["Items"]
    assert "private" not in str(item).lower() and "example" not in str(item).lower()
    assert len(item["pk"]["S"]) == 64  # an HMAC-SHA256, hex
    assert int(item["expires_at"]["N"]) > clock.now
    # The same username under another key is another item: the key, not the name, decides.
    other = FailureCounter(counter._client, table, lambda: b"x" * 64, POLICY, clock)
    assert other.record_failure("private.person@example.com").count == 1


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A loopback port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[Any] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_an_unreachable_table_is_reported_well_inside_cognitos_five_seconds(black_hole: str) -> None:
    """Each of the counter's calls, at once, each in its own counter: a client keeps one
    connection and isn't shared between threads, as a container runs one call at a time."""

    def seconds_to_report(operation: str) -> float:
        counter = FailureCounter(dynamodb(black_hole), "any", lambda: KEY, POLICY)
        started = time.monotonic()
        with pytest.raises(CounterUnavailable, match=r"^timeout$"):  # it waited: nothing refused it
            getattr(counter, operation)(f"{operation}@example.com")
        return time.monotonic() - started

    operations = ["locked_for", "record_failure", "reset"]
    with ThreadPoolExecutor(len(operations)) as pool:
        took = dict(zip(operations, pool.map(seconds_to_report, operations), strict=True))
    # Every try waited its whole timeout, and the lot stayed well inside Cognito's 5 s: a budget
    # bound, not a benchmark.
    assert all(ATTEMPTS * TIMEOUT_SECONDS <= seconds < 4.0 for seconds in took.values()), took


@pytest.mark.parametrize(
    ("failures", "seconds"), [(0, 0), (2, 0), (3, 10), (4, 20), (5, 35), (60, 35)], ids=lambda v: str(v)
)
def test_lock_seconds(failures: int, seconds: int) -> None:
    assert POLICY.lock_seconds(failures) == seconds


def test_a_persons_failure_is_one_request_a_run_of_them_two(local_aws_endpoint: str, table: str, clock: Clock) -> None:
    """No recent record (as in a person's sign-in): one update. A recent one: the fallback too."""
    client = dynamodb(local_aws_endpoint)
    updates: list[str] = []

    class Counting:
        def call(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
            updates.extend(["update"] if operation == "UpdateItem" else [])
            return client.call(operation, payload)

    counter = FailureCounter(Counting(), table, lambda: KEY, POLICY, clock)
    assert counter.record_failure("requests@example.com").count == 1
    assert len(updates) == 1
    assert counter.record_failure("requests@example.com").count == 2
    assert len(updates) == 3


class AnswerLostOnce:
    """Define's client, but every update is sent twice and the second answer kept, as when the
    first answer was lost: DynamoDB applied it (or its condition failed), unseen."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def call(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
        if operation == "UpdateItem":
            with contextlib.suppress(ServiceError):
                self.client.call(operation, payload)
        return self.client.call(operation, payload)


def test_an_update_sent_twice_is_counted_once(local_aws_endpoint: str, table: str, clock: Clock) -> None:
    """The client sends a request again when its answer was lost (a timeout, a dropped
    connection), and DynamoDB may have applied the first. Here every update is applied twice, the
    second answer kept: still one failure each, from a fresh record and along a run of them."""
    counter = FailureCounter(AnswerLostOnce(dynamodb(local_aws_endpoint)), table, lambda: KEY, POLICY, clock)
    user = "retried@example.com"
    failures = [counter.record_failure(user) for _ in range(4)]
    assert [(failure.count, failure.locked) for failure in failures] == [(1, False), (2, False), (3, False), (4, True)]
    assert counter.locked_for(user) == 20  # as for four failures sent once
    clock.now += POLICY.window + 20 + 1  # stale: a fresh record again
    assert counter.record_failure(user).count == 1


def test_a_resent_update_judges_the_lock_as_it_was_before_it(local_aws_endpoint: str, table: str, clock: Clock) -> None:
    """Its answer lost, a counting update's resend finds the record it made: the lock is judged
    from what it kept of the record before, so the one sign-in after a lock goes on."""
    counter = FailureCounter(AnswerLostOnce(dynamodb(local_aws_endpoint)), table, lambda: KEY, POLICY, clock)
    user = "waited@example.com"
    for _ in range(3):
        counter.record_failure(user)
    clock.now += 10  # the lock is over
    after = counter.record_failure(user)
    assert (after.count, after.locked) == (4, False)
    during = counter.record_failure(user)  # the lock that one began is running
    assert (during.count, during.locked) == (5, True)


def test_what_happens_between_a_counting_updates_two_sends(local_aws_endpoint: str, table: str, clock: Clock) -> None:
    """A success deleting the record: the resend's condition fails without this failure's mark in
    the record, so it is counted again, from one, never taken as counted. Another failure marking
    the record: this one is counted twice (documented: a stricter lock, never a missed failure)."""
    client = dynamodb(local_aws_endpoint)
    user = "raced@example.com"
    meanwhile: list[Callable[[], object]] = []

    class SomethingBetweenTheSends:
        def call(self, operation: str, payload: dict[str, Any]) -> dict[str, Any]:
            if operation == "UpdateItem" and payload["UpdateExpression"].startswith("ADD") and meanwhile:
                with contextlib.suppress(ServiceError):
                    client.call(operation, payload)  # applied; its answer lost
                meanwhile.pop()()
            return client.call(operation, payload)

    counter = FailureCounter(SomethingBetweenTheSends(), table, lambda: KEY, POLICY, clock)
    plain = FailureCounter(client, table, lambda: KEY, POLICY, clock)
    assert counter.record_failure(user).count == 1
    meanwhile.append(lambda: plain.reset(user))  # a sign-in succeeds
    assert counter.record_failure(user).count == 1
    assert counter.record_failure(user).count == 2
    meanwhile.append(lambda: plain.record_failure(user))  # another sign-in fails
    assert counter.record_failure(user).count == 5  # 3, the other's 4, then this one's resend
    assert plain.record_failure(user).count == 6
