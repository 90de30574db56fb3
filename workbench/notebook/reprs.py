"""Rich notebook representations: team and indicator records, sparklines, SPC summaries.

Everything here returns HTML built with `workbench.notebook.render` (every user string escaped) and
pure SVG (no JavaScript), so it shows the same in JupyterLab, in Voilà, and in exported HTML
read offline. Nothing here reads the store: `workbench.notebook.team_card` and
`workbench.notebook.extension` do, and hand rows to `Team.from_row` / `Indicator.from_row`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workbench.notebook.render import Fragment, esc

if TYPE_CHECKING:  # pragma: no cover
    from workbench.spc.qic import SPCResult

__all__ = [
    "CSS",
    "Indicator",
    "Team",
    "register_spc_html",
    "sparkline_svg",
    "spc_result_html",
    "unregister_spc_html",
]

#: Scoped styles of every representation here (class names start with `wb-`).
CSS = (
    "<style>"
    ".wb-card{font-family:system-ui,sans-serif;font-size:13px;max-width:60em}"
    ".wb-card h3{margin:.2em 0}.wb-card h4{margin:.8em 0 .3em}"
    ".wb-card table{border-collapse:collapse}"
    ".wb-card th,.wb-card td{padding:2px 8px;text-align:left;vertical-align:middle;"
    "border-bottom:1px solid #ddd}"
    ".wb-card td.wb-nw{white-space:nowrap}.wb-card .wb-muted{color:#666}"
    ".wb-card .wb-met{color:#1a7f37}.wb-card .wb-unmet{color:#b35900}"
    "</style>"
)

_SVG_NS = "http://www.w3.org/2000/svg"


def _clean(value: Any, default: Any = "") -> Any:
    """None / NaN / pandas NA -> `default`; everything else unchanged."""
    if value is None:
        return default
    try:
        if value != value:  # NaN, NA compare unequal to themselves
            return default
    except (TypeError, ValueError):  # pd.NA raises on bool()
        return default
    return value


def _number(value: Any) -> float | None:
    value = _clean(value, None)
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def _from_row(cls: type, row: Mapping[str, Any], numbers: Sequence[str] = ()) -> dict[str, Any]:
    """Keyword arguments of dataclass `cls` from a store row (extra keys are ignored)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in row:
            continue
        if f.name in numbers:
            out[f.name] = _number(row[f.name])
        else:
            value = _clean(row[f.name], f.default if f.default is not dataclasses.MISSING else "")
            out[f.name] = value if value is None else str(value)
    return out


def _rows(pairs: Sequence[tuple[str, Any]]) -> str:
    return "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in pairs)


@dataclass(frozen=True)
class Team:
    """One QI team of the collaborative (a row of the `teams` table)."""

    team_id: str
    name: str
    facility: str = ""
    district: str = ""
    region: str = ""
    wave_id: str | None = None
    coach: str = ""
    joined_period: str = ""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Team:
        """A `Team` from a `teams` row (a dict, or a pandas row via `.to_dict()`)."""
        return cls(**_from_row(cls, row))

    @property
    def label(self) -> str:
        """`T01 Kabale Hospital maternity`."""
        return f"{self.team_id} {self.name}".strip()

    def _repr_html_(self) -> str:
        pairs = [("Team", self.team_id), ("Name", self.name), ("Facility", self.facility),
                 ("District", self.district), ("Region", self.region),
                 ("Wave", self.wave_id), ("Coach", self.coach),
                 ("Reporting since", self.joined_period)]
        pairs = [(k, v) for k, v in pairs if v not in ("", None)]
        return (f'{CSS}<div class="wb-card wb-team"><h3>{esc(self.label)}</h3>'
                f"<table>{_rows(pairs)}</table></div>")


