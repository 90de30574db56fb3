"""`workbench spc`: run and control charts of a CSV file (a thin layer over workbench.spc)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import numpy as np
import pandas as pd

from workbench.cli.options import echo_json, json_option
from workbench.errors import SPCInputError, WorkbenchError

__all__ = ["spc", "read_spc_csv"]

_MONTH = re.compile(r"^\d{4}-\d{2}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CHARTS = ["run", "i", "mr", "c", "u", "p", "pp", "up", "g", "t", "xbar", "s"]
_POINT_FIELDS = ["x", "y", "n", "cl", "lcl", "ucl", "lcl_95", "ucl_95", "part", "baseline",
                 "include", "sigma_signal", "runs_signal"]
_SUMMARY_FIELDS = ["part", "n_obs", "n_useful", "longest_run", "longest_run_max", "n_crossings",
                   "n_crossings_min", "runs_signal", "lcl", "cl", "ucl", "sigma_signals"]


def read_spc_csv(path: Path) -> tuple[pd.DataFrame, str]:
    """Read a chart CSV: columns series (optional), x, y, n (optional).

    x is a month (YYYY-MM), a date (YYYY-MM-DD), a number or a category. Returns the frame,
    with x converted, and the x format ("month", "date", "number" or "category").
    """
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in ("x", "y"):
        if column not in frame.columns:
            raise SPCInputError(
                f"{path.name}: column {column!r} is missing; the header must name x and y "
                "(and n for p, pp, u and up charts, series for several series).",
                column=column)
    x = frame["x"].str.strip()
    empty = np.flatnonzero((x == "").to_numpy())
    if len(empty):
        row = int(empty[0]) + 2
        raise SPCInputError(f"row {row}, column 'x': empty; every row needs an x "
                            "(a month YYYY-MM, a date YYYY-MM-DD, a number or a label).",
                            row=row, column="x")
    if len(x) and x.str.match(_MONTH).all():
        kind, values = "month", pd.to_datetime(x + "-01", format="%Y-%m-%d", errors="coerce")
    elif len(x) and x.str.match(_DAY).all():
        kind, values = "date", pd.to_datetime(x, format="%Y-%m-%d", errors="coerce")
    else:
        numbers = pd.to_numeric(x, errors="coerce")
        if len(x) and numbers.notna().all():
            kind, values = "number", numbers
        else:
            kind, values = "category", x
    if kind in ("month", "date") and values.isna().any():
        i = int(np.flatnonzero(values.isna().to_numpy())[0])
        raise SPCInputError(f"row {i + 2}, column 'x': {x.iloc[i]!r} is not a valid date.",
                            row=i + 2, column="x")
    frame["x"] = values
    return frame, kind


def _positions(value: str | None, option: str) -> list[int] | None:
    if value is None:
        return None
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"{value!r}: give point positions separated by commas, "
                                 "e.g. 12,24.", param_hint=option) from None


def _format_x(value: object, kind: str) -> object:
    if kind == "month":
        return value.strftime("%Y-%m")  # type: ignore[attr-defined]
    if kind == "date":
        return value.strftime("%Y-%m-%d")  # type: ignore[attr-defined]
    return value


def _records(frame: pd.DataFrame, fields: list[str]) -> list[dict]:
    out = frame[fields].astype(object).where(frame[fields].notna(), None)
    return out.to_dict(orient="records")


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--chart", type=click.Choice(_CHARTS), default="run", show_default=True,
              help="Chart type.")
@click.option("--freeze", type=int, metavar="K",
              help="Compute the centre line and limits from points 1..K (ignored with --part).")
@click.option("--part", "part", metavar="K,K…", help="Start a new part after these points.")
@click.option("--part-column", metavar="NAME", help="Start a new part where this column changes.")
@click.option("--exclude", metavar="K,K…", help="Leave these points out of the calculations.")
@click.option("--multiply", type=float, default=1, show_default=True,
              help="Multiply y and the lines, e.g. 100 for percentages.")
@click.option("--screen-mr/--no-screen-mr", default=True, show_default=True,
              help="Screen moving ranges >= 3.267·AMR (qicharts2 attached).")
@click.option("--rules", type=click.Choice(["anhoej", "ihi", "nhs"]), default="anhoej",
              show_default=True, help="Rule set reported besides the Anhøj rules.")
@click.option("--target", type=float, help="Target value (NHS assurance icon).")
@click.option("--direction", type=click.Choice(["increase", "decrease", "neutral"]),
              help="Which way is improvement (NHS rules; default increase).")
@json_option
def spc(file: Path, chart: str, freeze: int | None, part: str | None, part_column: str | None,
        exclude: str | None, multiply: float, screen_mr: bool, rules: str, target: float | None,
        direction: str | None, as_json: bool) -> None:
    """Run or control chart of every series in a CSV file.

    FILE has a header with x, y and optionally n and series. x is a month (YYYY-MM), a date
    (YYYY-MM-DD), a number or a category; y is the value or numerator; n the denominator
    (needed by p, pp, u and up; when given, every chart plots y/n). Rows with the same series
    and x form one subgroup. An empty y or n cell is a missing value (a gap).

    Positions (--freeze, --part, --exclude) count the points of each series from 1, after
    sorting by x. Rows in error messages are numbered as in the file: the header is row 1, so
    the first data row is row 2.

    Example: workbench spc infections.csv --chart u --multiply 1000 --freeze 12 --json
    """
    try:
        _run(file, chart, freeze, part, part_column, exclude, multiply, screen_mr, rules,
             target, direction, as_json)
    except WorkbenchError as exc:  # also when run outside the `workbench` group
        raise click.ClickException(str(exc)) from exc


def _run(file: Path, chart: str, freeze: int | None, part: str | None, part_column: str | None,
         exclude: str | None, multiply: float, screen_mr: bool, rules: str,
         target: float | None, direction: str | None, as_json: bool) -> None:
    from workbench.spc.qic import qic

    frame, kind = read_spc_csv(file)
    has_n = "n" in frame.columns
    result = qic(
        frame, chart, x="x", y="y", n="n" if has_n else None,
        series="series" if "series" in frame.columns else None,
        freeze=freeze, part=_positions(part, "--part"), part_column=part_column,
        exclude=_positions(exclude, "--exclude"), multiply=multiply, screen_mr=screen_mr,
        rules=rules, target=target, direction=direction,
        x_categorical=True if kind == "category" else None)
    points = result.points.copy()
    points["x"] = [_format_x(v, kind) for v in points["x"]]
    base_cols = set(_POINT_FIELDS) | {"series", "xx"}
    rule_point_fields = [c for c in points.columns if c not in base_cols]
    rule_summary_fields = [c for c in result.summary.columns if c.startswith(("ihi_", "nhs_"))]
    if as_json:
        payload = {"series": []}
        for key in pd.unique(points["series"]):
            mine = points["series"].isna() if key is None else points["series"] == key
            summary_mine = (result.summary["series"].isna() if key is None
                            else result.summary["series"] == key)
            payload["series"].append({
                "series": key, "chart": chart, "rules": result.rules,
                "points": _records(points[mine], _POINT_FIELDS + rule_point_fields),
                "summary": _records(result.summary[summary_mine],
                                    _SUMMARY_FIELDS + rule_summary_fields),
            })
        echo_json(payload)
        return
    _print_table(points, result.summary, chart, result.rules)


def _print_table(points: pd.DataFrame, summary: pd.DataFrame, chart: str, rules: str) -> None:
    shown = ["x", "y", "cl", "lcl", "ucl", "part", "include", "sigma_signal", "runs_signal"]
    flags = [c for c in points.columns if c.endswith(("_shift", "_trend", "_runs",
                                                      "_astronomical", "_special_cause"))]
    for key in pd.unique(points["series"]):
        mine = points["series"].isna() if key is None else points["series"] == key
        title = f"{chart.upper()} chart" + ("" if key is None else f" — {key}")
        click.echo(f"{title}  (rules: {rules})")
        click.echo(points.loc[mine, shown + flags].to_string(index=False, na_rep="-",
                                                              float_format=lambda v: f"{v:.4g}"))
        rows = summary[summary["series"].isna() if key is None else summary["series"] == key]
        for row in rows.itertuples():
            click.echo(
                f"part {row.part}: {row.n_obs} points, {row.n_useful} useful, longest run "
                f"{row.longest_run} (max {row.longest_run_max}), crossings {row.n_crossings} "
                f"(min {row.n_crossings_min}), runs signal {'yes' if row.runs_signal else 'no'}, "
                f"{row.sigma_signals} outside the limits")
        click.echo("")
