"""Reading the collaborative's other records as pandas frames.

Indicators and change ideas come in the reader's language (`workbench.i18n`): their texts
are replaced by the translations the collaborative's definition gives
(`settings.translations`), the English text where it gives none."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import pandas as pd
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    select,
)

from workbench import i18n
from workbench.errors import NotFoundError
from workbench.i18n import N_
from workbench.store import schema as s
from workbench.store.by_column import table_frame
from workbench.store.measurements import _conn

__all__ = [
    "CHART_CYCLE_COLUMNS",
    "ROLLUP_ASSESSMENT_COLUMNS",
    "read_table",
    "read_collaborative",
    "read_teams",
    "read_indicators",
    "read_waves",
    "read_change_ideas",
    "read_pdsa_cycles",
    "read_visits",
    "read_recounts",
    "read_assessments",
    "read_flags",
    "read_flag_events",
    "get_team",
    "get_indicator",
]


def read_table(bind: Engine | Connection, table: Table, order_by: str | None = None, *,
               columns: Sequence[str] | None = None, by_column: bool = False,
               **equals: Any) -> pd.DataFrame:
    """All rows of `table` where each given column equals its value (None values are ignored);
    only the `columns` named (all of them by default: a JSON column costs a decoding per row).
    `by_column`: a whole SQLite table (no `equals`) ordered by a key of it is read column by
    column (`by_column.table_frame`: the same frame without a Python tuple per row: at 2,000
    teams 48,000 PDSA cycles' chart columns in 0.40 -> 0.27 s CPU, 92,000 assessments 0.37 ->
    0.28, `benchmarks/bench_store_reads.py` at load 7; not for tables of long texts, JSON or
    reals that seldom repeat, nor a team's few rows, where the row read is as fast or
    faster)."""
    selected = [table.c[name] for name in columns] if columns else list(table.c)
    conditions = [table.c[column] == value for column, value in equals.items()
                  if value is not None]
    order = [table.c[name] for name in order_by.split(",")] if order_by else []
    with _conn(bind) as conn:
        if by_column and not conditions and _orders_rows(table, order):
            frame = table_frame(conn, selected, conditions, order)
            if frame is not None:
                return frame
        query = select(*selected).where(*conditions).order_by(*order)
        # plain tuples: mappings cost seconds at 100,000s of rows
        rows = [tuple(row) for row in conn.execute(query)]
    return pd.DataFrame(rows, columns=[column.key for column in selected])


def _orders_rows(table: Table, order: Sequence[Column[Any]]) -> bool:
    """Whether ordering by `order` leaves no ties: it holds a key of `table` (its primary
    key, a unique constraint or a unique column)."""
    names = {column.key for column in order}
    keys = [{c.key for c in constraint.columns} for constraint in table.constraints
            if isinstance(constraint, (PrimaryKeyConstraint, UniqueConstraint))]
    keys += [{column.key} for column in table.c if column.unique]
    return any(key and key <= names for key in keys)


def read_collaborative(bind: Engine | Connection) -> dict[str, Any]:
    """The collaborative's row as a dict (name, topic, aims, settings …)."""
    frame = read_table(bind, s.collaborative)
    if frame.empty:
        raise NotFoundError(N_("the database holds no collaborative yet; run `workbench "
                               "init`."))
    return cast("dict[str, Any]", frame.iloc[0].to_dict())


def read_teams(bind: Engine | Connection, **equals: Any) -> pd.DataFrame:
    """Teams with wave and join period, ordered by team_id."""
    return read_table(bind, s.teams, order_by="team_id", **equals)


def _translated(bind: Engine | Connection, frame: pd.DataFrame, table: str,
                key: str) -> pd.DataFrame:
    """`frame` with its texts in the current language (none to read in English)."""
    if i18n.current_language() == i18n.SOURCE_LANGUAGE or frame.empty:
        return frame
    with _conn(bind) as conn:
        row = conn.execute(select(s.collaborative.c.settings)).first()
    translations = ((row[0] or {}).get("translations") or {}).get(table) if row else None
    if not translations:
        return frame
    records = i18n.localized_records(cast("list[dict[str, Any]]", frame.to_dict("records")),
                                     translations, key,
                                     [c for c in frame.columns if c != key])
    return pd.DataFrame(records, columns=frame.columns, index=frame.index).astype(
        frame.dtypes.to_dict())