@dataclass(frozen=True)
class Indicator:
    """One measure of the collaborative (a row of the `indicators` table).

    `target` is on the value scale (0.9 = 90 %); `multiplier` turns values into the display
    scale (100 for percentages).
    """

    indicator_id: str
    name: str
    type: str = ""
    kind: str = ""
    numerator_definition: str = ""
    denominator_definition: str = ""
    target: float | None = None
    direction: str = "increase"
    chart: str = ""
    multiplier: float | None = 1.0
    unit: str = ""

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Indicator:
        """An `Indicator` from an `indicators` row."""
        return cls(**_from_row(cls, row, numbers=("target", "multiplier")))

    @property
    def scale(self) -> float:
        """Value -> display scale (the multiplier; 1 when unset)."""
        return self.multiplier or 1.0

    @property
    def percent(self) -> bool:
        return self.scale == 100

    def format(self, value: float | None) -> str:
        """`85.3%` for a percentage, else value × multiplier with its unit; `–` if missing."""
        value = _number(value)
        if value is None:
            return "–"
        if self.percent:
            return f"{value * 100:.1f}%"
        return f"{value * self.scale:,.1f}{' ' + self.unit if self.unit else ''}"

    @property
    def target_text(self) -> str:
        """`≥ 90.0%` (higher is better) or `≤ 3.0%` (lower is better); `–` without target."""
        if self.target is None:
            return "–"
        return f"{'≤' if self.direction == 'decrease' else '≥'} {self.format(self.target)}"

    def _repr_html_(self) -> str:
        better = "lower is better" if self.direction == "decrease" else "higher is better"
        pairs = [("Code", self.indicator_id), ("Type", f"{self.type} ({self.kind})"),
                 ("Numerator", self.numerator_definition),
                 ("Denominator", self.denominator_definition),
                 ("Target", f"{self.target_text} ({better})"), ("Chart", self.chart)]
        pairs = [(k, v) for k, v in pairs if v not in ("", None)]
        return (f'{CSS}<div class="wb-card wb-indicator"><h3>{esc(self.name)}</h3>'
                f"<table>{_rows(pairs)}</table></div>")


def sparkline_svg(values: Sequence[float | None], *, target: float | None = None,
                  width: int = 120, height: int = 28, label: str = "",
                  higher_is_better: bool = True) -> str:
    """A tiny inline SVG line of `values` (oldest first; None/NaN are gaps).

    The last point is a dot (green when on the better side of `target`, orange otherwise,
    grey without a target); `target` is a dashed line. The y range covers the values and the
    target. Pure SVG with a `<title>` (the escaped `label`) for hover text and screen readers.
    """
    ys = [_number(v) for v in values]
    known = [v for v in ys if v is not None]
    pad = 3.0
    label_xml = f"<title>{esc(label)}</title>" if label else ""
    head = (f'<svg xmlns="{_SVG_NS}" class="wb-sparkline" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(label)}">{label_xml}')
    if not known:
        return (f'{head}<text x="2" y="{height / 2 + 4:.0f}" font-size="10" fill="#999">'
                "no data</text></svg>")
    span = [*known, *([target] if target is not None else [])]
    lo, hi = min(span), max(span)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    step = (width - 2 * pad) / max(len(ys) - 1, 1)

    def x(i: int) -> float:
        return pad + i * step

    def y(v: float) -> float:
        return height - pad - (v - lo) / (hi - lo) * (height - 2 * pad)

    parts = [head]
    if target is not None:
        parts.append(f'<line x1="{pad:.1f}" x2="{width - pad:.1f}" y1="{y(target):.1f}" '
                     f'y2="{y(target):.1f}" stroke="#999" stroke-width="1" '
                     'stroke-dasharray="3,2"/>')
    segment: list[str] = []
    segments: list[list[str]] = []
    for i, v in enumerate(ys):
        if v is None:
            if segment:
                segments.append(segment)
            segment = []
        else:
            segment.append(f"{x(i):.1f},{y(v):.1f}")
    if segment:
        segments.append(segment)
    for seg in segments:
        if len(seg) == 1:
            cx, cy = seg[0].split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="1.2" fill="#1f77b4"/>')
        else:
            parts.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="#1f77b4" '
                         'stroke-width="1.5"/>')
    last_i = max(i for i, v in enumerate(ys) if v is not None)
    last = ys[last_i]
    assert last is not None
    colour = "#666"
    if target is not None:
        good = last >= target if higher_is_better else last <= target
        colour = "#1a7f37" if good else "#d9730d"
    parts.append(f'<circle cx="{x(last_i):.1f}" cy="{y(last):.1f}" r="2.5" fill="{colour}"/>')
    parts.append("</svg>")
    return "".join(parts)


