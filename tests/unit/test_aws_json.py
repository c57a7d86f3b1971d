"""The triggers' own AWS client (captcha_auth/aws_json.py): its signatures against botocore's
signer and against the emulator with signature and IAM checks on, its endpoints as botocore
resolves them, and its retries, timeouts and errors against a scripted loopback server."""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import json
import shutil
import socket
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from unittest import mock

import botocore.auth
import botocore.loaders
import botocore.session
import pytest
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from captcha_auth import aws_json
from captcha_auth.aws_json import (
    DYNAMODB,
    SECRETS_MANAGER,
    Client,
    ServiceError,
    Unreachable,
    endpoint_for,
    parse_endpoint,
    sign,
)
from offline.emulator import Emulator, aws_client, emulator_credentials
from offline.local_aws import create_counter_table

# ---- Signature Version 4, checked against botocore's signer ------------------------------

_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=40)
# Header values with runs of spaces inside and around: SigV4 folds and trims them.
_HEADER_VALUE = (
    st.lists(st.sampled_from(["DynamoDB_20120810", ".GetItem", "x", " ", "   "]), min_size=1, max_size=8)
    .map("".join)
    .filter(lambda v: v.strip() != "")
)


@settings(max_examples=200, deadline=None)
@given(
    service=st.sampled_from([DYNAMODB, SECRETS_MANAGER]),
    region=st.sampled_from(["us-east-1", "eu-west-3", "cn-north-1", "us-gov-west-1"]),
    host=st.sampled_from(
        ["dynamodb.us-east-1.amazonaws.com", "127.0.0.1:4566", "secretsmanager.cn-north-1.amazonaws.com.cn"]
    ),
    body=st.binary(max_size=200),
    access_key=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=16, max_size=20),
    secret_key=_TEXT,
    token=st.none() | _TEXT.filter(lambda v: v == v.strip()),
    target=_HEADER_VALUE,  # any spacing: both sides fold runs of spaces and trim
    when=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)),
)
def test_every_signature_is_botocores(
    service: Any,
    region: str,
    host: str,
    body: bytes,
    access_key: str,
    secret_key: str,
    token: str | None,
    target: str,
    when: dt.datetime,
) -> None:
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    headers = {"Content-Type": f"application/x-amz-json-{service.json_version}", "X-Amz-Target": target}
    # botocore adds X-Amz-Date and X-Amz-Security-Token itself, at the time it is told.
    request = AWSRequest(method="POST", url=f"https://{host}/", data=body, headers=dict(headers))
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda: when):
        botocore.auth.SigV4Auth(Credentials(access_key, secret_key, token), service.signing_name, region).add_auth(
            request
        )
    ours = {"Host": host, **headers, "X-Amz-Date": amz_date, **({"X-Amz-Security-Token": token} if token else {})}
    authorization = sign(
        method="POST",
        path="/",
        headers=ours,
        body=body,
        service=service.signing_name,
        region=region,
        access_key=access_key,
        secret_key=secret_key,
        amz_date=amz_date,
    )
    assert authorization == request.headers["Authorization"]


# ---- Against the emulator with its signature and IAM checks on (AUTH=true) ----------------


@pytest.fixture(scope="module")
def checking_aws() -> Iterator[dict[str, Any]]:
    """An emulator that checks every IAM user's signature and policy; a table, a secret, and a
    user allowed exactly what Define does (GetItem, UpdateItem on the table; the secret)."""
    workdir = Path(tempfile.mkdtemp(prefix="aws-json-"))
    emulator = Emulator(workdir=workdir, settings={"AUTH": "true"}).start()
    try:
        endpoint = emulator.endpoint
        table = create_counter_table(endpoint, "aws-json-table")
        secret = aws_client("secretsmanager", endpoint).create_secret(Name="aws-json-key", SecretString="s3cret")
        iam = aws_client("iam", endpoint)
        iam.create_user(UserName="define")
        table_arn = aws_client("dynamodb", endpoint).describe_table(TableName=table)["Table"]["TableArn"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"], "Resource": table_arn},
                {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret["ARN"]},
            ],
        }
        iam.put_user_policy(UserName="define", PolicyName="define", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="define")["AccessKey"]
        environ = {
            **emulator_credentials(endpoint),
            "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
        }
        yield {"endpoint": endpoint, "environ": environ, "table": table, "secret": secret["ARN"]}
    finally:
        emulator.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _client(service: Any, aws: dict[str, Any], **changes: str) -> Client:
    return Client(service, aws["endpoint"], timeout=2, attempts=1, environ={**aws["environ"], **changes})


