"""Smoke run of every benchmark section with tiny counts, so the scripts do not rot.

Each test reads the figures back out of the rendered tables (what `python -m bench` prints and
writes) and checks they are there and positive. How fast anything is, is never judged: a slow
machine must not fail the suite.
"""

from __future__ import annotations

import re

import pytest

from bench.common import Section
from bench.cost import HAPPY_PATH, ONE_WRONG_ANSWER, PRICE_PER_REQUEST, WAF_CAPTCHA_PER_ATTEMPT, cost_section
from bench.run import SMOKE
from bench.synth import OUR_STACK, synth_section
from bench.triggers import DEFINE_STEPS, triggers_section
from tests.bench.tables import all_positive, row


@pytest.fixture(scope="module")
def synth() -> Section:
    return synth_section(SMOKE.synth_reps)


@pytest.fixture(scope="module")
def triggers() -> Section:
    return triggers_section(
        warm_calls=SMOKE.warm_calls,
        create_calls=SMOKE.create_calls,
        audio_calls=SMOKE.audio_calls,
        cold_reps=SMOKE.cold_reps,
    )


def test_synth_reports_ours_floor_and_ratio(synth: Section) -> None:
    text = synth.render()
    resources, *times, runs = row(text, f"ours ({OUR_STACK})")
    assert resources > 10 and all_positive(times, 3) and runs == SMOKE.synth_reps
    assert all_positive(row(text, "floor (empty stack)")[1:], 4)  # its resource count is 0
    assert all_positive(row(text, "floor + app.py's imports")[1:], 4)
    assert all_positive(row(text, "ratio ours/floor"), 1)
    assert all_positive(row(text, "ratio imports only/floor"), 1)
    assert "bundling is excluded" in text.lower()
    assert synth.extra["template"]["Resources"]


def test_triggers_report_cold_warm_and_floor(triggers: Section) -> None:
    text = triggers.render()
    cold, warm = text.split("**Warm")[:2]
    for label in ("define", "create (image)", "verify", "post-auth"):
        # import (developer's .pyc); no .pyc: import, first call, cold; bundled .pyc: import,
        # cold; their ratio; peak RSS; process wall
        assert all_positive(row(cold, label), 9), label
    # define's clients from botocore, for comparison: one figure, in the column it compares with
    # (bundled .pyc: cold ms)
    (floor,) = [line for line in cold.splitlines() if line.startswith("| for comparison, define's clients")]
    cells = [cell.strip() for cell in floor.strip().strip("|").split("|")]
    headers = [cell.strip() for cell in cold.split("| handler |", 1)[1].splitlines()[0].strip().strip("|").split("|")]
    assert len(cells) == len(headers) + 1 and cells[1] == "none", floor
    column = headers.index("bundled .pyc: cold ms") + 1
    assert all_positive(row(floor, "for comparison"), 1) and float(cells[column]) > 0, floor
    for step in (*DEFINE_STEPS, "create (image)", "verify", "post-auth"):
        label = step if isinstance(step, str) else step.label
        calls, p50, p99, cpu, log_bytes, metric_bytes = row(warm, label)
        assert calls > 0 and 0 < p50 <= p99 and cpu > 0, label
        # one line per decision, but none for issuing tokens (post-authentication's is its record)
        assert (log_bytes == 0) == (label == "define: after the CAPTCHA"), label
        # the metrics come from the log lines (metric filters): no handler writes an EMF line
        assert metric_bytes == 0, label
    assert all_positive(row(text, "floor: bare render (PNG)"), 2)
    assert all_positive(row(text, "ratio handler/floor"), 2)
    if triggers.figures["audio_available"]:
        assert all_positive(row(text.split("**Warm")[1], "create (audio)")[:5], 5)  # EMF bytes: 0
    else:
        assert "audio: not available" in text


def test_cost_compares_with_the_floor_and_waf(synth: Section, triggers: Section) -> None:
    section = cost_section(triggers.figures, synth.extra["template"])
    text = section.render()
    for function, memory in (("define_auth_challenge", 512), ("create_auth_challenge", 1024)):
        assert row(text, function)[0] == memory  # read from the synthesized template
    happy, wrong = (sum(path.values()) for path in (HAPPY_PATH, ONE_WRONG_ANSWER))
    assert row(text, "invocations per sign-in") == [happy, wrong]
    floor = row(text, "floor: request fees only")
    assert floor == pytest.approx([happy * PRICE_PER_REQUEST * 1e6, wrong * PRICE_PER_REQUEST * 1e6], abs=0.01)
    compute = row(text, "Lambda compute, all warm")
    logs = row(text, "CloudWatch Logs ingestion of our lines: USD")
    all_in = row(text, "all-in, all warm")
    typical = row(text, "all-in, 1% cold, no .pyc")
    typical_pyc = row(text, "all-in, 1% cold, bundled .pyc")
    cold = row(text, "compute, every invocation cold")
    assert all(f < w < a for f, w, a in zip(floor, compute, all_in, strict=True))
    assert all(a == pytest.approx(w + g, abs=0.02) for a, w, g in zip(all_in, compute, logs, strict=True))
    # (with .pyc vs without is a timing, not judged here)
    assert all(a < p and a < t for a, p, t in zip(all_in, typical_pyc, typical, strict=True))
    assert all(w < c for w, c in zip(compute, cold, strict=True))
    assert row(text, "target: 1.5× the floor") == pytest.approx([f * 1.5 for f in floor], abs=0.01)
    assert all_positive(row(text, "CloudWatch Logs ingestion of our lines: bytes"), 2)
    assert row(text, "AWS WAF CAPTCHA fee") == pytest.approx([WAF_CAPTCHA_PER_ATTEMPT * 1e6 * n for n in (1, 2)])
    assert re.search(r"read on \d{4}-\d{2}-\d{2}", text) and "https://aws.amazon.com/lambda/pricing/" in text
    assert "Cognito" in text
