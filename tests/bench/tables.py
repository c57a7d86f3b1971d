"""Reading the benchmark's rendered Markdown tables back, for the smoke tests."""

from __future__ import annotations

import re

_NUMBER = re.compile(r"\$?(\d[\d,]*(?:\.\d+)?)(?:×| MB| kB)?")


def _number(cell: str) -> float | None:
    match = _NUMBER.fullmatch(cell.strip())
    return float(match.group(1).replace(",", "")) if match else None


def row(text: str, label: str) -> list[float]:
    """The numeric cells of the first table row whose first cell starts with `label`."""
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0].startswith(label):
            return [value for value in map(_number, cells[1:]) if value is not None]
    raise AssertionError(f"no row starting {label!r} in:\n{text}")


def all_positive(values: list[float], count: int) -> bool:
    return len(values) == count and all(value > 0 for value in values)
