"""Calls to AWS's JSON-protocol APIs (DynamoDB, Secrets Manager) with the standard library:
a POST of a JSON body, signed with Signature Version 4, over one kept-alive connection.

Written by hand, on purpose, for the cold start of the triggers that call AWS. Importing
botocore and making the two clients Define needs (Secrets Manager for the counter's key, DynamoDB
for the count) cost ~190 ms of every new Define container on the benchmark machine, most of
Define's cold start; this module adds a few tens of milliseconds, most of them for http.client
and the system's certificates, which any client needs (bench/RESULTS.md, section 2, "Cold
start"). No well-kept lightweight Python client for these APIs exists: botocore's signer alone
imports most of botocore, and AWS's own SDK for Python v4 is experimental. So this is the least
that the triggers need and no more:
- Signature Version 4 in the Authorization header, as the AWS IAM user guide documents it
  ("Create a signed AWS API request"): no query-string signing, no chunked payloads.
  tests/unit/test_aws_json.py checks every signature against botocore's own signer, and the
  calls against the local emulator with its signature checks on.
- The endpoint as botocore resolves it for these services: AWS_ENDPOINT_URL_<SERVICE>, then
  AWS_ENDPOINT_URL (unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), else
  https://<service>.<region>.<suffix>, the suffix being the partition's (AWS::URLSuffix, which
  the construct passes as ENDPOINT_URL_SUFFIX). No FIPS or dual-stack endpoints.
- The credentials Lambda gives a function in its environment (AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN). No profile, container or instance credentials.
- Retries like botocore's "standard" mode (connection errors, timeouts, HTTP 5xx and the
  throttling codes), up to `attempts` tries, with a short random wait between them instead of
  its exponential back-off (Cognito gives a trigger 5 s). As with botocore, a write whose answer
  was lost may be sent twice: the failure counter marks each failure so that a resend is not
  counted again (failure_counter.py says when it still is).
- TLS with the system's certificate store and host-name checks (ssl.create_default_context).

Errors carry a short fixed code only, never the request or the service's message. Unreachable's
kinds: timeout, connection, tls, http_<status>, a throttling code, malformed, credentials.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import random
import re
import select
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Service:
    signing_name: str  # also the endpoint's first label
    target_prefix: str  # X-Amz-Target is "<prefix>.<Operation>"
    json_version: str  # Content-Type is "application/x-amz-json-<version>"
    env_name: str  # AWS_ENDPOINT_URL_<env_name>, botocore's name for the service's own endpoint


DYNAMODB = Service("dynamodb", "DynamoDB_20120810", "1.0", "DYNAMODB")
SECRETS_MANAGER = Service("secretsmanager", "secretsmanager", "1.1", "SECRETS_MANAGER")

# botocore's standard retry mode: these codes and statuses are worth another try.
RETRYABLE_CODES = frozenset(
    {
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException",
        "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
        "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "EC2ThrottledException", "RequestTimeout", "RequestTimeoutException", "InternalServerError",
    }
)  # fmt: skip
RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
MAX_RESPONSE_BYTES = 1 << 20  # far above any answer these calls get
RETRY_WAIT_SECONDS = 0.1  # the most a retry waits, at random: the budget is Cognito's 5 s


class ServiceError(Exception):
    """The service answered with an error. `code` is its error code (e.g.
    ConditionalCheckFailedException); the message is dropped, it may quote the request."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Unreachable(Exception):
    """No usable answer within the tries: `str()` is a short fixed kind (see above)."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def sign(
    *,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    service: str,
    region: str,
    access_key: str,
    secret_key: str,
    amz_date: str,
) -> str:
    """The Authorization header of a Signature Version 4 request with no query string. Every
    header in `headers` is signed; they must already hold Host and X-Amz-Date (and
    X-Amz-Security-Token with temporary credentials)."""
    signed = {name.lower(): " ".join(value.split()) for name, value in headers.items()}
    names = sorted(signed)
    canonical_request = "\n".join(
        [
            method,
            path,
            "",  # no query string
            "".join(f"{name}:{signed[name]}\n" for name in names),
            ";".join(names),
            _sha256(body),
        ]
    )
    date = amz_date[:8]
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{_sha256(canonical_request.encode('utf-8'))}"
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{secret_key}".encode(), date), region), service), "aws4_request")
    signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}"


_DNS_SUFFIX = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+")


def endpoint_for(service: Service, environ: Mapping[str, str]) -> str:
    """The endpoint URL botocore would use for `service` with these settings, checked as the
    Client will use it (ValueError). ENDPOINT_URL_SUFFIX is required (KeyError) and checked even
    where a configured URL wins, so a function missing it fails the same way everywhere. FIPS
    and dual-stack endpoints are not built here: asking for them is refused, not ignored."""
    suffix = environ["ENDPOINT_URL_SUFFIX"]
    if not _DNS_SUFFIX.fullmatch(suffix):
        raise ValueError("ENDPOINT_URL_SUFFIX must be a domain name such as amazonaws.com")
    for unsupported in ("AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT"):
        if environ.get(unsupported, "").lower() == "true":
            raise ValueError(f"{unsupported} is not supported: set AWS_ENDPOINT_URL_<SERVICE> instead")
    endpoint = f"https://{service.signing_name}.{environ['AWS_REGION']}.{suffix}"
    if environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() != "true":
        endpoint = environ.get(f"AWS_ENDPOINT_URL_{service.env_name}") or environ.get("AWS_ENDPOINT_URL") or endpoint
    parse_endpoint(endpoint)
    return endpoint


@dataclass(frozen=True)
class Endpoint:
    scheme: str
    hostname: str
    port: int | None
    host: str  # the Host header, sent and signed: botocore's form of it


def parse_endpoint(url: str) -> Endpoint:
    """An http(s) URL with an ASCII host, an optional port and no path, query, fragment or user
    (ValueError otherwise). The Host header leaves out a default port, as botocore's does."""
    parts = urlsplit(url)
    port = parts.port  # ValueError when it isn't a port number
    hostname = parts.hostname or ""
    if (
        parts.scheme not in ("https", "http")
        or not hostname
        or not hostname.isascii()
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
    ):
        raise ValueError("the endpoint must be an http(s) URL with a host and no path, query or user")
    host = f"[{hostname}]" if ":" in hostname else hostname
    if port is not None and port != {"http": 80, "https": 443}[parts.scheme]:
        host = f"{host}:{port}"
    return Endpoint(parts.scheme, hostname, port, host)