def test_signed_calls_are_accepted_and_answered(checking_aws: dict[str, Any]) -> None:
    dynamodb = _client(DYNAMODB, checking_aws)
    key = {"pk": {"S": uuid.uuid4().hex}}
    updated = dynamodb.call(
        "UpdateItem",
        {
            "TableName": checking_aws["table"],
            "Key": key,
            "UpdateExpression": "ADD failures :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
            "ReturnValues": "ALL_NEW",
        },
    )
    assert updated["Attributes"]["failures"] == {"N": "1"}
    got = dynamodb.call("GetItem", {"TableName": checking_aws["table"], "Key": key, "ConsistentRead": True})
    assert got["Item"]["failures"] == {"N": "1"}
    secret = _client(SECRETS_MANAGER, checking_aws).call("GetSecretValue", {"SecretId": checking_aws["secret"]})
    assert secret["SecretString"] == "s3cret"


def test_a_wrong_secret_key_is_refused_by_the_signature_check(checking_aws: dict[str, Any]) -> None:
    for service, payload in (
        (DYNAMODB, {"TableName": checking_aws["table"], "Key": {"pk": {"S": "x"}}}),
        (SECRETS_MANAGER, {"SecretId": checking_aws["secret"]}),
    ):
        client = _client(service, checking_aws, AWS_SECRET_ACCESS_KEY="not-the-key")
        with pytest.raises(ServiceError) as refused:
            client.call("GetItem" if service is DYNAMODB else "GetSecretValue", payload)
        assert refused.value.code in ("InvalidSignatureException", "SignatureDoesNotMatch"), service


def test_the_signed_identity_is_the_one_iam_checks(checking_aws: dict[str, Any]) -> None:
    """DeleteItem is not in this user's policy: refused as that user, not as the emulator's root."""
    client = _client(DYNAMODB, checking_aws)
    with pytest.raises(ServiceError) as refused:
        client.call("DeleteItem", {"TableName": checking_aws["table"], "Key": {"pk": {"S": "x"}}})
    assert refused.value.code == "AccessDeniedException"


def test_temporary_credentials_sign_with_their_session_token(checking_aws: dict[str, Any]) -> None:
    """As Lambda gives them: a key, a secret and a session token, all three signed."""
    endpoint = checking_aws["endpoint"]
    sts = aws_client("sts", endpoint)
    role_policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
    iam = aws_client("iam", endpoint)
    role = iam.create_role(RoleName="define-role", AssumeRolePolicyDocument=json.dumps(role_policy))["Role"]
    allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}]}
    iam.put_role_policy(RoleName="define-role", PolicyName="secret", PolicyDocument=json.dumps(allow))
    credentials = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="define")["Credentials"]
    temporary = {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }
    payload = {"SecretId": checking_aws["secret"]}
    assert (
        _client(SECRETS_MANAGER, checking_aws, **temporary).call("GetSecretValue", payload)["SecretString"] == "s3cret"
    )
    forged = {**temporary, "AWS_SESSION_TOKEN": credentials["SessionToken"][:-4] + "AAAA"}
    with pytest.raises(ServiceError):
        _client(SECRETS_MANAGER, checking_aws, **forged).call("GetSecretValue", payload)


# ---- Endpoints, as botocore resolves them ----------------------------------------------------

BASE = {"AWS_REGION": "eu-west-3", "ENDPOINT_URL_SUFFIX": "amazonaws.com"}
ENDPOINT_SETTINGS = [
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
]