def read_indicators(bind: Engine | Connection) -> pd.DataFrame:
    """Indicators in display order (names and definitions in the reader's language)."""
    frame = read_table(bind, s.indicators, order_by="sort_order,indicator_id")
    return _translated(bind, frame, "indicators", "indicator_id")


def read_waves(bind: Engine | Connection) -> pd.DataFrame:
    return read_table(bind, s.waves, order_by="start_period,wave_id")


def read_change_ideas(bind: Engine | Connection) -> pd.DataFrame:
    """The change package and the teams' innovations (texts in the reader's language)."""
    frame = read_table(bind, s.change_ideas, order_by="change_id")
    return _translated(bind, frame, "change_ideas", "change_id")


#: The columns of the PDSA cycles the charts and roll-ups read (`read_pdsa_cycles(columns=…)`):
#: events, adoption phases, changes before a gain, "as of" views.
CHART_CYCLE_COLUMNS = ("cycle_id", "team_id", "change_id", "cycle_number", "title",
                       "linked_indicators", "act_decision", "start_date", "end_date", "status",
                       "created_at")


def read_pdsa_cycles(bind: Engine | Connection, team_id: str | None = None, *,
                     columns: Sequence[str] | None = None) -> pd.DataFrame:
    """PDSA cycles by team, change and number; only `columns` when given
    (`CHART_CYCLE_COLUMNS`: what a chart needs, without the plan's and study's texts)."""
    return read_table(bind, s.pdsa_cycles, order_by="team_id,change_id,cycle_number",
                      columns=columns, team_id=team_id, by_column=columns is not None)


def read_visits(bind: Engine | Connection, team_id: str | None = None) -> pd.DataFrame:
    return read_table(bind, s.coaching_visits, order_by="visit_date,visit_id", team_id=team_id)


def read_recounts(bind: Engine | Connection, team_id: str | None = None) -> pd.DataFrame:
    return read_table(bind, s.verification_recounts, order_by="recount_id", team_id=team_id)


#: The columns of the assessments the roll-ups read (`read_assessments(columns=…)`): each
#: team's score of a month by assessor type, in entry order, and when it was entered ("as of"
#: views), without the assessor's name, the justification and the visit.
ROLLUP_ASSESSMENT_COLUMNS = ("assessment_id", "team_id", "period", "score", "assessor_type",
                             "created_at")


def read_assessments(bind: Engine | Connection, team_id: str | None = None, *,
                     columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Assessments by month, in entry order; only `columns` when given
    (`ROLLUP_ASSESSMENT_COLUMNS`: what the roll-ups read)."""
    return read_table(bind, s.assessments, order_by="period,assessment_id", team_id=team_id,
                      columns=columns, by_column=True)


def read_flags(bind: Engine | Connection, status: str | None = None,
               team_id: str | None = None) -> pd.DataFrame:
    return read_table(bind, s.flags, order_by="flag_id", status=status, team_id=team_id)


def read_flag_events(bind: Engine | Connection, flag_id: int | None = None) -> pd.DataFrame:
    return read_table(bind, s.flag_events, order_by="event_id", flag_id=flag_id)


def _get(bind: Engine | Connection, table: Table, key: str, value: str,
         message: str) -> dict[str, Any]:
    equals: dict[str, Any] = {key: value}
    frame = read_table(bind, table, **equals)
    if frame.empty:
        raise NotFoundError(message, params={"value": value})
    return cast("dict[str, Any]", frame.iloc[0].to_dict())


def get_team(bind: Engine | Connection, team_id: str) -> dict[str, Any]:
    return _get(bind, s.teams, "team_id", team_id,
                N_("unknown team {value!r}. List teams with `workbench status --db URL --json` "
                   "or check the code."))


def get_indicator(bind: Engine | Connection, indicator_id: str) -> dict[str, Any]:
    return _get(bind, s.indicators, "indicator_id", indicator_id,
                N_("unknown indicator {value!r}. Indicator codes are defined in the "
                   "collaborative's YAML."))
