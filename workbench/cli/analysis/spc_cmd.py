"""`workbench spc`: run and control charts of a CSV file (a thin layer over workbench.spc)."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import click
import numpy as np
import pandas as pd

from workbench.cli.options import json_option
from workbench.errors import Message, SPCInputError, WorkbenchError
from workbench.i18n import N_
from workbench.i18n import gettext as _
from workbench.spc.qic import CHARTS, RULE_SETS, qic
from workbench.spc.subgroups import AGG_FUNS, X_PERIODS

__all__ = ["spc", "read_spc_csv"]

_MONTH = re.compile(r"^\d{4}-\d{2}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_POINT_FIELDS = ["x", "y", "n", "cl", "lcl", "ucl", "lcl_95", "ucl_95", "part", "baseline",
                 "include", "sigma_signal", "runs_signal"]
_SUMMARY_FIELDS = ["part", "n_obs", "n_useful", "longest_run", "longest_run_max", "n_crossings",
                   "n_crossings_min", "runs_signal", "lcl", "cl", "ucl", "sigma_signals"]


def _read_chart_csv(path: Path) -> pd.DataFrame:
    """The file's cells as text; a file that is empty, not UTF-8 text or not CSV is an
    `SPCInputError` saying how to fix it."""
    save = Message(N_("save it as 'CSV UTF-8' (Excel) or UTF-8 and try again"))
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SPCInputError(N_("{name}: the file is UTF-16 text, not UTF-8; {save}."),
                            params={"name": path.name, "save": save})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SPCInputError(N_("{name}: the file is not UTF-8 text (byte 0x{byte:02x} on line "
                               "{line}); {save}."),
                            params={"name": path.name, "byte": data[exc.start], "line": line,
                                    "save": save},
                            row=line) from exc
    if "\x00" in text or not text.strip():
        what = (Message(N_("empty")) if not text.strip()
                else Message(N_("not text (it holds NUL bytes)")))
        raise SPCInputError(N_("{name}: the file is {what}; give a CSV file with a header naming "
                               "x and y."),
                            params={"name": path.name, "what": what})
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                           skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        problem = " ".join(str(exc).split())[:120]
        raise SPCInputError(N_("{name}: not a readable CSV file ({problem}); check the quotes "
                               "and the number of cells on each line."),
                            params={"name": path.name, "problem": problem}) from exc


def read_spc_csv(path: Path) -> tuple[pd.DataFrame, str]:
    """Read a chart CSV: columns series (optional), x, y, n (optional).

    x is a month (YYYY-MM), a date (YYYY-MM-DD), a number or a category. Returns the frame,
    with x converted, and the x format ("month", "date", "number" or "category").
    """
    frame = _read_chart_csv(path)
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in ("x", "y"):
        if column not in frame.columns:
            raise SPCInputError(N_("{name}: column {column!r} is missing; the header must name x "
                                   "and y (and n for p, pp, u and up charts, series for several "
                                   "series)."),
                                params={"name": path.name, "column": column}, column=column)
    x = frame["x"].str.strip()
    empty = np.flatnonzero((x == "").to_numpy())
    if len(empty):
        row = int(empty[0]) + 2
        raise SPCInputError(N_("row {row}, column 'x': empty; every row needs an x (a month "
                               "YYYY-MM, a date YYYY-MM-DD, a number or a label)."),
                            params={"row": row}, row=row, column="x")
    kind: str
    values: pd.Series
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
        raise SPCInputError(N_("row {row}, column 'x': {value!r} is not a valid date."),
                            params={"row": i + 2, "value": x.iloc[i]}, row=i + 2, column="x")
    frame["x"] = values
    return frame, kind


def _positions(value: str | None, option: str) -> list[int] | None:
    if value is None:
        return None
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(_("{value!r}: give point positions separated by "
                                   "commas, e.g. 12,24.").format(
                                   value=value), param_hint=option) from None


def _format_x(values: pd.Series, kind: str) -> pd.Series:
    """x as the file wrote it: months as YYYY-MM, dates as YYYY-MM-DD (vectorised)."""
    if kind == "month":
        return cast(pd.Series, values.dt.strftime("%Y-%m"))
    if kind == "date":
        return cast(pd.Series, values.dt.strftime("%Y-%m-%d"))
    return values


# --------------------------------------------------------------------------------------------
# JSON, serialised once for the whole result: every column becomes a list of JSON literals
# with a few vectorised passes, and the text is laid out exactly as `echo_json` (indent 2).


def _literal(value: object) -> str:
    """One JSON literal, as `echo_json` writes it (NaN and other non-finite numbers: null)."""
    if value is None or value is pd.NA:
        return "null"
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return repr(float(value)) if math.isfinite(value) else "null"
    if isinstance(value, str):
        return json.dumps(value)
    return json.dumps(str(value))


def _literals(column: pd.Series) -> list[str]:
    """The JSON literal of every value of `column`."""
    dtype = column.dtype
    if dtype == np.bool_:
        return cast("list[str]", np.where(column.to_numpy(), "true", "false").tolist())
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return [str(v) for v in column.tolist()]
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        values = column.to_numpy()
        finite = np.isfinite(values)
        if not finite.any():
            return ["null"] * len(values)
        return [repr(v) if ok else "null" for v, ok in zip(values.tolist(), finite.tolist(),
                                                            strict=True)]
    return [_literal(v) for v in column.astype(object).tolist()]


def _objects(frame: pd.DataFrame, fields: list[str], indent: int) -> list[str]:
    """Each row of `frame` as a JSON object laid out at `indent` spaces, as json.dumps does."""
    pad, inner = " " * indent, " " * (indent + 2)
    keys = [json.dumps(f).replace("%", "%%") for f in fields]
    template = pad + "{\n" + ",\n".join(f"{inner}{k}: %s" for k in keys) + "\n" + pad + "}"
    columns = [_literals(frame[f]) for f in fields]
    return [template % row for row in zip(*columns, strict=True)]


def _array(items: list[str], indent: int) -> str:
    if not items:
        return "[]"
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def _bounds(labels: pd.Series) -> list[tuple[int, int]]:
    """Start and end row of each series in `labels` (rows of a series are contiguous)."""
    codes, _ = pd.factorize(labels, use_na_sentinel=False)
    starts: np.ndarray | list[int] = (np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
                                      if len(codes) else [])
    edges = [*map(int, starts), len(codes)]
    return list(zip(edges[:-1], edges[1:], strict=True))


def spc_json(points: pd.DataFrame, summary: pd.DataFrame, chart: str, rules: str,
             point_fields: list[str] | None, summary_fields: list[str]) -> str:
    """The `--json` text: {"series": [{series, chart, rules, points, summary}, …]}.

    `point_fields=None` leaves the points out (`--summary-only`). The layout is that of
    `echo_json` (json.dumps, indent 2), built column by column instead of value by value.
    """
    point_rows = _objects(points, point_fields, 8) if point_fields is not None else []
    summary_rows = _objects(summary, summary_fields, 8)
    head = f'      "chart": {json.dumps(chart)},\n      "rules": {json.dumps(rules)},\n'
    entries = []
    summary_bounds = _bounds(summary["series"])
    point_bounds = _bounds(points["series"]) if point_fields is not None else summary_bounds
    for (p0, p1), (s0, s1) in zip(point_bounds, summary_bounds, strict=True):
        key = _literal(summary["series"].iat[s0])
        body = f'    {{\n      "series": {key},\n{head}'
        if point_fields is not None:
            body += f'      "points": {_array(point_rows[p0:p1], 6)},\n'
        entries.append(body + f'      "summary": {_array(summary_rows[s0:s1], 6)}\n    }}')
    return '{\n  "series": ' + _array(entries, 2) + "\n}"


def _by_series(values: tuple[str, ...], option: str,
               parse: Callable[[str], Any]) -> Any | dict[str, Any] | None:
    """One value for every series (`V`), or one per series (`SERIES=V`, repeatable)."""
    if not values:
        return None
    named = [v.rpartition("=") for v in values]
    try:
        if all(sep for _, sep, _ in named):
            return {key: parse(value) for key, _, value in named}
        if len(values) == 1 and "=" not in values[0]:
            return parse(values[0])
    except ValueError as exc:
        raise click.BadParameter(f"{exc}", param_hint=option) from None
    raise click.BadParameter(_("give one value for every series, or SERIES=VALUE for "
                               "each series (the option may be repeated)."), param_hint=option)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number.") from None


def _dates(text: str) -> list[pd.Timestamp]:
    out = []
    for item in (v.strip() for v in text.split(",") if v.strip()):
        if not (_MONTH.match(item) or _DAY.match(item)):
            raise ValueError(f"{item!r} is not a date; write YYYY-MM or YYYY-MM-DD, "
                             "e.g. 2024-07.")
        out.append(pd.Timestamp(item))
    return out


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--chart", type=click.Choice(CHARTS), default="run", show_default=True,
              help="Chart type.")
@click.option("--freeze", type=int, metavar="K",
              help="Compute the centre line and limits from points 1..K (ignored with parts; "
                   "with --rules nhs also the NHS fix_after_n_points, K >= 12, in every part).")
@click.option("--part", "part", metavar="K,K…", help="Start a new part after these points.")
@click.option("--part-column", metavar="NAME", help="Start a new part where this column changes.")
@click.option("--rebase", multiple=True, metavar="[SERIES=]DATE,…",
              help="Start a new part at the point of each date (YYYY-MM or YYYY-MM-DD), for "
                   "every series or, as SERIES=DATE,…, for one (repeatable).")
@click.option("--exclude", metavar="K,K…", help="Leave these points out of the calculations.")
@click.option("--agg-fun", type=click.Choice(list(AGG_FUNS)), default="mean", show_default=True,
              help="How the rows of one subgroup make its y when there is no n.")
@click.option("--x-period", type=click.Choice(list(X_PERIODS)),
              help="Aggregate dates into days, weeks (from Monday), months, quarters or years.")
@click.option("--cl", type=float, metavar="VALUE",
              help="A fixed centre line, in the units of y before --multiply; the limits are "
                   "built around it.")
@click.option("--multiply", type=float, default=1, show_default=True,
              help="Multiply y and the lines, e.g. 100 for percentages.")
@click.option("--y-neg/--no-y-neg", default=True, show_default=True,
              help="--no-y-neg: cut negative lower limits at 0 when no y is negative.")
@click.option("--screen-mr/--no-screen-mr", default=True, show_default=True,
              help="Screen moving ranges >= 3.267·AMR (qicharts2 attached).")
@click.option("--rules", type=click.Choice(list(RULE_SETS)), default="anhoej",
              show_default=True,
              help="Rule set reported besides the Anhøj rules: ihi (IHI run-chart rules, "
                   "runs limits from the published table), ihi-exact (runs limits from the "
                   "exact runs distribution) or nhs (NHS Making Data Count).")
@click.option("--target", multiple=True, metavar="[SERIES=]VALUE",
              help="Target in plotted units (after --multiply), for every series or, as "
                   "SERIES=VALUE, for one (repeatable); NHS assurance icon.")
@click.option("--trajectory", metavar="NAME",
              help="A column of the file with the planned trajectory, carried to the points.")
@click.option("--direction", type=click.Choice(["increase", "decrease", "neutral"]),
              help="Which way is improvement (NHS rules; default increase).")
@click.option("--summary-only", is_flag=True,
              help="Print only the summary of each series and part, not its points.")
@json_option
def spc(file: Path, **options: Any) -> None:
    """Run or control chart of every series in a CSV file.

    FILE has a header with x, y and optionally n and series. x is a month (YYYY-MM), a date
    (YYYY-MM-DD), a number or a category; y is the value or numerator; n the denominator
    (needed by p, pp, u and up; when given, every chart plots y/n). Rows with the same series
    and x form one subgroup. An empty y or n cell is a missing value (a gap).

    Positions (--freeze, --part, --exclude) count the points of each series from 1, after
    sorting by x. Rows in error messages are numbered as in the file: the header is row 1, so
    the first data row is row 2. The options follow qicharts2 0.8.1 (cl, target, y.neg,
    agg.fun, x.period) and NHSRplotthedots 0.2.2 (rebase, fix_after_n_points, targets per
    series, trajectory).

    Example: workbench spc infections.csv --chart u --multiply 1000 --freeze 12 --json

    Example: workbench spc waits.csv --chart i --rules nhs --direction decrease --freeze 12
    --rebase 2024-07 --target A=30 --target B=45 --summary-only
    """
    try:
        _run(file, options)
    except WorkbenchError as exc:  # also when run outside the `workbench` group
        raise click.ClickException(str(exc)) from exc


def _run(file: Path, options: dict[str, Any]) -> None:
    frame, kind = read_spc_csv(file)
    chart = options["chart"]
    result = qic(
        frame, chart, x="x", y="y", n="n" if "n" in frame.columns else None,
        series="series" if "series" in frame.columns else None,
        freeze=options["freeze"], part=_positions(options["part"], "--part"),
        part_column=options["part_column"],
        rebase=_by_series(options["rebase"], "--rebase", _dates),
        exclude=_positions(options["exclude"], "--exclude"), multiply=options["multiply"],
        screen_mr=options["screen_mr"], rules=options["rules"], cl=options["cl"],
        target=_by_series(options["target"], "--target", _number),
        trajectory=options["trajectory"], y_neg=options["y_neg"],
        agg_fun=options["agg_fun"], x_period=options["x_period"],
        direction=options["direction"], x_categorical=True if kind == "category" else None)
    points = result.points.assign(x=_format_x(result.points["x"], kind))
    base_cols = set(_POINT_FIELDS) | {"series", "xx"}
    rule_point_fields = [c for c in points.columns if c not in base_cols]
    rule_summary_fields = [c for c in result.summary.columns if c.startswith(("ihi_", "nhs_"))]
    if options["as_json"]:
        fields = None if options["summary_only"] else _POINT_FIELDS + rule_point_fields
        click.echo(spc_json(points, result.summary, chart, result.rules, fields,
                            _SUMMARY_FIELDS + rule_summary_fields))
        return
    _print_table(points, result.summary, chart, result.rules, options["summary_only"])


def _cells(column: pd.Series) -> list[str]:
    """The text of every value of `column` in the table: numbers to 4 digits, '-' if missing."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind == "f":
        return ["-" if v != v else f"{v:.4g}" for v in column.tolist()]
    return ["-" if v is None or v is pd.NA or v != v else str(v)
            for v in column.astype(object).tolist()]


