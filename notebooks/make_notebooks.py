"""Write the report notebooks (outputs stripped). Run: python notebooks/make_notebooks.py

The notebooks are thin: parameters, then calls into `workbench.briefs`, `workbench.notebook.render`
and `workbench.charts`. Tags: see notebooks/README.md.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parent
KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def code(source: str, *tags: str):
    cell = nbf.v4.new_code_cell(source.strip())
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def heading(text: str, note: str = ""):
    """A section heading (and a paragraph under it) in the report's language: a code cell,
    so that `_()` translates it and `make messages` extracts it."""
    source = f'render.heading(_("{text}"), 2)'
    if note.startswith('_("') and note.endswith('")') and len(note) > 70:
        # a long paragraph: adjacent literals within the line length (one message all the same)
        parts = textwrap.wrap(note[3:-2], 76, drop_whitespace=False, break_on_hyphens=False)
        note = "_(\n" + "\n".join(f'    "{part}"' for part in parts) + ")"
    if note:
        source = f"render.join(\n    {source},\n    render.note({note}))"
    return code(source, "remove-input")


SETUP = code("from workbench import briefs, charts\n"
             "from workbench.i18n import gettext as _\n"
             "from workbench.notebook import render\n\n"
             "briefs.set_report_language(db_url, lang)\n"
             "charts.setup_notebook()",
             "remove-cell")
#: the team report's and the brief's set-up: `display` shows several parts of one cell
REPORT_SETUP = code("from IPython.display import display\n\n"
                    "from workbench import briefs, charts\n"
                    "from workbench.i18n import gettext as _\n"
                    "from workbench.notebook import render\n\n"
                    "briefs.set_report_language(db_url, lang)\n"
                    "charts.setup_notebook()",
                    "remove-cell")
LANG = ('lang: str = ""  # report language: en, fr; empty: $WORKBENCH_LANG, then the '
        "collaborative's default\n")

NOTEBOOKS = {
    # A team report and a brief run 2,000 and 1,244 times a month: each cell is a round
    # trip to the kernel, so a section (or a few) is one cell, its parts shown by `display`.
    "team_report": [
        code('''
team_id: str = "T01"  # team code
period: str = ""  # YYYY-MM; empty: the latest month in the data
db_url: str = ""  # database URL or path; empty: $WORKBENCH_DB, then ./workbench.db
''' + LANG, "parameters"),
        REPORT_SETUP,
        code('''
report = briefs.team_report_data(briefs.engine_for(db_url), team_id, period)
display(render.heading(_("{team}: monthly report for {month}").format(
            team=report.team_label, month=report.period_label), 1),
        render.join(render.heading(_("Headline: each indicator this month"), 2),
                    render.table(report.headline, briefs.COLUMNS["headline"]),
                    render.note(report.signal_legend)),
        render.join(render.heading(_("Charts"), 2), render.note(report.chart_guide)))
briefs.show_figures(report)
''', "remove-input"),
        code('''
display(render.join(render.heading(_("The team's own measures"), 2),
                    render.note(report.own_measures_note)),
        render.table(report.own_headline, briefs.COLUMNS["headline"], empty=""))
charts.show_many(report.charts(own=True))
''', "remove-input"),
        code('''
render.join(
    render.heading(_("PDSA cycles in progress"), 2),
    render.table(report.pdsa_in_flight, briefs.COLUMNS["pdsa"],
                 empty=_("No PDSA cycle in progress.")),
    render.heading(_("PDSA cycles finished this month"), 2),
    render.table(report.pdsa_finished, briefs.COLUMNS["pdsa"],
                 empty=_("No PDSA cycle finished this month.")))
''', "remove-input"),
        code('''
render.join(
    render.heading(_("Open data flags"), 2),
    render.table(report.open_flags, briefs.COLUMNS["flags"], empty=_("No open flags.")),
    render.heading(_("Last coaching visit"), 2),
    render.note(report.last_visit_text),
    render.table(report.visit_actions, briefs.COLUMNS["actions"],
                 empty=_("No actions recorded.")),
    render.table(report.recounts, briefs.COLUMNS["recounts"],
                 caption=_("Data verification"),
                 empty=_("No recounts at this visit.")))
''', "remove-input"),
        code('''
display(render.heading(_("Assessment score"), 2))
charts.show(report.assessment_chart())
''', "remove-input"),
    ],
    "site_visit_brief": [
        code('''
team_id: str = "T01"  # team code
visit_date: str = ""  # YYYY-MM-DD of the visit; empty: today
db_url: str = ""  # database URL or path; empty: $WORKBENCH_DB, then ./workbench.db
''' + LANG, "parameters"),
        REPORT_SETUP,
        code('''
brief = briefs.site_visit_brief_data(briefs.engine_for(db_url), team_id, visit_date)
display(render.heading(_("Site visit brief: {team}, visit on {date}").format(
            team=brief.team_label, date=brief.visit_date_label), 1),
        render.join(render.heading(_("What changed {since}").format(since=brief.since_label), 2),
                    render.table(brief.changes, briefs.COLUMNS["changes"])),
        render.join(render.heading(_("Signals on the charts"), 2),
                    render.table(brief.signals, briefs.COLUMNS["signals"]),
                    render.note(brief.signal_legend)))
''', "remove-input"),
        code('''
render.join(
    render.heading(_("Data flags to verify in person"), 2),
    render.table(brief.flags_to_verify, briefs.COLUMNS["flags"],
                 empty=_("No open data flags: pick one month to recount at random.")),
    render.heading(_("Stalled PDSA cycles (no change of stage for more than 45 days)"), 2),
    render.table(brief.stalled_pdsas, briefs.COLUMNS["stalled"],
                 empty=_("No stalled PDSA cycle.")),
    render.heading(_("Actions agreed at the last visit"), 2),
    render.table(brief.previous_actions, briefs.COLUMNS["actions"],
                 empty=_("No earlier actions.")),
    render.heading(_("Suggested questions"), 2),
    render.bullets(brief.questions))
''', "remove-input"),
        code('''
display(render.heading(_("Charts"), 2))
briefs.show_figures(brief.report)
''', "remove-input"),
    ],
    "collaborative_summary": [
        code('''
period: str = ""  # YYYY-MM; empty: the latest month in the data
indicator_id: str = "AMTSL"  # indicator of the small multiples, funnel and pooled chart
db_url: str = ""  # database URL or path; empty: $WORKBENCH_DB, then ./workbench.db
''' + LANG, "parameters"),
        SETUP,
        code('''
summary = briefs.collaborative_summary_data(briefs.engine_for(db_url), period)
render.heading(_("Collaborative summary: {month}").format(month=summary.period_label), 1)
''', "remove-input"),
        heading("Every indicator this month"),
        code('render.table(summary.overview, briefs.COLUMNS["overview"])', "remove-input"),
        heading("Teams needing attention"),
        code('render.table(summary.attention, briefs.COLUMNS["attention"],\n'
             '             empty=_("No team needs special attention this month."))',
             "remove-input"),
        heading("Team × indicator status"),
        code("charts.show(summary.status_matrix_figure())", "remove-input"),
        heading("Share of teams at target"),
        code("charts.show(summary.attainment_figure())", "remove-input"),
        heading("All teams pooled"),
        code("charts.show(summary.pooled_figure(indicator_id))", "remove-input"),
        code('render.join(render.heading(_("Every team side by side"), 2),\n'
             '            render.note(summary.small_multiples_note(indicator_id)))',
             "remove-input"),
        code("charts.show(summary.small_multiples(indicator_id))", "remove-input"),
        heading("Funnel: this month, by size"),
        code("charts.show(summary.funnel_figure(indicator_id))", "remove-input"),
        heading("Wave cohorts (months since joining)"),
        code("charts.show(summary.wave_figure(indicator_id))", "remove-input"),
        heading("Most improved teams"),
        code('render.table(summary.most_improved_table(), briefs.COLUMNS["most_improved"])',
             "remove-input"),
        heading("Assessment scores"),
        code("charts.show(summary.assessment_figure())", "remove-input"),
    ],
    "synthesis": [
        code('''
period: str = ""  # YYYY-MM of the meeting; empty: the latest month in the data
db_url: str = ""  # database URL or path; empty: $WORKBENCH_DB, then ./workbench.db
wave: str = ""  # a wave code to look at that wave's teams only; empty: every team
''' + LANG, "parameters"),
        SETUP,
        code('''
pack = briefs.synthesis_data(briefs.engine_for(db_url), period, wave)
render.join(render.heading(pack.title, 1), render.note(_(
    "These are associations in observational data, not proof that a change causes an "
    "improvement: teams choose what to adopt and when. Each change's effect is the shift of "
    "its adopting teams after adoption minus the shift of teams that had not adopted it over "
    "the same months (a 95 per cent interval).")))
''', "remove-input"),
        heading("Change ideas ranked by evidence, per indicator"),
        code('render.table(pack.ranked_table(), briefs.SYNTHESIS_COLUMNS["ranked"],\n'
             '             empty=_("No change idea has been tested yet."))', "remove-input"),
        code('render.join(\n'
             '    render.heading(_("Adopting teams before and after (months since adoption)"),\n'
             '                   2),\n'
             '    render.note(pack.figures_note))', "remove-input"),
        code("charts.show_many(pack.figures())", "remove-input"),
        code('render.join(render.heading(_("Changes adopted together"), 2),\n'
             '            render.note(pack.together_note))', "remove-input"),
        code('render.table(pack.together_table(), briefs.SYNTHESIS_COLUMNS["together"],\n'
             '             empty=_("No team adopted several changes together."))',
             "remove-input"),
        heading("Team innovations other teams took up"),
        code('render.table(pack.innovations_table(), briefs.SYNTHESIS_COLUMNS["innovations"],\n'
             '             empty=_("No team innovation has been tested by another team yet."))',
             "remove-input"),
        heading("Changes abandoned everywhere"),
        code('render.table(pack.abandoned, briefs.SYNTHESIS_COLUMNS["abandoned"],\n'
             '             empty=_("No change idea was abandoned by every team that tested '
             'it."))', "remove-input"),
        code('render.join(render.heading(_("Draft of the refined change package"), 2),\n'
             '            render.note(pack.draft_note))', "remove-input"),
        code('render.table(pack.draft_table(), briefs.SYNTHESIS_COLUMNS["draft"])',
             "remove-input"),
    ],
}


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        nb = nbf.v4.new_notebook()
        nb.metadata["kernelspec"] = KERNEL
        nb.metadata["language_info"] = {"name": "python"}
        nb.cells = cells
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"{name[:12]}-{i:02d}".replace("_", "-")
        nbf.validate(nb)
        nbf.write(nb, HERE / f"{name}.ipynb")


if __name__ == "__main__":
    main()
