"""Item 5: the offline deploy — `cdk bootstrap` and `cdk deploy` with the real CLI against the
local emulator, then one full sign-in through it (real SRP, the deployed triggers).

The sign-in plays the human by reading the answer from the emulator's own state, as the
end-to-end tests do. There is no floor to divide by here: the emulator's own start-up is
reported beside the steps instead.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.common import Section, Table, fmt_s
from offline.emulator import (
    WITH_INSPECTOR,
    Emulator,
    aws_client,
    bootstrap,
    create_user,
    deploy_stack,
    random_password,
)
from offline.inspector import pending_answer
from signin.flow import sign_in

STACK = "CaptchaSignInBench"
EMAIL = "bench.user@example.com"


def offline_deploy_section() -> Section:
    section = Section(title="5. Offline deploy (local emulator, real CDK CLI)")
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as scratch:
        workdir = Path(scratch)
        emulator = Emulator(workdir=workdir, launcher=WITH_INSPECTOR)
        start = time.perf_counter()
        with emulator:
            timings["emulator start"] = time.perf_counter() - start

            start = time.perf_counter()
            bootstrap(emulator.endpoint, workdir)
            timings["cdk bootstrap"] = time.perf_counter() - start

            start = time.perf_counter()
            outputs = deploy_stack(emulator.endpoint, workdir, STACK)
            timings["cdk deploy (with bundling)"] = time.perf_counter() - start

            idp = aws_client("cognito-idp", emulator.endpoint)
            password = random_password()
            create_user(idp, outputs["UserPoolId"], EMAIL, password)

            def human(_: object) -> str:
                return pending_answer(emulator.endpoint, outputs["UserPoolId"], EMAIL)

            for label in ("one sign-in (SRP + CAPTCHA, cold triggers)", "one sign-in (warm triggers)"):
                start = time.perf_counter()
                sign_in(
                    idp,
                    pool_id=outputs["UserPoolId"],
                    client_id=outputs["UserPoolClientId"],
                    username=EMAIL,
                    password=password,
                    solve=human,
                )
                timings[label] = time.perf_counter() - start

    section.tables.append(Table(headers=["step", "seconds"], rows=[[k, fmt_s(v)] for k, v in timings.items()]))
    section.figures = {key: value for key, value in timings.items()}
    section.notes.append(
        "One run: each step is a single event, timed end to end, including the CLI's Node start-up and "
        "the app's synth; the emulator runs every trigger on this machine's Python."
    )
    return section
