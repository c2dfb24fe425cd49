"""`validate_spec`: accept a chart the model proposed only if it is one we could draw anyway.

The model answers with JSON such as `{"kind": "bar", "x": "country", "y": "revenue"}`.
It is parsed with `json.loads` (never evaluated), read only for the six `ChartSpec` keys
(anything else is ignored), and kept only when every named column exists in the frame
and the spec `fits` it. Otherwise the caller falls back to `choose_chart`. No code a model
writes is ever executed.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd

from backend.charts.choose import choose_chart, title_for
from backend.charts.columns import Profile, profile
from backend.charts.options import fits
from backend.charts.spec import CHART_KINDS, ChartKind, ChartSpec

MAX_SPEC_CHARS = 4_000
MAX_TEXT_CHARS = 120
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL | re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def validate_spec(
    raw: dict[str, Any] | str, frame: pd.DataFrame, *, shape: Profile | None = None
) -> ChartSpec | None:
    """A `ChartSpec` from a model's proposal, or None when it is not one we can trust.

    `shape`: the frame's `profile`, when the caller has it."""
    data = _parse(raw)
    kind = _kind(data.get("kind")) if data is not None else None
    axes = _axes(data, frame) if data is not None else None
    if data is None or kind is None or axes is None:
        return None
    x, y, color = axes
    title = _text(data.get("title")) or title_for(kind, x, y, color)
    reason = _text(data.get("reason")) or "Proposed by the model."
    spec = ChartSpec(kind, x, y, color, title, reason)
    return spec if fits(spec, shape or profile(frame)) else None


def chart_for(
    frame: pd.DataFrame, proposal: str | None = None, *, shape: Profile | None = None
) -> ChartSpec:
    """The model's proposal when it holds up against `frame`, else our own choice.

    `shape`: the frame's `profile`, when the caller has it."""
    proposed = validate_spec(proposal, frame, shape=shape) if proposal else None
    return proposed or choose_chart(frame, shape=shape)


def _kind(value: object) -> ChartKind | None:
    if not isinstance(value, str):
        return None
    return next((k for k in CHART_KINDS if k == value.strip().lower()), None)


def _axes(data: dict[str, Any], frame: pd.DataFrame) -> tuple[str | None, ...] | None:
    """The frame's own spelling of x, y and color; None when any names an unknown column."""
    exact = {c for c in frame.columns if isinstance(c, str)}
    folded = {c.lower(): c for c in exact}
    axes: list[str | None] = []
    for key in ("x", "y", "color"):
        value = data.get(key)
        if value is None or value == "":
            axes.append(None)
        elif isinstance(value, str) and (value in exact or value.strip().lower() in folded):
            axes.append(value if value in exact else folded[value.strip().lower()])
        else:
            return None
    return tuple(axes)


def _parse(raw: object) -> dict[str, Any] | None:
    if isinstance(raw, str):
        text = raw.strip()
        if len(text) > MAX_SPEC_CHARS:
            return None
        fenced = _FENCE.match(text)
        try:
            raw = json.loads(fenced.group(1) if fenced else text)
        except ValueError:
            return None
    return raw if isinstance(raw, dict) else None


def _text(value: object) -> str:
    if not isinstance(value, str):
        return ""
    return _CONTROL.sub(" ", value).strip()[:MAX_TEXT_CHARS]
