"""Item 4: dollars per million sign-ins, all in (Lambda compute, CloudWatch Logs ingestion of the
triggers' lines, metric lines), from the durations and bytes measured in item 2, scaled to each
function's configured memory and architecture (read from the synthesized template), next to
the request-fee floor, the 1.5x-floor target and AWS WAF's CAPTCHA fee."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bench.common import Section, Table, fmt_ms, fmt_ratio, fmt_usd
from bench.triggers import CREATE_IMAGE, DEFINE, DEFINE_STEPS, POST_AUTH, VERIFY

# ---- published prices (us-east-1, on-demand, free tier not applied) ----------------------
PRICES_READ_ON = "2026-11-22"
LAMBDA_PRICING = "https://aws.amazon.com/lambda/pricing/"
# The official page renders its rates client-side; they were read from copies of its table
# (https://cloudchipr.com/blog/aws-lambda-pricing, artillery's lib/platform/aws-lambda/prices.js).
LAMBDA_PRICE_COPIES = "https://cloudchipr.com/blog/aws-lambda-pricing"
PRICE_PER_GB_SECOND = {"arm64": 0.0000133334, "x86_64": 0.0000166667}  # first tier of GB-s per month
PRICE_PER_REQUEST = 0.20 / 1_000_000
WAF_PRICING = "https://aws.amazon.com/waf/pricing/"
WAF_CAPTCHA_PER_ATTEMPT = 0.40 / 1000
CLOUDWATCH_PRICING = "https://aws.amazon.com/cloudwatch/pricing/"
LOGS_PER_GB_INGESTED = 0.50  # Standard log class, first tier
# Lambda gives a function CPU in proportion to memory, one vCPU at 1,769 MB.
FULL_VCPU_MB = 1769
MEMORY_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html"
# Since 2025-08-01 the INIT phase of zip functions on managed runtimes is billed; AWS reports
# cold starts in under 1% of invocations of production workloads.
INIT_BILLING = "https://aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase/"
TYPICAL_COLD_SHARE = 0.01
MILLION = 1_000_000

# Invocations per sign-in. Happy path: define after SRP_A, after PASSWORD_VERIFIER and after the
# CAPTCHA; one CAPTCHA created and verified; post-authentication. One wrong answer adds a
# define, a create and a verify. Each of Define's steps is measured on its own (item 2).
HAPPY_PATH = {
    "define_start": 1,
    DEFINE.key: 1,
    "define_tokens": 1,
    CREATE_IMAGE.key: 1,
    VERIFY.key: 1,
    POST_AUTH.key: 1,
}
ONE_WRONG_ANSWER = {**HAPPY_PATH, "define_retry": 1, CREATE_IMAGE.key: 2, VERIFY.key: 2}
PATHS = {"happy path": HAPPY_PATH, "one wrong answer": ONE_WRONG_ANSWER}
TARGET_TIMES_FLOOR = 1.5
# CloudWatch custom metrics are billed per metric and month, whatever the traffic.
METRIC_MONTH_USD = 0.30
CAPTCHA_ATTEMPTS = {"happy path": 1, "one wrong answer": 2}
MODULES = {
    **{step.key: DEFINE.module for step in DEFINE_STEPS},
    **{case.key: case.module for case in (CREATE_IMAGE, VERIFY, POST_AUTH)},
}
LABELS = {
    **{step.key: step.label.replace("define", "define_auth_challenge", 1) for step in DEFINE_STEPS},
    **{case.key: case.module.rsplit(".", 1)[1] for case in (CREATE_IMAGE, VERIFY, POST_AUTH)},
}
# Cold starts are timed once per function: each of Define's steps takes Define's.
COLD_KEY = {key: DEFINE.key if module == DEFINE.module else key for key, module in MODULES.items()}


@dataclass(frozen=True)
class FunctionConfig:
    memory_mb: int
    architecture: str


def configured_functions(template: dict[str, Any]) -> dict[str, FunctionConfig]:
    """Memory and architecture of each trigger, by handler module, as deployed."""
    found: dict[str, FunctionConfig] = {}
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        props = resource["Properties"]
        module = str(props.get("Handler", "")).rsplit(".", 1)[0]
        found[module] = FunctionConfig(int(props.get("MemorySize", 128)), (props.get("Architectures") or ["x86_64"])[0])
    return found


def cpu_scale(memory_mb: int) -> float:
    """How much longer single-threaded work takes at this memory than on one full vCPU."""
    return max(1.0, FULL_VCPU_MB / memory_mb)


def invocation_cost(billed_ms: int, config: FunctionConfig) -> float:
    return PRICE_PER_REQUEST + config.memory_mb / 1024 * billed_ms / 1000 * PRICE_PER_GB_SECOND[config.architecture]


def cost_section(figures: dict[str, float], template: dict[str, Any]) -> Section:
    """`figures` are item 2's (warm p50 and CPU p50, cold import and first call, log bytes)."""
    configs = configured_functions(template)
    per_function: dict[str, dict[str, float]] = {}
    rows = []
    for key, module in MODULES.items():
        config = configs[module]
        scale = cpu_scale(config.memory_mb)
        wall = figures[f"{key}.warm_p50_ms"]
        cpu = min(wall, figures[f"{key}.warm_cpu_p50_ms"])
        waiting = wall - cpu
        # CPU work slows with the memory's vCPU share; waiting on DynamoDB does not.
        warm_ms = cpu * scale + waiting
        warm_billed = max(1, math.ceil(warm_ms))
        cold = {}
        for variant, suffix in (("no_pyc", "bundled"), ("pyc", "pyc")):
            init = figures[f"{COLD_KEY[key]}.cold_import_{suffix}_ms"] * scale
            first = figures[f"{COLD_KEY[key]}.cold_first_call{'_pyc' if variant == 'pyc' else ''}_ms"] * scale
            cold[variant] = max(1, math.ceil(init)) + max(1, math.ceil(first))
        per_function[key] = {
            "warm": invocation_cost(warm_billed, config),
            "cold_no_pyc": invocation_cost(cold["no_pyc"], config),
            "cold_pyc": invocation_cost(cold["pyc"], config),
            "log_bytes": figures[f"{key}.warm_log_bytes"],
            "metric_bytes": figures[f"{key}.warm_metric_bytes"],
        }
        rows.append(
            [
                LABELS[key],
                str(config.memory_mb),
                config.architecture,
                f"{config.memory_mb / FULL_VCPU_MB:.2f}",
                fmt_ms(wall),
                fmt_ms(cpu),
                fmt_ms(warm_ms),
                str(warm_billed),
                str(cold["no_pyc"]),
                str(cold["pyc"]),
                fmt_usd(per_function[key]["warm"] * MILLION),
            ]
        )

    section = Section(title="4. Cost per 1 million sign-ins")
    section.tables.append(
        Table(
            title="Per function: measured here, scaled to the configured memory",
            headers=[
                "function",
                "memory MB",
                "arch",
                "vCPU share",
                "warm p50 ms here",
                "of it CPU ms",
                "scaled ms",
                "billed ms (warm)",
                "billed ms (cold, no .pyc)",
                "billed ms (cold, .pyc)",
                "$ per 1M invocations (warm)",
            ],
            rows=rows,
        )
    )

    summary: dict[str, list[str]] = {name: [] for name in PATHS}
    labels = [
        "invocations per sign-in",
        "floor: request fees only",
        f"target: {TARGET_TIMES_FLOOR}× the floor",
        "Lambda compute, all warm (p50)",
        "CloudWatch Logs ingestion of our lines: bytes per sign-in",
        "CloudWatch Logs ingestion of our lines: USD",
        "metric lines (EMF): bytes per sign-in",
        "all-in, all warm",
        "all-in warm / floor",
        f"all-in, {TYPICAL_COLD_SHARE:.0%} cold, no .pyc (default runtime from this machine)",
        f"all-in, {TYPICAL_COLD_SHARE:.0%} cold, bundled .pyc (runtime = deployer's Python)",
        "compute, every invocation cold, no .pyc (upper bound)",
        "AWS WAF CAPTCHA fee (1 attempt per CAPTCHA)",
        "WAF CAPTCHA / all-in warm",
    ]
    for name, path in PATHS.items():
        invocations = sum(path.values())
        floor = invocations * PRICE_PER_REQUEST * MILLION
        warm = sum(n * per_function[k]["warm"] for k, n in path.items()) * MILLION
        cold_no_pyc = sum(n * per_function[k]["cold_no_pyc"] for k, n in path.items()) * MILLION
        cold_pyc = sum(n * per_function[k]["cold_pyc"] for k, n in path.items()) * MILLION
        log_bytes = sum(n * per_function[k]["log_bytes"] for k, n in path.items())
        metric_bytes = sum(n * per_function[k]["metric_bytes"] for k, n in path.items())
        logs = log_bytes * MILLION / 1e9 * LOGS_PER_GB_INGESTED
        metrics = metric_bytes * MILLION / 1e9 * LOGS_PER_GB_INGESTED
        all_in = warm + logs + metrics
        typical_no_pyc = (1 - TYPICAL_COLD_SHARE) * warm + TYPICAL_COLD_SHARE * cold_no_pyc + logs + metrics
        typical_pyc = (1 - TYPICAL_COLD_SHARE) * warm + TYPICAL_COLD_SHARE * cold_pyc + logs + metrics
        waf = CAPTCHA_ATTEMPTS[name] * WAF_CAPTCHA_PER_ATTEMPT * MILLION
        slug = name.replace(" ", "_")
        section.figures.update(
            {
                f"cost.{slug}.invocations": invocations,
                f"cost.{slug}.floor_usd": floor,
                f"cost.{slug}.warm_usd": warm,
                f"cost.{slug}.logs_usd": logs,
                f"cost.{slug}.log_bytes": log_bytes,
                f"cost.{slug}.metric_bytes": metric_bytes,
                f"cost.{slug}.metrics_usd": metrics,
                f"cost.{slug}.all_in_usd": all_in,
                f"cost.{slug}.typical_usd": typical_no_pyc,
                f"cost.{slug}.typical_pyc_usd": typical_pyc,
                f"cost.{slug}.cold_usd": cold_no_pyc,
                f"cost.{slug}.waf_usd": waf,
            }
        )
        summary[name] = [
            str(invocations),
            fmt_usd(floor),
            fmt_usd(floor * TARGET_TIMES_FLOOR),
            fmt_usd(warm),
            f"{log_bytes:.0f}",
            fmt_usd(logs),
            f"{metric_bytes:.0f}",
            fmt_usd(all_in),
            fmt_ratio(all_in / floor),
            fmt_usd(typical_no_pyc),
            fmt_usd(typical_pyc),
            fmt_usd(cold_no_pyc),
            fmt_usd(waf),
            fmt_ratio(waf / all_in),
        ]
    section.tables.append(
        Table(
            title="Per 1 million sign-ins (US East, N. Virginia; free tier not applied)",
            headers=["", *PATHS],
            rows=[[label, *(summary[name][i] for name in PATHS)] for i, label in enumerate(labels)],
        )
    )
    section.notes = [
        f"Lambda prices read on {PRICES_READ_ON}: arm64 ${PRICE_PER_GB_SECOND['arm64']:.10f} per GB-second "
        f"(x86_64 ${PRICE_PER_GB_SECOND['x86_64']:.10f}), first tier; ${PRICE_PER_REQUEST * MILLION:.2f} per million "
        f"requests. Source: {LAMBDA_PRICING} (its rates render client-side; read from copies of its table, "
        f"e.g. {LAMBDA_PRICE_COPIES}).",
        f"AWS WAF CAPTCHA: ${WAF_CAPTCHA_PER_ATTEMPT * 1000:.2f} per 1,000 attempts ({WAF_PRICING}, as quoted "
        "in the benchmark's brief on the same date); the web ACL, rule and per-request WAF fees come on top "
        "and are not included.",
        f"Logs: ${LOGS_PER_GB_INGESTED:.2f} per GB ingested ({CLOUDWATCH_PRICING}, Standard class, read on "
        f"{PRICES_READ_ON}), GB = 10^9 bytes, on the bytes of the lines measured in item 2 (newline "
        "included), assuming Lambda's JSON log format stores a JSON line written to stdout as it is. "
        "Lambda's START/END/REPORT lines are not counted (the functions log system events at WARN). "
        "Lines per sign-in: one per invocation, each step's as measured, and none for Define's "
        "decision to issue tokens (post-authentication's line records it). The request id goes on "
        "WARN and ERROR lines only (lambdas/captcha_auth/common.py says why). A lock-out also gets "
        "Lambda's own error line for the raised exception (not on these paths).",
        "Metrics: counted from those same lines by metric filters on each log group, so they add no "
        f"log bytes (EMF bytes are measured, and 0). Custom metrics are billed ${METRIC_MONTH_USD:.2f} "
        "per metric and month whatever the traffic (the same with EMF), as are the alarms; neither is "
        "a per-sign-in cost.",
        f"Assumption: Lambda allocates CPU in proportion to memory, one vCPU at {FULL_VCPU_MB} MB ({MEMORY_DOC}), "
        "and one core of this machine running single-threaded ≈ one Lambda vCPU (Graviton arm64). Only "
        "the handler's CPU time (its thread's, measured) is multiplied by "
        f"{FULL_VCPU_MB}/memory below one vCPU; the rest of its wall time is waiting on I/O (Define's "
        "DynamoDB call, here to the local emulator over loopback), billed as measured, unscaled, since "
        "a smaller CPU share doesn't slow a network round trip. In AWS that round trip is a call to "
        "DynamoDB in the same Region (single-digit milliseconds), which the emulator's stands in for. "
        "Lambda bills each invocation in 1 ms steps, rounded up. The Lambda runtime client's own work "
        "per invocation (decoding the event, encoding the response) is not measured here.",
        f"Cold: since 2025-08-01 the INIT phase is billed ({INIT_BILLING}); a cold invocation bills the "
        "import plus the first call, both scaled as CPU work (Define's first call also waits on Secrets "
        'Manager and DynamoDB, so it leans high). "no .pyc": what the default runtime (PYTHON_3_14) '
        'gets when the deployer\'s Python is another version, as on this machine; "bundled .pyc": what '
        "it gets when the runtime is the deployer's Python. AWS reports cold starts in under "
        f"{TYPICAL_COLD_SHARE:.0%} of invocations of production workloads (same source). Lambda may give "
        "INIT more CPU than the memory share, so the cold figures lean high.",
        "Amazon Cognito's own charges (monthly active users, feature plan) and DynamoDB's and Secrets "
        "Manager's request charges are separate and not included.",
    ]
    return section