@functools.cache
def _botocore_data() -> botocore.loaders.Loader:
    """botocore's data files (endpoint rules, service models), parsed once for every session
    here: parsing them was most of each case's time. No setting is read from them."""
    return botocore.loaders.create_loader()


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (BASE, "https://dynamodb.eu-west-3.amazonaws.com"),
        ({**BASE, "AWS_REGION": "cn-north-1", "ENDPOINT_URL_SUFFIX": "amazonaws.com.cn"},
         "https://dynamodb.cn-north-1.amazonaws.com.cn"),
        ({**BASE, "AWS_ENDPOINT_URL": "http://127.0.0.1:1"}, "http://127.0.0.1:1"),
        ({**BASE, "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:2"},
         "http://127.0.0.1:2"),
        ({**BASE, "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:3"}, "https://dynamodb.eu-west-3.amazonaws.com"),
        ({**BASE, "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"},
         "https://dynamodb.eu-west-3.amazonaws.com"),
    ],
    ids=["partition-suffix", "china", "configured", "service-specific-wins", "another-services", "ignored"],
)  # fmt: skip
def test_the_endpoint_is_botocores(environ: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert endpoint_for(DYNAMODB, environ) == expected
    # botocore, given the same settings (and nothing else of this process's), agrees.
    for name in ENDPOINT_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    session = botocore.session.get_session()  # a fresh one: it reads the settings as they are now
    session.register_component("data_loader", _botocore_data())
    client = session.create_client(
        "dynamodb", region_name=environ["AWS_REGION"], aws_access_key_id="x", aws_secret_access_key="x"
    )
    assert client.meta.endpoint_url == expected


@pytest.mark.parametrize("suffix", ["", "amazonaws.com/", "https://amazonaws.com", "example.com#x", "a..com"])
def test_a_malformed_suffix_is_refused_even_where_a_configured_url_wins(suffix: str) -> None:
    with pytest.raises(ValueError, match="ENDPOINT_URL_SUFFIX must be"):
        endpoint_for(DYNAMODB, {**BASE, "ENDPOINT_URL_SUFFIX": suffix, "AWS_ENDPOINT_URL": "http://127.0.0.1:1"})


@pytest.mark.parametrize("setting", ["AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT"])
def test_fips_and_dual_stack_are_refused_not_ignored(setting: str) -> None:
    with pytest.raises(ValueError, match=f"{setting} is not supported"):
        endpoint_for(DYNAMODB, {**BASE, setting: "true"})
    assert endpoint_for(DYNAMODB, {**BASE, setting: "false"}) == "https://dynamodb.eu-west-3.amazonaws.com"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1",
        "http://",
        "127.0.0.1:80",
        "https://example.com/?a=1",
        "https://example.com/prefix",
        "https://user:password@example.com",
        "https://example.com:port",
        "https://b\u00fccher.example",
    ],
)
def test_an_endpoint_that_is_not_a_plain_http_url_is_refused_at_import(url: str) -> None:
    with pytest.raises(ValueError, match=r"endpoint must be|Port"):
        endpoint_for(DYNAMODB, {**BASE, "AWS_ENDPOINT_URL": url})


@pytest.mark.parametrize(
    "url",
    [
        "https://dynamodb.us-east-1.amazonaws.com",
        "https://DynamoDB.US-East-1.amazonaws.com:443",
        "https://vpce-1a2b.dynamodb.us-east-1.vpce.amazonaws.com:443/",
        "https://example.com:8443",
        "http://127.0.0.1:80",
        "http://127.0.0.1:4566",
        "http://[::1]:4566",
        "http://[::1]:80",
    ],
)
def test_the_host_sent_and_signed_is_botocores(url: str) -> None:
    """Lower case, no default port: the host botocore signs (and the server checks)."""
    assert parse_endpoint(url).host == botocore.auth._host_from_url(url)


# ---- Retries, timeouts and errors, against a scripted loopback server ----------------------

ACCESS_KEY = "AKIDSCRIPTED"
SECRET_KEY = "scripted-secret"


