"""`workbench practices`: which change ideas are associated with improvement (a thin layer
over workbench.learning)."""

from __future__ import annotations

from typing import cast

import click

from workbench.cli.options import db_option, echo_json, json_option, period_option
from workbench.i18n import gettext as _

__all__ = ["practices"]

_FIELDS = ["change_id", "change_name", "indicator_id", "teams_tested", "teams_adopted",
           "teams_adapted", "teams_abandoned", "median_cycles_to_decision",
           "median_months_to_adoption", "teams_with_data", "teams_shifted", "controls",
           "controls_shifted", "effect_pp", "ci_low_pp", "ci_high_pp", "grade", "words"]


@click.command()
@db_option
@click.option("--indicator", "indicator_id", metavar="CODE",
              help="Only the change ideas linked to this indicator, e.g. AMTSL.")
@period_option
@json_option
def practices(db: str, indicator_id: str | None, period: str | None, as_json: bool) -> None:
    """Change ideas ranked by their evidence per indicator, from PDSA cycles and data.

    For each change idea × indicator: teams that tested, adopted, adapted, abandoned it; the
    shift of adopting teams' indicator after adoption against non-adopters over the same
    months (pooled, in points, positive = better, with an interval of 95 %); and a grade —
    strong, promising, no effect seen, insufficient. An association in observational data,
    not proof of cause. --period YYYY-MM: as a synthesis meeting at the end of that month saw
    it (measurements up to then, PDSA decisions taken by then), like the synthesis pack
    (workbench report --notebook synthesis).

    Example: workbench practices --db workbench.db --indicator AMTSL --json
    """
    import pandas as pd

    from workbench.learning import practice_evidence
    from workbench.learning.synthesis import known_by
    from workbench.store import (
        collaborative_indicators,
        get_indicator,
        open_engine,
        read_change_ideas,
        read_collaborative_measurements,
        read_pdsa_cycles,
    )

    engine = open_engine(db)
    if indicator_id is not None:
        get_indicator(engine, indicator_id)  # an unknown code is an error, not an empty table
    measurements, cycles = known_by(read_collaborative_measurements(engine),
                                    read_pdsa_cycles(engine),
                                    pd.Period(period, freq="M") if period else None)
    evidence = practice_evidence(measurements, collaborative_indicators(engine), cycles,
                                 read_change_ideas(engine))
    table = evidence.practices
    if indicator_id is not None:
        table = table[table["indicator_id"] == indicator_id]
    if as_json:
        echo_json(table[_FIELDS].to_dict("records"))
        return
    if table.empty:
        click.echo(_("No change idea has been tested yet."))
        return
    for indicator, rows in table.groupby("indicator_id", sort=True):
        click.echo(f"{indicator}")
        for row in rows.itertuples(index=False):
            change_id, name = cast(str, row.change_id), cast(str, row.change_name)
            click.echo(f"  {change_id:<8} {name[:44]:<44} {row.words}")
    if len(evidence.together):
        click.echo(_("{n} adoptions were of several changes together; they are not "
                     "credited to any one of them.").format(n=len(evidence.together)))
