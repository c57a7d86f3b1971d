"""Item 4: dollars per million sign-ins, from the durations measured in item 2, scaled to each
function's configured memory and architecture (read from the synthesized template), next to
the request-fee floor and AWS WAF's CAPTCHA fee."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bench.common import Section, Table, fmt_ms, fmt_ratio, fmt_usd
from bench.triggers import CREATE_IMAGE, DEFINE, POST_AUTH, VERIFY

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
# define, a create and a verify.
HAPPY_PATH = {DEFINE.key: 3, CREATE_IMAGE.key: 1, VERIFY.key: 1, POST_AUTH.key: 1}
ONE_WRONG_ANSWER = {DEFINE.key: 4, CREATE_IMAGE.key: 2, VERIFY.key: 2, POST_AUTH.key: 1}
PATHS = {"happy path": HAPPY_PATH, "one wrong answer": ONE_WRONG_ANSWER}
CAPTCHA_ATTEMPTS = {"happy path": 1, "one wrong answer": 2}
MODULES = {case.key: case.module for case in (DEFINE, CREATE_IMAGE, VERIFY, POST_AUTH)}


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
    """`figures` are item 2's (warm p50, cold import as bundled and first call, log bytes)."""
    configs = configured_functions(template)
    per_function: dict[str, dict[str, float]] = {}
    rows = []
    for key, module in MODULES.items():
        config = configs[module]
        scale = cpu_scale(config.memory_mb)
        warm_ms = figures[f"{key}.warm_p50_ms"] * scale
        init_ms = figures[f"{key}.cold_import_bundled_ms"] * scale
        first_ms = figures[f"{key}.cold_first_call_ms"] * scale
        warm_billed = max(1, math.ceil(warm_ms))
        cold_billed = max(1, math.ceil(init_ms)) + max(1, math.ceil(first_ms))
        per_function[key] = {
            "warm": invocation_cost(warm_billed, config),
            "cold": invocation_cost(cold_billed, config),
            "log_bytes": figures[f"{key}.warm_log_bytes"],
            "metric_bytes": figures[f"{key}.warm_metric_bytes"],
        }
        rows.append(
            [
                module.rsplit(".", 1)[1],
                str(config.memory_mb),
                config.architecture,
                f"{config.memory_mb / FULL_VCPU_MB:.2f}",
                fmt_ms(figures[f"{key}.warm_p50_ms"]),
                fmt_ms(warm_ms),
                str(warm_billed),
                str(cold_billed),
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
                "scaled ms",
                "billed ms (warm)",
                "billed ms (cold: init + first call)",
                "$ per 1M invocations (warm)",
            ],
            rows=rows,
        )
    )

    summary: dict[str, list[str]] = {name: [] for name in PATHS}
    labels = [
        "invocations per sign-in",
        "floor: request fees only",
        "ours, all warm (p50)",
        f"ours, {TYPICAL_COLD_SHARE:.0%} of invocations cold",
        "ours, every invocation cold (upper bound)",
        "ours warm / floor",
        "CloudWatch Logs ingestion of our log lines",
        "... of it, the metric lines (EMF): bytes per sign-in",
        "... of it, the metric lines (EMF): USD",
        "AWS WAF CAPTCHA fee (1 attempt per CAPTCHA)",
        "WAF CAPTCHA / ours warm",
    ]
    for name, path in PATHS.items():
        invocations = sum(path.values())
        floor = invocations * PRICE_PER_REQUEST * MILLION
        warm = sum(n * per_function[k]["warm"] for k, n in path.items()) * MILLION
        cold = sum(n * per_function[k]["cold"] for k, n in path.items()) * MILLION
        typical = (1 - TYPICAL_COLD_SHARE) * warm + TYPICAL_COLD_SHARE * cold
        metric_bytes = sum(n * per_function[k]["metric_bytes"] for k, n in path.items())
        log_bytes = sum(n * per_function[k]["log_bytes"] for k, n in path.items()) + metric_bytes
        logs = log_bytes * MILLION / 1e9 * LOGS_PER_GB_INGESTED
        metrics = metric_bytes * MILLION / 1e9 * LOGS_PER_GB_INGESTED
        waf = CAPTCHA_ATTEMPTS[name] * WAF_CAPTCHA_PER_ATTEMPT * MILLION
        slug = name.replace(" ", "_")
        section.figures.update(
            {
                f"cost.{slug}.invocations": invocations,
                f"cost.{slug}.floor_usd": floor,
                f"cost.{slug}.warm_usd": warm,
                f"cost.{slug}.typical_usd": typical,
                f"cost.{slug}.cold_usd": cold,
                f"cost.{slug}.logs_usd": logs,
                f"cost.{slug}.metric_bytes": metric_bytes,
                f"cost.{slug}.metrics_usd": metrics,
                f"cost.{slug}.waf_usd": waf,
            }
        )
        summary[name] = [
            str(invocations),
            fmt_usd(floor),
            fmt_usd(warm),
            fmt_usd(typical),
            fmt_usd(cold),
            fmt_ratio(warm / floor),
            fmt_usd(logs),
            f"{metric_bytes:.0f}",
            fmt_usd(metrics),
            fmt_usd(waf),
            fmt_ratio(waf / warm),
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
        f"{PRICES_READ_ON}), GB = 10^9 bytes, on the bytes of the log lines measured in item 2. Lambda's "
        "START/END/REPORT lines are not counted (the functions log system events at WARN). "
        "Metric lines (EMF) are counted for create (one a call; verify writes one only on an "
        "error). Define's measured path (password proved, next the CAPTCHA) writes no metric line "
        "but counts the sign-in in the failure counter, so its warm time includes that DynamoDB "
        "update, made here against the local emulator; define's other calls of a sign-in (the lock "
        "check at the start, a read; the delete and one metric line the size of create's at the end) "
        "and DynamoDB's own charges are left out.",
        f"Assumption: Lambda allocates CPU in proportion to memory, one vCPU at {FULL_VCPU_MB} MB ({MEMORY_DOC}), "
        "and one core of this machine running single-threaded ≈ one Lambda vCPU (Graviton arm64). The "
        "handlers are CPU-bound and single-threaded, so a duration measured here is multiplied by "
        f"{FULL_VCPU_MB}/memory below one vCPU. Lambda bills each invocation in 1 ms steps, rounded up. "
        "The Lambda runtime client's own work per invocation (decoding the event, encoding the response) "
        "is not measured here.",
        f"Cold: since 2025-08-01 the INIT phase is billed ({INIT_BILLING}); the cold figure bills the import "
        f"as bundled (no .pyc) plus the first call, both scaled. AWS reports cold starts in under "
        f"{TYPICAL_COLD_SHARE:.0%} of invocations of production workloads (same source). Lambda may give INIT "
        "more CPU than the memory share, so the cold figures lean high.",
        "Amazon Cognito's own charges (monthly active users, feature plan) are separate and not included.",
    ]
    return section