def botocore_authorization(headers: Any, body: bytes) -> str:
    """The Authorization botocore's signer gives this request, at the time it says it was made."""
    when = dt.datetime.strptime(headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    names = ("Content-Type", "X-Amz-Target")
    request = AWSRequest(
        method="POST", url=f"http://{headers['Host']}/", data=body, headers={n: headers[n] for n in names}
    )
    with mock.patch.object(botocore.auth, "get_current_datetime", lambda: when):
        botocore.auth.SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "dynamodb", "us-east-1").add_auth(request)
    return str(request.headers["Authorization"])


class Scripted(ThreadingHTTPServer):
    """Answers each POST signed with ACCESS_KEY (the signature checked with botocore's signer)
    and sent to its own Host with the next (status, body, headers) of its script; refuses
    anything else. A "close" header in the script closes the connection after the answer,
    without saying so (it isn't sent)."""

    def __init__(self, script: list[tuple[int, bytes, dict[str, str]]], *, close_after_each: bool = False) -> None:
        super().__init__(("127.0.0.1", 0), _ScriptedHandler)
        self.script = list(script)
        self.requests: list[dict[str, str]] = []
        self.connections: set[tuple[str, int]] = set()
        self.close_after_each = close_after_each
        self.closed = threading.Semaphore(0)  # released once for each connection it closed


class _ScriptedHandler(BaseHTTPRequestHandler):
    server: Scripted
    protocol_version = "HTTP/1.1"  # keeps connections open, as AWS's endpoints do

    def log_message(self, *args: Any) -> None:
        return

    def handle(self) -> None:
        try:
            super().handle()
        finally:
            self.request.shutdown(socket.SHUT_RDWR)
            self.server.closed.release()

    def do_POST(self) -> None:
        length = min(int(self.headers.get("Content-Length") or 0), 65_536)
        body = self.rfile.read(length)
        ours = self.headers.get("Host") == f"127.0.0.1:{self.server.server_address[1]}" and self.headers.get(
            "Authorization"
        ) == botocore_authorization(self.headers, body)
        self.server.requests.append(dict(self.headers))
        self.server.connections.add(self.client_address)
        status, answer, headers = self.server.script.pop(0) if ours and self.server.script else (403, b"", {})
        headers = dict(headers)
        close = headers.pop("close", None) is not None or self.server.close_after_each
        self.send_response(status)
        for name, value in {"Content-Length": str(len(answer)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer)
        self.close_connection = close


@contextmanager
def scripted(*script: tuple[int, bytes, dict[str, str]], close_after_each: bool = False) -> Iterator[Scripted]:
    server = Scripted(list(script), close_after_each=close_after_each)
    # serve_forever checks for shutdown() every poll_interval: its default, 0.5 s, was most of
    # each test's time.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def scripted_client(endpoint: str, *, attempts: int = 2, timeout: float = 0.5) -> Client:
    environ = {"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
    return Client(DYNAMODB, endpoint, timeout=timeout, attempts=attempts, environ=environ)


def _url(server: Scripted) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


OK = (200, b'{"Item": {}}', {})


def _error(
    code: str, status: int = 400, message: str = "a message quoting the request"
) -> tuple[int, bytes, dict[str, str]]:
    return status, json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}).encode(), {}


@pytest.mark.parametrize(
    "first",
    [
        (500, b"", {}),
        (503, b"<html>busy</html>", {}),
        _error("ThrottlingException"),
        _error("ProvisionedThroughputExceededException"),
    ],
    ids=["500", "503", "throttled", "over-capacity"],
)
def test_a_retryable_failure_is_tried_once_more(first: tuple[int, bytes, dict[str, str]]) -> None:
    with scripted(first, OK) as server:
        assert scripted_client(_url(server)).call("GetItem", {}) == {"Item": {}}
        assert len(server.requests) == 2


def test_retries_stop_at_the_attempts_and_say_why() -> None:
    with scripted(_error("ThrottlingException"), _error("ThrottlingException"), OK) as server:
        with pytest.raises(Unreachable, match=r"^ThrottlingException$"):
            scripted_client(_url(server)).call("GetItem", {})
        assert len(server.requests) == 2
    with scripted((502, b"", {}), (504, b"", {})) as server, pytest.raises(Unreachable, match=r"^http_504$"):
        scripted_client(_url(server)).call("GetItem", {})


