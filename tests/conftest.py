"""Shared fixtures. The CDK template is synthesized once per test session, with cdk.json's
context applied (an App() made in a test does not read cdk.json, so its feature flags would
otherwise differ from `cdk synth`), and asset bundling skipped."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EVENTS = Path(__file__).resolve().parent / "events"

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def cdk_json_context() -> dict[str, Any]:
    return json.loads((ROOT / "cdk.json").read_text())["context"]


def synth(**context: Any) -> Any:
    """Synthesize app.py's stack with cdk.json's context plus `context`, bundling skipped."""
    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    import app as cdk_app

    application = cdk.App(context={**cdk_json_context(), "aws:cdk:bundling-stacks": [], **context})
    stack = cdk_app.build_app(application)
    return Template.from_stack(stack)


@pytest.fixture(scope="session")
def template() -> Any:
    return synth()


@pytest.fixture(scope="session")
def template_json(template: Any) -> dict[str, Any]:
    return template.to_json()


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of a documented trigger event (tests/events/NAME.json)."""
    return json.loads((EVENTS / f"{name}.json").read_text())


class FakeLambdaContext:
    """The few LambdaContext fields Powertools may read."""

    function_name = "test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id = "00000000-0000-0000-0000-000000000000"


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


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