@cache
def _tls_context() -> ssl.SSLContext:
    """One for every client: loading the system's certificates is most of what it costs."""
    return ssl.create_default_context()


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """A kept connection the server has closed (or sent something unasked on): readable while
    idle. The check urllib3 makes before reusing a pooled connection."""
    sock = connection.sock
    if sock is None:
        return True
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


class Client:
    """One service's JSON API: `call("GetItem", {...})` returns the answer's JSON object. Not
    for sharing between threads (it keeps one connection): a Lambda container runs one call at
    a time."""

    def __init__(
        self,
        service: Service,
        endpoint: str,
        *,
        timeout: float,
        attempts: int,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        """`endpoint` as endpoint_for gives it; `environ` has the region and the credentials
        (read for each request). Makes the TLS context every deployment needs, once a container."""
        self._service = service
        self._endpoint = parse_endpoint(endpoint)
        self._timeout = timeout
        self._attempts = attempts
        self._environ = environ
        self._region = environ["AWS_REGION"]
        self._tls = _tls_context()
        self._connection: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def call(self, operation: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        problem = "connection"
        for attempt in range(self._attempts):
            if attempt:
                time.sleep(random.uniform(0, RETRY_WAIT_SECONDS))  # noqa: S311 (jitter, not a secret)
            try:
                status, data = self._send(operation, body)
            except (OSError, http.client.HTTPException) as error:
                self.close()
                problem = _failure_kind(error)
                continue
            answer = _json_object(data)
            if status == 200:
                if answer is None:
                    raise Unreachable("malformed")
                return answer
            code = _error_code(answer)
            if status in RETRYABLE_STATUS or code in RETRYABLE_CODES:
                problem = code if code in RETRYABLE_CODES else f"http_{status}"
                continue
            raise ServiceError(code or f"http_{status}")
        raise Unreachable(problem)

    def _send(self, operation: str, body: bytes) -> tuple[int, bytes]:
        environ = self._environ
        try:
            access_key, secret_key = environ["AWS_ACCESS_KEY_ID"], environ["AWS_SECRET_ACCESS_KEY"]
        except KeyError:
            raise Unreachable("credentials") from None
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        headers = {
            "Host": self._endpoint.host,  # sent as signed (http.client adds none of its own then)
            "Content-Type": f"application/x-amz-json-{self._service.json_version}",
            "X-Amz-Target": f"{self._service.target_prefix}.{operation}",
            "X-Amz-Date": amz_date,
        }
        token = environ.get("AWS_SESSION_TOKEN")
        if token:
            headers["X-Amz-Security-Token"] = token
        headers["Authorization"] = sign(
            method="POST",
            path="/",
            headers=headers,
            body=body,
            service=self._service.signing_name,
            region=self._region,
            access_key=access_key,
            secret_key=secret_key,
            amz_date=amz_date,
        )
        connection = self._connection
        if connection is None or _dropped(connection):
            self.close()
            connection = self._connection = self._connect()
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        data = response.read(MAX_RESPONSE_BYTES + 1)
        if len(data) > MAX_RESPONSE_BYTES:
            self.close()  # the rest is unread: the connection can't carry another request
            return response.status, b""
        if response.length:  # the body ended before its Content-Length: a connection failure
            raise http.client.IncompleteRead(data, response.length)
        if response.will_close:
            self.close()
        if response.status != 200 and not data.strip():  # some errors name their code in a header only
            data = json.dumps({"__type": response.getheader("x-amzn-ErrorType", "")}).encode()
        return response.status, data

    def _connect(self) -> http.client.HTTPConnection:
        endpoint = self._endpoint
        if endpoint.scheme == "https":
            return http.client.HTTPSConnection(
                endpoint.hostname, endpoint.port, timeout=self._timeout, context=self._tls
            )
        return http.client.HTTPConnection(endpoint.hostname, endpoint.port, timeout=self._timeout)


def _failure_kind(error: Exception) -> str:
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, ssl.SSLError):  # an untrusted certificate or another host's name among them
        return "tls"
    return "connection"


def _json_object(data: bytes) -> dict[str, Any] | None:
    try:
        answer = json.loads(data)
    except (ValueError, RecursionError):  # not JSON (or not UTF-8), or nested past Python's limit
        return None
    return answer if isinstance(answer, dict) else None


def _error_code(answer: dict[str, Any] | None) -> str:
    """The code of an AWS JSON error: "__type" without its namespace ("com.amazonaws...#Code")."""
    raw = (answer or {}).get("__type")
    if not isinstance(raw, str):
        return ""
    code = raw.rpartition("#")[2].split(":")[0]
    return code if code.isidentifier() and len(code) <= 64 else ""