def _int(value: Any) -> str:
    number = _number(value)
    return "–" if number is None else f"{number:.0f}"


def spc_result_html(result: SPCResult, max_rows: int = 50) -> str:
    """A compact summary of an `SPCResult`: one row per series and part.

    Columns: series, part, n_obs, longest run vs its maximum, crossings vs their minimum,
    runs signal, sigma signals (points beyond the limits).
    """
    summary = result.summary
    n_series = summary["series"].nunique(dropna=False) if len(summary) else 0
    head = (f"<p><b>SPC result</b>: {esc(result.chart)} chart, rules {esc(result.rules)}, "
            f"{n_series} series, {len(result.points)} points.</p>")
    if summary.empty:
        return Fragment(f'{CSS}<div class="wb-card wb-spc">{head}</div>')
    rows = []
    for r in summary.head(max_rows).itertuples(index=False):
        signal = "yes" if bool(_clean(r.runs_signal, False)) else "no"
        rows.append(
            f"<tr><td>{esc(_clean(r.series, '–'))}</td><td>{esc(r.part)}</td>"
            f"<td>{_int(r.n_obs)}</td>"
            f"<td>{_int(r.longest_run)} / {_int(r.longest_run_max)}</td>"
            f"<td>{_int(r.n_crossings)} / {_int(r.n_crossings_min)}</td>"
            f"<td>{signal}</td><td>{_int(r.sigma_signals)}</td></tr>")
    more = len(summary) - max_rows
    tail = (f'<p class="wb-muted">… and {more} more rows in <code>.summary</code>.</p>'
            if more > 0 else "")
    return Fragment(
        f'{CSS}<div class="wb-card wb-spc">{head}<table><thead><tr><th>Series</th>'
        "<th>Part</th><th>Points</th><th>Longest run / max</th><th>Crossings / min</th>"
        "<th>Runs signal</th><th>Sigma signals</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>{tail}</div>")


#: The class whose HTML `register_spc_html` provides, named so that registering it does not
#: import the analytics (IPython's `for_type_by_name`; workbench.spc builds no HTML itself).
SPC_RESULT_TYPE = ("workbench.spc.qic", "SPCResult")


def _html_formatter(ipython: Any | None) -> Any | None:
    if ipython is None:
        from IPython import get_ipython

        ipython = get_ipython()
    return None if ipython is None else ipython.display_formatter.formatters["text/html"]


def register_spc_html(ipython: Any | None = None) -> bool:
    """Show every `SPCResult` as `spc_result_html` in `ipython` (default: the running shell).

    Called by `%load_ext workbench` and by `workbench.charts.setup_notebook()`. Returns
    False outside IPython (nothing to register with).
    """
    formatter = _html_formatter(ipython)
    if formatter is None:
        return False
    formatter.for_type_by_name(*SPC_RESULT_TYPE, spc_result_html)
    return True


def unregister_spc_html(ipython: Any | None = None) -> None:
    """Forget the HTML of `SPCResult` (called by `%unload_ext workbench`)."""
    formatter = _html_formatter(ipython)
    if formatter is not None:
        formatter.pop(".".join(SPC_RESULT_TYPE), None)
