"""Shared fixtures. The CDK template is synthesized once per test session (tests/support.py).

The triggers' failure counter needs a real DynamoDB API: the session starts the local
emulator (offline/) once, on a free loopback port, creates the counter's table and key there,
and configures the handlers as the construct does by default. tests/infra checks that the
template gives each function exactly the variables it reads.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from offline.emulator import Emulator
from offline.lambda_context import LocalLambdaContext
from tests.support import create_counter_resources, emulator_credentials

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
HANDLER_SETTINGS = {
    "MAX_CAPTCHA_ATTEMPTS": "3",
    "POWERTOOLS_SERVICE_NAME": "captcha-auth",
    "POWERTOOLS_METRICS_NAMESPACE": "CaptchaSignIn",
    "LOCKOUT_AFTER_FAILURES": "5",
    "LOCKOUT_WINDOW_SECONDS": "900",
    "LOCKOUT_BACKOFF_SECONDS": "300",
    "LOCKOUT_MAX_BACKOFF_SECONDS": "3600",
    "COUNTER_FAIL_OPEN": "false",
}
_local_aws: list[Any] = []


def pytest_configure(config: pytest.Config) -> None:
    """Before any test module (and so any handler) is imported."""
    workdir = Path(tempfile.mkdtemp(prefix="local-aws-"))
    emulator = Emulator(workdir=workdir).start()
    _local_aws.extend([emulator, workdir, dict(os.environ)])
    os.environ.update(emulator_credentials(emulator.endpoint))
    os.environ.update(HANDLER_SETTINGS)
    os.environ.update(create_counter_resources(emulator.endpoint))


def pytest_unconfigure(config: pytest.Config) -> None:
    if _local_aws:
        emulator, workdir, environ = _local_aws
        emulator.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        os.environ.clear()
        os.environ.update(environ)


@pytest.fixture(scope="session")
def local_aws_endpoint() -> str:
    return str(_local_aws[0].endpoint)


@pytest.fixture(scope="session")
def template() -> Any:
    from tests.support import synth

    return synth()


@pytest.fixture(scope="session")
def template_json(template: Any) -> dict[str, Any]:
    return template.to_json()


@pytest.fixture
def lambda_context() -> LocalLambdaContext:
    return LocalLambdaContext()


@pytest.fixture
def captured_logs() -> Any:
    """Every line the triggers' Powertools logger writes during the test, as the JSON text
    CloudWatch would store (same formatter)."""
    import io
    import logging

    from captcha_auth.common import logger

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    try:
        yield stream.getvalue
    finally:
        logger.removeHandler(handler)
