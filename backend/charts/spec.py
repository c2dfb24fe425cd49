"""The chart vocabulary: every chart Keskinube can draw is one `ChartSpec`.

Axes by kind (x is always the dimension, y the measure):

| kind      | x                          | y         | color                      |
|-----------|----------------------------|-----------|----------------------------|
| kpi       | –                          | the value | –                          |
| line      | time column                | measure   | optional series column     |
| bar, barh | category (or time) column  | measure   | optional stacking column   |
| donut     | category (the slices)      | measure   | –                          |
| scatter   | measure                    | measure   | optional category          |
| histogram | the measure binned         | –         | –                          |
| table     | –                          | –         | –                          |
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, get_args

ChartKind = Literal["kpi", "line", "bar", "barh", "donut", "scatter", "histogram", "table"]
CHART_KINDS: tuple[ChartKind, ...] = get_args(ChartKind)


@dataclass(frozen=True)
class ChartSpec:
    """What to draw: the kind, which columns go where, a title and why it was chosen."""

    kind: ChartKind
    x: str | None = None
    y: str | None = None
    color: str | None = None
    title: str = ""
    reason: str = ""

    @property
    def axes(self) -> tuple[ChartKind, str | None, str | None, str | None]:
        """The part that identifies a chart: two specs with equal axes draw the same picture."""
        return (self.kind, self.x, self.y, self.color)


def spec_to_json(spec: ChartSpec | None) -> dict[str, Any] | None:
    """The JSON-safe form `spec_from_json` reads back."""
    return None if spec is None else asdict(spec)


def spec_from_json(data: object) -> ChartSpec | None:
    """A stored chart spec, or None when it is missing or not of our vocabulary."""
    if not isinstance(data, dict) or data.get("kind") not in CHART_KINDS:
        return None
    text = {key: data.get(key) for key in ("x", "y", "color")}
    axes = {key: value if isinstance(value, str) else None for key, value in text.items()}
    return ChartSpec(
        kind=data["kind"],
        title=str(data.get("title") or ""),
        reason=str(data.get("reason") or ""),
        **axes,
    )
