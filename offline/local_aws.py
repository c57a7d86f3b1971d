"""The failure counter's table and key on the local emulator, for running the triggers on this
machine (the unit tests and the benchmarks): what Define needs to be called outside Lambda."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from offline.emulator import Emulator, aws_client, emulator_credentials

__all__ = ["aws_client", "create_counter_resources", "create_counter_table", "local_trigger_environment"]


def create_counter_table(endpoint: str, name: str) -> str:
    """A table shaped as the construct's FailureCounter (key `pk`, TTL `expires_at`)."""
    dynamodb = aws_client("dynamodb", endpoint)
    dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
    )
    return name


def create_counter_resources(endpoint: str) -> dict[str, str]:
    """The counter's table and HMAC key on the emulator; returns Define's settings for them."""
    table = create_counter_table(endpoint, "failure-counter")
    secret = aws_client("secretsmanager", endpoint).create_secret(
        Name="failure-counter-key", SecretString=secrets.token_urlsafe(48)
    )
    return {"FAILURE_TABLE_NAME": table, "FAILURE_KEY_SECRET_ARN": str(secret["ARN"])}


@contextmanager
def local_trigger_environment(settings: Mapping[str, str]) -> Iterator[str]:
    """Start the emulator, create the counter's resources, and put them, the emulator's
    credentials, the endpoints' suffix and `settings` in os.environ until the block ends;
    yields the endpoint."""
    workdir = Path(tempfile.mkdtemp(prefix="local-aws-"))
    saved = dict(os.environ)
    emulator = Emulator(workdir=workdir).start()
    try:
        os.environ.update(emulator_credentials(emulator.endpoint))
        os.environ.update(settings)
        os.environ.update(create_counter_resources(emulator.endpoint))
        # AWS::URLSuffix as CloudFormation resolves it in the emulator's region (AWS_ENDPOINT_URL,
        # the emulator, is what the triggers' clients call).
        os.environ["ENDPOINT_URL_SUFFIX"] = "amazonaws.com"
        yield emulator.endpoint
    finally:
        emulator.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        os.environ.clear()
        os.environ.update(saved)