def test_a_service_error_is_not_retried_and_keeps_only_its_code() -> None:
    with scripted(_error("ConditionalCheckFailedException"), OK) as server:
        with pytest.raises(ServiceError) as refused:
            scripted_client(_url(server)).call("UpdateItem", {"Key": {"pk": {"S": "jane@example.com"}}})
        assert len(server.requests) == 1
    assert refused.value.code == "ConditionalCheckFailedException"
    assert str(refused.value) == "ConditionalCheckFailedException"
    assert "jane" not in repr(refused.value) and "request" not in repr(refused.value)
    assert refused.value.__context__ is None and refused.value.__cause__ is None


def test_an_error_without_a_json_body_is_named_by_its_status() -> None:
    with scripted((403, b"<html>Forbidden</html>", {})) as server, pytest.raises(ServiceError, match=r"^http_403$"):
        scripted_client(_url(server)).call("GetItem", {})


def test_an_error_named_only_in_its_header_is_read_from_it() -> None:
    header = {"x-amzn-ErrorType": "AccessDeniedException:http://internal.amazon.com/"}
    with scripted((400, b"", header)) as server, pytest.raises(ServiceError, match=r"^AccessDeniedException$"):
        scripted_client(_url(server)).call("GetItem", {})


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b"", b"\xff\xfe", b"[" * 100_000],
    ids=["text", "list", "empty", "not-utf8", "deep"],
)
def test_a_malformed_answer_is_unreachable(body: bytes) -> None:
    with scripted((200, body, {})) as server, pytest.raises(Unreachable, match=r"^malformed$"):
        scripted_client(_url(server)).call("GetItem", {})


def test_a_kept_connection_the_server_closed_is_replaced_without_spending_a_try() -> None:
    """As between invocations: the server closed the idle connection before the next call."""
    with scripted(OK, OK, OK, close_after_each=True) as server:
        client = scripted_client(_url(server), attempts=1)
        for _ in range(3):
            assert client.call("GetItem", {}) == {"Item": {}}
            assert server.closed.acquire(timeout=5)
        assert len(server.connections) == 3


def test_a_connection_the_answer_says_it_closes_is_not_kept() -> None:
    with scripted((200, b"{}", {"Connection": "close", "close": ""}), OK) as server:
        client = scripted_client(_url(server), attempts=1)
        assert client.call("GetItem", {}) == {}
        assert client.call("GetItem", {}) == {"Item": {}}  # at once: no stale connection tried
        assert len(server.connections) == 2


def test_a_body_cut_short_is_a_failed_try() -> None:
    cut = (200, b'{"Item": {', {"Content-Length": "40", "close": ""})
    with scripted(cut, OK) as server:
        assert scripted_client(_url(server)).call("GetItem", {}) == {"Item": {}}
        assert len(server.requests) == 2
    with scripted(cut, cut) as server, pytest.raises(Unreachable, match=r"^connection$"):
        scripted_client(_url(server)).call("GetItem", {})


def test_an_oversized_answer_is_malformed_and_its_connection_dropped() -> None:
    huge = (200, b'{"x": "' + b"a" * (1 << 20) + b'"}', {})
    with scripted(huge, OK) as server:
        client = scripted_client(_url(server), attempts=1)
        with pytest.raises(Unreachable, match=r"^malformed$"):
            client.call("GetItem", {})
        assert client.call("GetItem", {}) == {"Item": {}}
        assert len(server.connections) == 2


def test_one_connection_serves_every_call_while_it_stays_open() -> None:
    with scripted(OK, OK, OK) as server:
        client = scripted_client(_url(server), attempts=1)
        for _ in range(3):
            client.call("GetItem", {})
        assert len(server.connections) == 1


def test_nothing_listening_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before the call: nothing listens there
    with pytest.raises(Unreachable, match=r"^connection$"):
        scripted_client(f"http://127.0.0.1:{port}").call("GetItem", {})


