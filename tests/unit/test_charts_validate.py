"""validate_spec: a model's chart proposal is data, checked against the frame, never run."""

from __future__ import annotations

import builtins
from collections.abc import Callable

import pandas as pd
import pytest

from backend.charts import ChartSpec, build_figure, validate_spec

PAYLOAD = "fig = px.bar(df)  # model-payload"


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "country": pd.Series(["DE", "FR", "IT"], dtype="str"),
            "month": pd.Series(["2024-01", "2024-02", "2024-03"], dtype="str"),
            "revenue": [310_000.0, 250_000.0, 90_000.0],
            "avg_price": [9.5, 8.0, 7.5],
        }
    )


def test_validate_spec_accepts_a_good_dict(frame: pd.DataFrame) -> None:
    raw = {"kind": "bar", "x": "country", "y": "revenue", "title": "Revenue per country"}
    assert validate_spec(raw, frame) == ChartSpec(
        "bar", "country", "revenue", None, "Revenue per country", "Proposed by the model."
    )


def test_validate_spec_accepts_json_text_in_a_code_fence(frame: pd.DataFrame) -> None:
    raw = '```json\n{"kind": "line", "x": "month", "y": "revenue", "reason": "trend"}\n```'
    spec = validate_spec(raw, frame)
    assert spec is not None
    assert (spec.kind, spec.x, spec.y, spec.title, spec.reason) == (
        "line",
        "month",
        "revenue",
        "Revenue by month",
        "trend",
    )


def test_validate_spec_resolves_column_case_to_the_frame_spelling(frame: pd.DataFrame) -> None:
    spec = validate_spec({"kind": " BARH ", "x": "Country", "y": "REVENUE"}, frame)
    assert spec is not None
    assert spec.axes == ("barh", "country", "revenue", None)


@pytest.mark.parametrize(
    "raw",
    [
        {"kind": "bar", "x": "nation", "y": "revenue"},
        {"kind": "bar", "x": "country", "y": "profit"},
        {"kind": "line", "x": "month", "y": "revenue", "color": "channel"},
    ],
)
def test_validate_spec_rejects_unknown_columns(frame: pd.DataFrame, raw: dict[str, str]) -> None:
    assert validate_spec(raw, frame) is None


@pytest.mark.parametrize("kind", ["pie", "sankey", "", None, 3, "BAR CHART"])
def test_validate_spec_rejects_unknown_kinds(frame: pd.DataFrame, kind: object) -> None:
    assert validate_spec({"kind": kind, "x": "country", "y": "revenue"}, frame) is None


@pytest.mark.parametrize(
    "raw",
    [
        "A bar chart of revenue by country would work best.",
        "{'kind': 'bar'}",
        '["bar", "country", "revenue"]',
        "",
        '{"kind": "bar", "x": "country", "y": "revenue"' + " " * 5000 + "}",
    ],
)
def test_validate_spec_rejects_text_that_is_not_a_json_object(
    frame: pd.DataFrame, raw: str
) -> None:
    assert validate_spec(raw, frame) is None


@pytest.mark.parametrize(
    "raw",
    [
        "import plotly.express as px\nfig = px.bar(df, x='country', y='revenue')",
        '{"kind": "bar", "x": "__import__(\'os\').system(\'rm -rf /\')", "y": "revenue"}',
        '{"kind": "bar", "x": "country", "y": "revenue; DROP TABLE orders"}',
        '{"kind": "exec(open(\'/etc/passwd\').read())", "x": "country", "y": "revenue"}',
        {"kind": "bar", "x": ["country"], "y": "revenue"},
    ],
)
def test_validate_spec_rejects_code_injection(frame: pd.DataFrame, raw: object) -> None:
    assert validate_spec(raw, frame) is None  # type: ignore[arg-type]


def test_validate_spec_never_evaluates_anything(
    frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_eval, real_exec = builtins.eval, builtins.exec

    def guard(real: Callable[..., object]) -> Callable[..., object]:
        def refuse_text(source: object, *args: object) -> object:
            if isinstance(source, str) and PAYLOAD in source:
                raise AssertionError("model output was evaluated")
            return real(source, *args)

        return refuse_text

    monkeypatch.setattr(builtins, "eval", guard(real_eval))
    monkeypatch.setattr(builtins, "exec", guard(real_exec))
    raw = {"kind": "bar", "x": "country", "y": "revenue", "code": PAYLOAD, "title": PAYLOAD}
    spec = validate_spec(raw, frame)
    assert spec is not None and not hasattr(spec, "code")
    assert build_figure(frame, spec) is not None


@pytest.mark.parametrize(
    "raw",
    [
        {"kind": "line", "x": "country", "y": "revenue"},  # x is not time
        {"kind": "bar", "x": "country", "y": "month"},  # y is not a measure
        {"kind": "kpi", "y": "revenue"},  # three rows are not one number
        {"kind": "scatter", "x": "country", "y": "revenue"},  # x is not a measure
        {"kind": "donut", "x": "country", "y": "avg_price"},  # averages are not parts
        {"kind": "histogram", "x": "revenue", "y": "avg_price"},  # histograms have no y
        {"kind": "bar", "x": "revenue", "y": "revenue"},  # one column twice
        {"kind": "table", "x": "country"},  # tables have no axes
    ],
)
def test_validate_spec_rejects_specs_that_do_not_fit_the_frame(
    frame: pd.DataFrame, raw: dict[str, str]
) -> None:
    assert validate_spec(raw, frame) is None


def test_validate_spec_cleans_and_caps_the_title(frame: pd.DataFrame) -> None:
    raw = {"kind": "table", "title": "Rows\x00\n<b>" + "x" * 300, "reason": 42}
    spec = validate_spec(raw, frame)
    assert spec is not None
    assert spec.title.startswith("Rows <b>") and len(spec.title) == 120
    assert spec.reason == "Proposed by the model."


def test_chart_for_uses_a_proposal_that_holds_and_falls_back_otherwise(
    frame: pd.DataFrame,
) -> None:
    from backend.charts import chart_for, choose_chart

    proposal = '{"kind": "donut", "x": "country", "y": "revenue"}'
    assert chart_for(frame, proposal).kind == "donut"
    assert chart_for(frame, '{"kind": "bar", "x": "nope", "y": "revenue"}') == choose_chart(frame)
    assert chart_for(frame, "not json") == choose_chart(frame)
    assert chart_for(frame, None) == choose_chart(frame)
