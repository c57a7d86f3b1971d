"""Shared fixtures. The CDK template is synthesized once per test session (tests/support.py)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from offline.lambda_context import LocalLambdaContext

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
# The handlers read their settings only from the environment the construct gives them; the
# unit tests run them as the construct configures them by default. tests/infra checks that the
# template gives each function exactly the variables it reads.
os.environ["MAX_CAPTCHA_ATTEMPTS"] = "3"
os.environ["POWERTOOLS_SERVICE_NAME"] = "captcha-auth"


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
