"""Data in and data checked: import, template, validate, flags, export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import cast

import click

from workbench.cli.options import (
    COUNT,
    OUT_FILE,
    db_option,
    echo_json,
    json_option,
    period_option,
    team_option,
    user_option,
)
from workbench.i18n import N_, format_percent, pgettext
from workbench.i18n import gettext as _

__all__ = ["import_cmd", "template", "validate", "flags", "export"]


def _failure_table(failures) -> str:  # type: ignore[no-untyped-def]
    head = (pgettext("import failures", "row"), pgettext("import failures", "column"),
            pgettext("import failures", "reason"), pgettext("import failures", "value"),
            pgettext("import failures", "message"))
    lines = [f"{head[0]:>6}  {head[1]:<14} {head[2]:<30} {head[3]:<14} {head[4]}"]
    for rec in failures.itertuples(index=False):
        row = "" if rec.row is None or rec.row != rec.row else rec.row
        value = "" if rec.value is None or rec.value != rec.value else str(rec.value)
        lines.append(f"{row!s:>6}  {rec.column or '':<14} {rec.reason:<30} {value[:14]:<14} "
                     f"{rec.message}")
    return "\n".join(lines)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@db_option
@click.option("--format", "fmt", default="auto", show_default=True,
              type=click.Choice(["auto", "csv", "xlsx", "dhis2-json", "dhis2-csv", "kobo"]),
              help="File format; auto guesses from the name and header.")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              metavar="MAP.yaml", help="DHIS2/Kobo mapping (see templates/dhis2_mapping.yaml).")
@click.option("--dry-run", is_flag=True, help="Check and count, write nothing.")
@user_option
@json_option
def import_cmd(file: Path, db: str | None, fmt: str, mapping: Path | None, dry_run: bool,
               user: str | None, as_json: bool) -> None:
    """Import measurements from a file: all rows or none.

    Every problem in the file is listed at once (row, column, reason, value, fix) and nothing
    is written. A clean file prints new measurements, new revisions and unchanged rows;
    importing the same file again changes nothing.

    Example: workbench import march.csv --db workbench.db
    """
    from workbench.errors import IngestError
    from workbench.ingest.importer import import_file
    from workbench.store import open_engine

    engine = open_engine(db)

    def progress(done: int, total: int) -> None:
        click.echo(_("wrote {done}/{total} revisions").format(done=done, total=total), err=True)

    try:
        result = import_file(engine, file, fmt=fmt, mapping=mapping, dry_run=dry_run,
                             author=user, progress=progress)
    except IngestError as exc:
        failures = getattr(exc, "failure_cases", None)
        if failures is not None and len(failures):
            if as_json:
                echo_json({"ok": False, "failures": failures.to_dict("records")})
            else:
                click.echo(_failure_table(failures))
        raise
    if as_json:
        echo_json({"ok": True, **result.to_dict()})
        return
    head = (_("Would import {file} ({format})") if dry_run else
            _("Imported {file} ({format})")).format(file=file.name, format=result.format)
    if result.batch_id:
        head += " " + _("as batch {batch}").format(batch=result.batch_id)
    parts = [_("{n} new").format(n=result.new), _("{n} revised").format(n=result.revised),
             _("{n} unchanged").format(n=result.unchanged)]
    if result.blank:
        parts.append(_("{n} blank rows skipped").format(n=result.blank))
    if result.ignored:
        parts.append(_("{n} values ignored").format(n=result.ignored))
    if result.kept_correction:
        parts.append(_("{n} kept_correction").format(n=result.kept_correction))
    click.echo(f"{head}: {', '.join(parts)}.")
    if result.kept_corrections:
        click.echo(_("Kept reviewed corrections (the file's values were not written):"))
        for k in result.kept_corrections:
            c, i = k["corrected"], k["imported"]
            click.echo("  " + _("{team} {indicator} {period}: corrected {corrected}, file row "
                                "{row} has {imported}").format(
                team=k["team_id"], indicator=k["indicator_id"], period=k["period"],
                corrected=f"{_g(c['numerator'])}/{_g(c['denominator'])}", row=i["row"],
                imported=f"{_g(i['numerator'])}/{_g(i['denominator'])}"))


def _g(v: float | None) -> str:
    return "-" if v is None else f"{v:g}"


@click.group()
def template() -> None:
    """Write data-entry templates.

    Example: workbench template xlsx --db workbench.db --team T01 --out T01.xlsx
    """


@template.command("xlsx")
@db_option
@click.option("--team", "team_id", required=True, metavar="CODE", help="Team code, e.g. T01.")
@click.option("--months", default=12, show_default=True, help="Months in the sheet.")
@period_option
@click.option("--out", required=True, type=OUT_FILE, help="The .xlsx file to write.")
def template_xlsx(db: str | None, team_id: str, months: int, period: str | None, out: Path) -> None:
    """The monthly data-entry workbook of one team (previous months filled in, locked).

    Example: workbench template xlsx --db workbench.db --team T01 --months 6 --out T01.xlsx
    """
    from workbench.ingest.xlsx_template import write_template
    from workbench.store import open_engine

    path = write_template(open_engine(db), team_id, out, months=months, period=period)
    click.echo(_("Wrote {path}").format(path=path))


@click.command()
@db_option
@period_option
@user_option
@json_option
def validate(db: str | None, period: str | None, user: str | None, as_json: bool) -> None:
    """Run every data-quality rule and store the flags (re-running is safe).

    --period is the reporting month validated (default: the latest month with data).

    Example: workbench validate --db workbench.db --period 2025-06
    """
    from workbench.demo import read_injections
    from workbench.store import open_engine, read_flags
    from workbench.validate.quality import detection_quality
    from workbench.validate.run import run_validation

    engine = open_engine(db)
    summary = run_validation(engine, period, acting=user)
    truth = read_injections(engine)
    if len(truth):  # a demo database: how well the rules find its injected problems
        summary["quality"] = detection_quality(read_flags(engine), truth)
    if as_json:
        echo_json(summary)
        return
    found = ", ".join(f"{k} {v}" for k, v in summary["found"].items()) or _("none")
    click.echo(_("Validated up to {period}: {new} new, {reopened} reopened, {cleared} "
                 "cleared; {open} open flags.").format(
        period=summary["period"], new=summary["new"], reopened=summary["reopened"],
        cleared=summary["cleared"], open=summary["open"]))
    click.echo(_("Findings by rule: {found}.").format(found=found))
    if "quality" in summary:
        q = summary["quality"]
        click.echo(_("Against the demo's injected problems: {found} of {injected} found "
                     "(recall {recall}); {real} of {flags} open flags point at one "
                     "(precision {precision}).").format(
            found=q["found"], injected=q["injected"], recall=format_percent(q["recall"], 0),
            real=q["flags_real"], flags=q["flags"],
            precision=format_percent(q["precision"], 0)))
    rates = summary["verification"]
    if rates["n"]:
        click.echo(_("Verification: {n} recounts, exact match {exact}, in band {band}.").format(
            n=rates["n"], exact=format_percent(rates["exact_match_rate"], 0),
            band=format_percent(rates["in_band_rate"], 0)))


_STATUS = click.Choice(["open", "confirmed", "corrected", "dismissed", "cleared"])


@click.group(invoke_without_command=True)
@db_option
@click.option("--status", type=_STATUS, help="Only flags in this state.")
@team_option
@click.option("--rule", "rule_code", metavar="CODE", help="Only this rule, e.g. late-entry.")
@json_option
@click.pass_context
def flags(ctx: click.Context, db: str | None, status: str | None, team_id: str | None,
          rule_code: str | None, as_json: bool) -> None:
    """List data-quality flags (errors first); `flags resolve` reviews one.

    Example: workbench flags --db workbench.db --status open --team T01
    """
    if ctx.invoked_subcommand is not None:
        return
    from workbench.store import open_engine
    from workbench.validate.flags import list_flags

    frame = list_flags(open_engine(db), status=status, team_id=team_id, rule_code=rule_code)
    if as_json:
        echo_json(frame.to_dict("records"))
        return
    if frame.empty:
        click.echo(_("No flags."))
        return
    from workbench.validate.messages import flag_messages, status_label

    for rec, message in zip(frame.itertuples(index=False), flag_messages(frame), strict=True):
        team = cast("str | None", rec.team_id)
        indicator, period = cast("str | None", rec.indicator_id), cast("str | None", rec.period)
        click.echo(f"{rec.flag_id:>5} {status_label(str(rec.status)):<9} {rec.severity:<7} "
                   f"{rec.rule_code:<30} "
                   f"{team or '':<6} {indicator or '':<14} {period or '':<7} "
                   f"v{rec.version} {message}")


@flags.command("resolve")
@click.argument("flag_id", type=int)
@db_option
@click.option("--action", required=True, type=click.Choice(["confirm", "correct", "dismiss"]))
@click.option("--note", required=True, help="Why: required for every review.")
@click.option("--numerator", type=COUNT, help="Corrected numerator (with --action correct).")
@click.option("--denominator", type=COUNT, help="Corrected denominator (with --action correct).")
@click.option("--user", help="Reviewer name (default: WORKBENCH_USER or the OS user).")
@click.option("--expected-version", type=int,
              help="The flag version you reviewed; a newer one is a conflict.")
@json_option
def resolve(flag_id: int, db: str | None, action: str, note: str, numerator: float | None,
            denominator: float | None, user: str | None, expected_version: int | None,
            as_json: bool) -> None:
    """Confirm, correct or dismiss a flag; a correction writes a new revision.

    Example: workbench flags resolve 12 --action correct --numerator 41 --denominator 52
    --note "recounted from the register" --user amugisha
    """
    from workbench.store import open_engine
    from workbench.validate.flags import resolve_flag
    from workbench.validate.messages import status_label

    result = resolve_flag(open_engine(db), flag_id, action, note, user=user,
                          numerator=numerator, denominator=denominator,
                          expected_version=expected_version)
    if as_json:
        echo_json(result)
        return
    text = _("Flag {flag} {status} by {user} (version {version}").format(
        flag=flag_id, status=status_label(result["status"]), user=result["user"],
        version=result["version"])
    if result["revision_id"]:
        text += ", " + _("revision {revision}").format(revision=result["revision_id"])
    click.echo(text + ").")


@flags.command("history")
@click.argument("flag_id", type=int)
@db_option
@json_option
def history(flag_id: int, db: str | None, as_json: bool) -> None:
    """Every review event of a flag, oldest first.

    Example: workbench flags history 12 --db workbench.db
    """
    from workbench.store import open_engine
    from workbench.validate.flags import flag_history

    frame = flag_history(open_engine(db), flag_id)
    if as_json:
        echo_json(frame.to_dict("records"))
        return
    for rec in frame.itertuples(index=False):
        from_status, note = cast("str | None", rec.from_status), cast("str | None", rec.note)
        click.echo(f"{rec.created_at:%Y-%m-%d %H:%M} {rec.user:<12} {rec.action:<10} "
                   f"{from_status or '-'} -> {rec.to_status}  {note or ''}".rstrip())


@click.command()
@click.argument("what", type=click.Choice(["measurements", "flags", "pdsa", "visits"]))
@db_option
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "dhis2-json"]), default="csv",
              show_default=True)
@click.option("--as-of", "as_of", metavar="TIMESTAMP",
              help="Only what was entered up to then, e.g. 2025-06-30 or 2025-06-30T12:00.")
@click.option("--out", type=OUT_FILE,
              help="Write to this file (CSV and JSON go to standard output without it).")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              metavar="MAP.yaml", help="DHIS2 mapping, for --format dhis2-json.")
@click.option("--only-corrections", is_flag=True,
              help="dhis2-json: only values whose current revision is a correction.")
def export(what: str, db: str | None, fmt: str, as_of: str | None, out: Path | None,
           mapping: Path | None, only_corrections: bool) -> None:
    """Export measurements, flags, PDSA cycles or visits (CSV, xlsx or DHIS2 JSON).

    Text cells that a spreadsheet would run as formulas are neutralised; numbers stay numbers.

    Example: workbench export measurements --db workbench.db --format xlsx --out data.xlsx
    """
    import json

    from workbench.errors import WorkbenchError
    from workbench.ingest.export import dhis2_data_value_set, export_frame, write_csv, write_xlsx
    from workbench.ingest.mapping import load_mapping
    from workbench.store import open_engine

    engine = open_engine(db)
    if fmt == "dhis2-json":
        if what != "measurements" or mapping is None:
            raise WorkbenchError(N_("--format dhis2-json exports measurements and needs "
                                    "--mapping MAP.yaml."))
        payload = dhis2_data_value_set(engine, load_mapping(mapping), as_of=as_of,
                                       only_corrections=only_corrections)
        text = json.dumps(payload, indent=2)
        if out is None:
            click.echo(text)
        else:
            out.write_text(text + "\n", encoding="utf-8")
            click.echo(_("Wrote {n} data values to {path}").format(
                n=len(payload["dataValues"]), path=out), err=True)
        return
    frame = export_frame(engine, what, as_of=as_of)
    if fmt == "xlsx":
        if out is None:
            raise WorkbenchError(N_("--format xlsx needs --out FILE.xlsx."))
        write_xlsx(frame, out, sheet=what)
    elif out is None:
        write_csv(frame, sys.stdout)
        return
    else:
        with out.open("w", encoding="utf-8", newline="") as handle:
            write_csv(frame, handle)
    click.echo(_("Wrote {rows} rows to {path}").format(rows=len(frame), path=out), err=True)
