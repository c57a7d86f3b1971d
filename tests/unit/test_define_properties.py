"""Property: over generated session histories, Define issues tokens only for the exact
accepted sequence, never both issues tokens and fails, and otherwise names the right next step.

The oracle below encodes each entry as one letter and matches a regular expression: a second,
independent statement of the rule, so a bug must be made twice to pass.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from captcha_auth.common import CAPTCHA_CHALLENGE
from captcha_auth.define_auth_challenge import MAX_ATTEMPTS, decide

NAMES = [
    "SRP_A",
    "PASSWORD_VERIFIER",
    "CUSTOM_CHALLENGE",
    "SMS_MFA",
    "DEVICE_SRP_AUTH",
    "DEVICE_PASSWORD_VERIFIER",
    "ADMIN_NO_SRP_AUTH",
    "custom_challenge",
]
METADATA = [None, CAPTCHA_CHALLENGE, "OTHER", "", "captcha_challenge"]
RESULTS: list[Any] = [True, False, "true", 1, None]


def entry(name: str, result: Any, metadata: Any) -> dict[str, Any]:
    return {"challengeName": name, "challengeResult": result, "challengeMetadata": metadata}


# Every combination, drawn in one step: a session is a few choices, not a few per entry.
ENTRIES = [entry(name, result, metadata) for name in NAMES for result in RESULTS for metadata in METADATA]
random_entries = st.sampled_from(ENTRIES)


@st.composite
def near_misses(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Near-misses of the accepted sequence are where bugs hide: an SRP_A and password step
    (each present, passed or failed), a run of CAPTCHA rounds, then perhaps one random entry
    inserted or swapped in anywhere."""
    session = []
    if draw(st.integers(0, 9)):
        session.append(entry("SRP_A", True, None))
    if draw(st.integers(0, 9)):
        session.append(entry("PASSWORD_VERIFIER", draw(st.sampled_from([True, True, True, False])), None))
    rounds = draw(st.integers(0, MAX_ATTEMPTS + 1))
    for _ in range(rounds):
        session.append(entry("CUSTOM_CHALLENGE", draw(st.booleans()), CAPTCHA_CHALLENGE))
    mutation = draw(st.sampled_from(["none", "none", "insert", "replace"]))
    if mutation != "none":
        position = draw(st.integers(0, len(session)))
        if mutation == "insert" or position == len(session):
            session.insert(position, draw(random_entries))
        else:
            session[position] = draw(random_entries)
    return session


sessions = st.one_of(st.lists(random_entries, max_size=8), near_misses(), near_misses())
# Hypothesis's own work per example (bookkeeping, not drawing) is most of this test's time:
# each example checks a batch of sessions, so the 10,000 sessions cost 500 examples' overhead.
# A failing batch still shrinks to one small session.
BATCH = 20
SESSIONS = 10_000


def letter(e: dict[str, Any]) -> str:
    ok = e["challengeResult"] is True
    bad = e["challengeResult"] is False
    if e["challengeName"] == "SRP_A" and ok:
        return "S"
    if e["challengeName"] == "PASSWORD_VERIFIER" and ok:
        return "P"
    if e["challengeName"] == "CUSTOM_CHALLENGE" and e["challengeMetadata"] == CAPTCHA_CHALLENGE:
        return "C" if ok else "c" if bad else "x"
    return "x"


def oracle(session: list[dict[str, Any]], user_not_found: bool) -> str:
    word = "".join(letter(e) for e in session)
    n = MAX_ATTEMPTS
    if re.fullmatch(rf"SPc{{0,{n - 1}}}C", word):
        return "fail" if user_not_found else "tokens"
    if word == "S":
        return "PASSWORD_VERIFIER"
    if re.fullmatch(rf"SPc{{0,{n - 1}}}", word):
        return "CUSTOM_CHALLENGE"
    return "fail"


def outcome(session: list[dict[str, Any]], user_not_found: bool) -> str:
    decision = decide(session, user_not_found=user_not_found)
    assert not (decision.issue_tokens and decision.fail_authentication)
    if decision.issue_tokens:
        return "tokens"
    if decision.fail_authentication:
        return "fail"
    return decision.challenge_name or "neither"


@settings(max_examples=SESSIONS // BATCH, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(st.tuples(sessions, st.booleans()), min_size=BATCH, max_size=BATCH))
def test_tokens_only_for_the_exact_accepted_sequence(batch: list[tuple[list[dict[str, Any]], bool]]) -> None:
    for session, user_not_found in batch:
        reached = outcome(session, user_not_found)
        event(reached)  # --hypothesis-show-statistics shows how often each outcome was reached
        assert reached == oracle(session, user_not_found), (session, user_not_found)
