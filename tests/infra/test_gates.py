"""Security gates on the whole template: cdk-nag, cfn-lint, and one snapshot as a tripwire."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from stacks.nag import acknowledged_findings
from tests.conftest import synth

ASSET_HASH = re.compile(r"[0-9a-f]{64}")


def mask_assets(template_json: dict[str, Any]) -> dict[str, Any]:
    """Replace asset hashes, so the snapshot is the same on every machine and does not change
    when only a handler's code does."""
    masked = copy.deepcopy(template_json)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: ("<asset>" if key == "S3Key" else walk(value)) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        if isinstance(node, str):
            return ASSET_HASH.sub("<asset-hash>", node)
        return node

    return walk(masked)


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


def test_template_snapshot(template_json: dict[str, Any], snapshot_json) -> None:
    assert mask_assets(template_json) == snapshot_json


def test_masking_hides_code_changes(template_json: dict[str, Any]) -> None:
    changed = copy.deepcopy(template_json)
    for resource in changed["Resources"].values():
        if resource["Type"] == "AWS::Lambda::Function":
            resource["Properties"]["Code"]["S3Key"] = "f" * 64 + ".zip"
    assert mask_assets(changed) == mask_assets(template_json)
    assert "<asset>" in json.dumps(mask_assets(template_json))


def test_nag_gate_has_no_unacknowledged_findings(template_json: dict[str, Any]) -> None:
    # The session template synthesized with AwsSolutionsChecks applied; an unacknowledged error
    # would have raised. This proves the gate is armed: without the acknowledgements it fails.
    assert template_json["Resources"]
    import aws_cdk as cdk

    import app as cdk_app
    from stacks import nag

    original = nag.acknowledged_findings
    nag_app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    try:
        nag.acknowledged_findings = lambda **_: {}  # type: ignore[assignment]
        cdk_app.build_app(nag_app)
        with pytest.raises(RuntimeError, match="ValidationFailed"):
            nag_app.synth()
    finally:
        nag.acknowledged_findings = original


@pytest.mark.parametrize("threat_protection", [False, True])
def test_every_acknowledgement_has_a_real_reason(threat_protection: bool) -> None:
    findings = acknowledged_findings(threat_protection=threat_protection)
    assert "AwsSolutions-COG2" in findings
    assert ("AwsSolutions-COG8" in findings) is not threat_protection
    for reason in findings.values():
        assert len(reason.split()) >= 25


def test_threat_protection_template_passes_nag_without_the_plus_acknowledgement() -> None:
    synth(threatProtection="true")  # raises if COG8 were still needed and not acknowledged


# W3005 (redundant DependsOn) is emitted by CDK itself for the functions' roles and policies;
# it is a style warning about the template's shape, not a fault in it.
CFN_LINT_IGNORED = ["W3005"]


def test_cfn_lint_reports_nothing(template_json: dict[str, Any]) -> None:
    from cfnlint.api import ManualArgs, lint

    matches = lint(json.dumps(template_json), config=ManualArgs(ignore_checks=CFN_LINT_IGNORED, regions=["us-east-1"]))
    assert [str(match) for match in matches] == []


def test_cfn_lint_would_report_a_fault(template_json: dict[str, Any]) -> None:
    from cfnlint.api import ManualArgs, lint

    broken = copy.deepcopy(template_json)
    function = next(r for r in broken["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    function["Properties"]["Timeout"] = "five"
    assert lint(json.dumps(broken), config=ManualArgs(ignore_checks=CFN_LINT_IGNORED, regions=["us-east-1"]))