def test_a_silent_server_times_out_within_the_tries() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts (in the kernel) and never answers
        started = time.monotonic()
        with pytest.raises(Unreachable, match=r"^timeout$"):
            scripted_client(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.3).call("GetItem", {})
        # Two tries of 0.3 s and a short wait: a bound from Cognito's 5 s, not a benchmark.
        assert time.monotonic() - started < 3.0


def test_missing_credentials_are_unreachable_before_anything_is_sent() -> None:
    with scripted(OK) as server:
        client = Client(DYNAMODB, _url(server), timeout=0.5, attempts=2, environ={"AWS_REGION": "us-east-1"})
        with pytest.raises(Unreachable, match=r"^credentials$"):
            client.call("GetItem", {})
        assert server.requests == []


def test_what_is_sent_is_the_documented_request() -> None:
    with scripted(OK) as server:
        scripted_client(_url(server)).call("GetItem", {"TableName": "t"})
    (headers,) = server.requests
    assert headers["X-Amz-Target"] == "DynamoDB_20120810.GetItem"
    assert headers["Content-Type"] == "application/x-amz-json-1.0"
    assert "SignedHeaders=content-type;host;x-amz-date;x-amz-target," in headers["Authorization"]


def test_a_signature_botocore_would_not_give_is_refused_by_the_scripted_server() -> None:
    """The server's check can fail: the same request signed with another secret key."""
    environ = {"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": "other"}
    with scripted(OK) as server, pytest.raises(ServiceError, match=r"^http_403$"):
        Client(DYNAMODB, _url(server), timeout=0.5, attempts=1, environ=environ).call("GetItem", {})


# ---- TLS: the system's certificates and the host name are checked ------------------------


def _certificate_authority_and_server(names: list[x509.GeneralName]) -> tuple[bytes, ssl.SSLContext]:
    """A throwaway CA (its PEM) and a server context whose certificate it signed for `names`."""
    now = dt.datetime.now(dt.UTC)

    def build(subject: str, issuer: str, public: Any, signer: Any, *, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = build("test CA", "test CA", ca_key.public_key(), ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = build("test server", "test CA", key.public_key(), ca_key, ca=False)
    directory = Path(tempfile.mkdtemp(prefix="aws-json-tls-"))
    try:
        (directory / "server.pem").write_bytes(
            leaf.public_bytes(serialization.Encoding.PEM)
            + key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(directory / "server.pem")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return ca.public_bytes(serialization.Encoding.PEM), server


@contextmanager
def tls_scripted(
    names: list[x509.GeneralName], *script: tuple[int, bytes, dict[str, str]]
) -> Iterator[tuple[str, bytes]]:
    ca, context = _certificate_authority_and_server(names)
    with scripted(*script) as server:
        server.socket = context.wrap_socket(server.socket, server_side=True)
        yield f"https://127.0.0.1:{server.server_address[1]}", ca


LOOPBACK_IP = [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]


def test_a_certificate_the_system_does_not_trust_is_refused() -> None:
    with tls_scripted(LOOPBACK_IP, OK) as (url, _), pytest.raises(Unreachable, match=r"^tls$"):
        scripted_client(url).call("GetItem", {})


def test_a_trusted_certificate_for_another_host_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with tls_scripted([x509.DNSName("dynamodb.us-east-1.amazonaws.com")], OK) as (url, ca):
        trusting = ssl.create_default_context(cadata=ca.decode())
        monkeypatch.setattr(aws_json, "_tls_context", lambda: trusting)
        with pytest.raises(Unreachable, match=r"^tls$"):
            scripted_client(url).call("GetItem", {})


def test_a_trusted_certificate_for_this_host_is_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The control for the two above: the same server, trusted and named right, answers."""
    with tls_scripted(LOOPBACK_IP, OK) as (url, ca):
        trusting = ssl.create_default_context(cadata=ca.decode())
        monkeypatch.setattr(aws_json, "_tls_context", lambda: trusting)
        assert scripted_client(url).call("GetItem", {}) == {"Item": {}}