def _table_rows(table: pd.DataFrame) -> tuple[str, list[str]]:
    """A header line and one line per row, columns right-aligned to one width each."""
    columns = [_cells(table[c]) for c in table.columns]
    widths = [max([len(str(name)), *map(len, cells)])
              for name, cells in zip(table.columns, columns, strict=True)]
    header = " ".join(str(name).rjust(w) for name, w in zip(table.columns, widths, strict=True))
    rows = [" ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True))
            for row in zip(*columns, strict=True)]
    return header, rows


def _part_lines(summary: pd.DataFrame) -> list[str]:
    columns = ["part", "n_obs", "n_useful", "longest_run", "longest_run_max", "n_crossings",
               "n_crossings_min", "runs_signal", "sigma_signals"]
    values = zip(*(_cells(summary[c]) for c in columns), strict=True)
    return [f"part {part}: {n_obs} points, {useful} useful, longest run {longest} (max "
            f"{longest_max}), crossings {crossings} (min {crossings_min}), runs signal "
            f"{'yes' if signal == 'True' else 'no'}, {sigma} outside the limits"
            for part, n_obs, useful, longest, longest_max, crossings, crossings_min, signal,
            sigma in values]


def _print_table(points: pd.DataFrame, summary: pd.DataFrame, chart: str, rules: str,
                 summary_only: bool) -> None:
    """A table of points and a line per part, per series; formatted column by column for
    the whole result, then cut into series."""
    shown = ["x", "y", "cl", "lcl", "ucl", "part", "include", "sigma_signal", "runs_signal"]
    flags = [c for c in points.columns if c.endswith(("_shift", "_trend", "_runs",
                                                      "_astronomical", "_special_cause"))]
    header, rows = ("", []) if summary_only else _table_rows(points[shown + flags])
    parts = _part_lines(summary)
    point_bounds = [(0, 0)] * len(summary) if summary_only else _bounds(points["series"])
    lines: list[str] = []
    for (p0, p1), (s0, s1) in zip(point_bounds, _bounds(summary["series"]), strict=True):
        key: object = summary["series"].iat[s0]
        lines.append(f"{chart.upper()} chart" + ("" if key is None else f" — {key}")
                     + f"  (rules: {rules})")
        if not summary_only:
            lines += [header, *rows[p0:p1]]
        lines += [*parts[s0:s1], ""]
    click.echo("\n".join(lines))
