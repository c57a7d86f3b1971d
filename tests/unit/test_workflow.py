"""The CI workflow runs other people's code with this repository's token: each action is pinned to
a full commit (a tag can be moved to other code), named by its release in a comment, and the
checkout does not leave the token in .git/config."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from signin.project import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
# `uses: owner/repo[/path]@ref  # comment`, quoted or not: a step's key, or its list item's first.
USES = re.compile(
    r"^(?P<indent>[ ]*)(?P<item>-[ ]+)?uses:[ ]*(?P<quote>[\"']?)(?P<action>[^@\s\"']+)@(?P<ref>[^\s\"']+)(?P=quote)"
    r"(?P<rest>.*)$",
    re.MULTILINE,
)


def uses(path: Path) -> list[re.Match[str]]:
    return list(USES.finditer(path.read_text()))


def test_the_workflows_use_actions() -> None:
    assert any(uses(path) for path in WORKFLOWS)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_commit_and_names_its_release(path: Path) -> None:
    for use in uses(path):
        if use["action"].startswith("docker://"):
            assert re.fullmatch(r"sha256:[0-9a-f]{64}", use["ref"]), f"{use['action']}: not pinned by digest"
            continue
        assert re.fullmatch(r"[0-9a-f]{40}", use["ref"]), f"{use['action']}@{use['ref']}: not a full commit SHA"
        assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+\s*", use["rest"]), f"{use['action']}: no '# vX.Y.Z' after the SHA"


def step(text: str, use: re.Match[str]) -> str:
    """The text of the step `use` is in: up to the next item at its list's indentation."""
    dash = len(use["indent"]) if use["item"] else len(use["indent"]) - 2  # where its step's "- " is
    after = text[use.end() :]
    end = re.search(rf"^[ ]{{0,{dash}}}\S", after, re.MULTILINE)  # a line at or left of that dash
    return after[: end.start()] if end else after


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_checkout_does_not_keep_the_token(path: Path) -> None:
    text = path.read_text()
    for use in uses(path):
        if use["action"] == "actions/checkout":
            assert re.search(r"^\s+persist-credentials:\s*false\s*$", step(text, use), re.MULTILINE), step(text, use)
