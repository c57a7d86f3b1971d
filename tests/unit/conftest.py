"""Each handler test starts with an empty failure counter: many tests share the documented
events' user, and every sign-in that proves its password counts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from offline.local_aws import aws_client


@pytest.fixture(scope="session")
def counter_table(local_aws_endpoint: str) -> tuple[Any, str]:
    return aws_client("dynamodb", local_aws_endpoint), os.environ["FAILURE_TABLE_NAME"]


@pytest.fixture(autouse=True)
def empty_failure_counter(counter_table: tuple[Any, str]) -> Iterator[None]:
    yield
    dynamodb, table = counter_table
    for item in dynamodb.scan(TableName=table, ProjectionExpression="pk").get("Items", []):
        dynamodb.delete_item(TableName=table, Key={"pk": item["pk"]})
