"""A Lambda context for calling the handlers on this machine (tests, benchmarks): the fields
Lambda's own context object has that Powertools may read. The handlers themselves read none."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LocalLambdaContext:
    function_name: str = "local"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:local"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 5000
