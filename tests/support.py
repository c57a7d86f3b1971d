"""Helpers shared by the test modules (fixtures live in the conftest files)."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from signin.project import cdk_json_context

EVENTS = Path(__file__).resolve().parent / "events"
ASSET_HASH = re.compile(r"[0-9a-f]{64}")


def synth_app(**context: Any) -> Any:
    """app.py's stack, synthesized with cdk.json's context plus `context`, bundling skipped.
    (An App() made in a test does not read cdk.json: its feature flags would differ.)"""
    import aws_cdk as cdk

    import app as cdk_app

    application = cdk.App(context={**cdk_json_context(), "aws:cdk:bundling-stacks": [], **context})
    return cdk_app.build_app(application)


def synth_now(**context: Any) -> Any:
    """A fresh synth of app.py's stack (for a test that changes what the synth does)."""
    from aws_cdk.assertions import Template

    return Template.from_stack(synth_app(**context))


def synth(**context: Any) -> Any:
    """app.py's stack for `context`: made in the background at the start of the session if it is
    in PREBUILT (tests/conftest.py starts it), else synthesized now."""
    template = prebuilt.get(context)
    return template if template is not None else synth_now(**context)


# The providers the construct documents, and the context that deploys each.
PROVIDER_VERIFY_URLS = {
    "turnstile": "https://challenges.cloudflare.com/turnstile/v0/siteverify",
    "recaptcha-v2": "https://www.google.com/recaptcha/api/siteverify",
    "recaptcha-v3": "https://www.google.com/recaptcha/api/siteverify",
    "hcaptcha": "https://api.hcaptcha.com/siteverify",
}


def provider_context(provider: str) -> dict[str, str]:
    return {"captchaProvider": provider, "captchaSiteKey": "site-key_1", "captchaHostnames": "app.example.com"}


# Every app.py context whose template tests/infra reads. The session synthesizes them one after
# another in one jsii process, on a thread, while the tests that need no template run (the
# synth's work is done by the jsii Node.js process, so it takes the other core); tests/infra
# runs last and waits for it.
PREBUILT: tuple[dict[str, str], ...] = (
    {},
    {"threatProtection": "true"},
    {"maxCaptchaAttempts": "6"},
    {"waf": "true"},
    {"sandbox": "true"},
    {"target": "local"},
    *(provider_context(provider) for provider in PROVIDER_VERIFY_URLS),
)
# cfn-lint's findings on the shipped template and on a copy broken on purpose, run as a process
# of its own beside the tests once the shipped template is there.
CFN_LINT_IGNORED = ["W3005"]  # redundant DependsOn: emitted by CDK itself, a style warning


def _key(context: dict[str, Any]) -> str:
    return json.dumps(context, sort_keys=True)


class Prebuilt:
    """The PREBUILT templates, synthesized on a background thread. Nothing else may call into
    jsii while it runs: `get` (and tests/conftest.py, before each tests/infra test) waits for it."""

    def __init__(self) -> None:
        self._templates: dict[str, Any] = {}
        self._thread: threading.Thread | None = None
        self._lint: subprocess.Popen[str] | None = None
        self._lint_dir = tempfile.TemporaryDirectory(prefix="cfn-lint-")

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._build, name="prebuilt-templates", daemon=True)
            self._thread.start()

    def _build(self) -> None:
        for context in PREBUILT:
            try:
                template = synth_now(**context)
                template.to_json()  # (a test that wants it would ask anyway)
            except Exception:  # noqa: S112 - the test that asks for it synthesizes again and sees why
                continue
            self._templates[_key(context)] = template
            if not context:
                self._start_lint(template.to_json())

    def _start_lint(self, template_json: dict[str, Any]) -> None:
        folder = Path(self._lint_dir.name)
        broken = copy.deepcopy(template_json)
        function = next(r for r in broken["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
        function["Properties"]["Timeout"] = "five"
        (folder / "shipped.json").write_text(json.dumps(template_json))
        (folder / "broken.json").write_text(json.dumps(broken))
        command = [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())"]
        command += ["--format", "parseable", "--regions", "us-east-1"]
        command += ["--ignore-checks", *CFN_LINT_IGNORED, "--", "shipped.json", "broken.json"]
        self._lint = subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def get(self, context: dict[str, Any]) -> Any:
        self.wait()
        return self._templates.get(_key(context))

    def cfn_lint(self) -> dict[str, list[str]]:
        """cfn-lint's findings per file (shipped.json, broken.json), one line each."""
        self.wait()
        if self._lint is None:
            self._start_lint(synth().to_json())
        assert self._lint is not None
        out, err = self._lint.communicate(timeout=300)
        findings: dict[str, list[str]] = {"shipped.json": [], "broken.json": []}
        for line in out.splitlines():
            name = line.split(":", 1)[0]
            if name not in findings:
                raise AssertionError(f"cfn-lint printed something unexpected: {line}\n{err}")
            findings[name].append(line)
        if self._lint.returncode not in (0, 2, 4, 6, 8, 10, 12, 14):  # bit flags: error/warning/info found
            raise AssertionError(f"cfn-lint failed ({self._lint.returncode}): {err[-2000:]}")
        return findings


prebuilt = Prebuilt()


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of a documented trigger event (tests/events/NAME.json)."""
    return json.loads((EVENTS / f"{name}.json").read_text())


def mask_assets(template_json: dict[str, Any]) -> dict[str, Any]:
    """Replace asset hashes, so a comparison is the same on every machine and does not change
    when only a handler's code does."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: ("<asset>" if key == "S3Key" else walk(value)) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        if isinstance(node, str):
            return ASSET_HASH.sub("<asset-hash>", node)
        return node

    return walk(copy.deepcopy(template_json))


def resources(template_json: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template_json["Resources"].items() if v["Type"] == resource_type}


def security_invariants(template_json: dict[str, Any]) -> list[str]:
    """What the security model rests on, checked on a whole template; returns what is broken.
    (tests/infra/test_template.py asserts each of these on its own, for the shipped stack.)"""
    broken = []
    (pool,) = resources(template_json, "AWS::Cognito::UserPool").values()
    clients = resources(template_json, "AWS::Cognito::UserPoolClient").values()
    for client in clients:
        props = client["Properties"]
        if props.get("ExplicitAuthFlows") != ["ALLOW_CUSTOM_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]:
            broken.append("auth flows")
        if props.get("GenerateSecret") is not False:
            broken.append("client secret")
        if props.get("AllowedOAuthFlowsUserPoolClient") is not False or "AllowedOAuthFlows" in props:
            broken.append("oauth")
        if props.get("PreventUserExistenceErrors") != "ENABLED":
            broken.append("user existence errors")
    config = pool["Properties"].get("LambdaConfig", {})
    functions = resources(template_json, "AWS::Lambda::Function")
    handlers = {key: functions[value["Fn::GetAtt"][0]]["Properties"]["Handler"] for key, value in config.items()}
    if handlers != {
        "DefineAuthChallenge": "captcha_auth.define_auth_challenge.lambda_handler",
        "CreateAuthChallenge": "captcha_auth.create_auth_challenge.lambda_handler",
        "VerifyAuthChallengeResponse": "captcha_auth.verify_auth_challenge.lambda_handler",
        "PostAuthentication": "captcha_auth.post_authentication.lambda_handler",
    }:
        broken.append("triggers")
    if not clients:
        broken.append("no client")
    return broken
