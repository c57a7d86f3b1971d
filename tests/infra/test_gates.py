"""Security gates on the whole template: cdk-nag, cfn-lint, and one snapshot as a tripwire."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from syrupy.extensions.json import JSONSnapshotExtension

from stacks.captcha_auth.nag import acknowledged_findings
from tests.support import mask_assets, prebuilt, synth, synth_now


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


@pytest.mark.parametrize(
    ("finding", "context"),
    [("AwsSolutions-COG2", {}), ("AwsSolutions-COG8", {})],
    ids=["mfa", "essentials-plan"],
)
def test_the_nag_gate_is_armed_and_every_acknowledgement_is_needed(
    monkeypatch: pytest.MonkeyPatch, finding: str, context: dict[str, str]
) -> None:
    """The session template passed the gate; without this one acknowledgement the synth fails
    on exactly this finding, so none of them is dead weight."""
    from stacks.captcha_auth import construct

    def all_but_one(**kwargs: Any) -> dict[str, str]:
        return {k: v for k, v in acknowledged_findings(**kwargs).items() if k != finding}

    monkeypatch.setattr(construct, "acknowledged_findings", all_but_one)
    with pytest.raises(RuntimeError, match=finding):
        synth_now(**context)


def test_threat_protection_template_passes_nag_without_the_plus_acknowledgement() -> None:
    assert "AwsSolutions-COG8" not in acknowledged_findings(threat_protection=True)
    synth(threatProtection="true")  # raises if COG8 were still needed and not acknowledged


def test_cfn_lint_reports_nothing() -> None:
    assert prebuilt.cfn_lint()["shipped.json"] == []


def test_cfn_lint_would_report_a_fault() -> None:
    """The same run lints a copy of the template with a function timeout of "five"."""
    (finding,) = prebuilt.cfn_lint()["broken.json"]
    assert ":E3012:'five' is not of type 'integer'" in finding
