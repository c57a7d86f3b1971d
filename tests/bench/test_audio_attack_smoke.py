"""Smoke run of the audio CAPTCHA attacks (bench/attack/audio_attacks.py) with --quick counts:
checks the result rows are well formed, never how well an attack does."""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any

import pytest

from bench.attack import audio_attacks

ATTACKS = {"matched-filter", "learned"}
RENDERERS = {"v1", "shipped"}


def check_rows(payload: dict[str, Any], evaluate: int) -> list[dict[str, Any]]:
    rows = payload["rows"]
    assert {(r["attack"], r["renderer"]) for r in rows} >= {
        ("matched-filter", "v1"),
        ("matched-filter", "shipped"),
        ("learned", "shipped"),
    }
    for r in rows:
        assert r["attack"] in ATTACKS and r["renderer"] in RENDERERS
        assert r["status"] in {"ok", "skipped"}
        if r["status"] == "ok":
            assert 0 <= r["whole_pct"] <= r["char_pct"] <= 100
            assert r["eval_samples"] == evaluate
            assert r["train_seconds"] >= 0
        else:
            assert r["reason"]
            assert r["whole_pct"] is None and r["char_pct"] is None
    levels = payload["shipped_levels"]
    assert levels["data_url_chars_max_seen"] <= levels["data_url_chars_bound"]
    assert levels["render_ms_median"] > 0
    return rows


def test_quick_run_writes_well_formed_rows(tmp_path: Path) -> None:
    out = tmp_path / "audio.json"
    assert audio_attacks.main(["--quick", "--eval", "3", "--json", str(out)]) == 0
    check_rows(json.loads(out.read_text()), 3)


def test_quick_run_without_torch_or_numpy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_torch(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] in {"torch", "numpy"}:
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    out = tmp_path / "audio.json"
    assert audio_attacks.main(["--quick", "--eval", "2", "--json", str(out)]) == 0
    rows = check_rows(json.loads(out.read_text()), 2)
    reasons = {r["attack"]: r["reason"] for r in rows}
    assert all(r["status"] == "skipped" for r in rows)
    assert reasons["learned"] == "torch not installed"
    assert reasons["matched-filter"] == "numpy not installed"
