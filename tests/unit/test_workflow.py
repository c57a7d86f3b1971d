"""The CI workflow runs other people's code with this repository's token: each action is pinned to
a full commit (a tag can be moved to other code), named by its release in a comment, and the
checkout does not leave the token in .git/config."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from signin.project import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
# `uses: owner/repo[/path]@ref  # comment` (a step's key, or the list item's first key)
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<action>[^@\s]+)@(?P<ref>\S+)(?P<rest>.*)$", re.MULTILINE)


def uses(path: Path) -> list[re.Match[str]]:
    return list(USES.finditer(path.read_text()))


def test_there_is_a_workflow_with_actions() -> None:
    assert WORKFLOWS and all(uses(path) for path in WORKFLOWS)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_commit_and_names_its_release(path: Path) -> None:
    for use in uses(path):
        assert re.fullmatch(r"[0-9a-f]{40}", use["ref"]), f"{use['action']}@{use['ref']}: not a full commit SHA"
        assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+\s*", use["rest"]), f"{use['action']}: no '# vX.Y.Z' after the SHA"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_checkout_does_not_keep_the_token(path: Path) -> None:
    text = path.read_text()
    for use in uses(path):
        if use["action"] == "actions/checkout":
            step = text[use.end() :].split("\n      - ", 1)[0]  # up to the next step
            assert re.search(r"^\s+persist-credentials:\s*false\s*$", step, re.MULTILINE), step
