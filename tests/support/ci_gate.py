"""The real-model gate's file, `bench/golden/ci_gate.json`: which questions, what floor.

Read by the gate itself (tests/live/test_live_gate.py) and by a unit test that checks the
file without a model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

GATE_FILE = Path(__file__).resolve().parents[2] / "bench" / "golden" / "ci_gate.json"


@dataclass(frozen=True)
class Gate:
    """The gate's questions (ids of `set_path`) and the accuracy they must keep."""

    set_path: Path
    ids: tuple[str, ...]
    floor: float


def load_gate(path: Path = GATE_FILE) -> Gate:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Gate(path.parent / data["set"], tuple(data["ids"]), float(data["floor"]))
