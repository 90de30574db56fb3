"""Fixture notebooks for the batch-runner tests, built in code (nbmake style).

They follow the figure contract of `workbench.charts` ("How figures reach the HTML"): a
`remove-cell` set-up cell, a `parameters` cell, tables as escaped `text/html`, and figures
through `workbench.charts.show` (bokeh `components` as `text/html`).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

__all__ = ["write_team_notebook", "write_summary_notebook"]

_KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def write_team_notebook(folder: Path, *, fail_team: str | None = None,
                        name: str = "team_report") -> Path:
    """A small team report: the team's PDSA titles (escaped), one bokeh chart, and a probe
    that prints every `probe_*` name left in the namespace by earlier runs."""
    cells = [
        new_code_cell("from workbench.charts.series import setup_notebook, show\nsetup_notebook()",
                      metadata={"tags": ["remove-cell"]}),
        new_code_cell('team_id: str = "T01"  # team code\n'
                      'period: str = "2025-06"  # reporting month\n'
                      'db_url: str = "sqlite:///workbench.db"  # database URL',
                      metadata={"tags": ["parameters"]}),
        new_markdown_cell("## PDSA cycles"),
        new_code_cell(
            "import html\n"
            "from IPython.display import HTML, display\n"
            "from bokeh.plotting import figure\n"
            "from workbench.store import open_engine, read_measurements, read_pdsa_cycles\n"
            "engine = open_engine(db_url)\n"
            "cycles = read_pdsa_cycles(engine)\n"
            "titles = cycles.loc[cycles['team_id'] == team_id, 'title'].tolist()\n"
            "display(HTML('<ul class=\"pdsa\">' + ''.join("
            "'<li>' + html.escape(t) + '</li>' for t in titles) + '</ul>'))"),
        new_code_cell(
            "m = read_measurements(engine, team_ids=[team_id])\n"
            "m = m[m['indicator_id'] == 'AMTSL']\n"
            "fig = figure(title=f'Team {team_id}', width=600, height=300)\n"
            "fig.line(list(range(len(m))), m['value'].tolist(), line_width=2)\n"
            "show(fig)"),
        new_code_cell(
            "print('leftovers:', sorted(k for k in globals() if k.startswith('probe_')))\n"
            "globals()['probe_' + team_id] = True\n"
            "print('report for', team_id)"),
    ]
    if fail_team is not None:
        cells.append(new_code_cell(
            f"if team_id == {fail_team!r}:\n"
            f"    raise RuntimeError('deliberate failure for ' + team_id)"))
    nb = new_notebook(cells=cells, metadata={"kernelspec": _KERNELSPEC})
    path = folder / f"{name}.ipynb"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def write_summary_notebook(folder: Path, name: str = "collaborative_summary") -> Path:
    """A notebook without `team_id`: the runner runs it once for the whole collaborative."""
    cells = [
        new_code_cell('period: str = "2025-06"  # reporting month\n'
                      'db_url: str = "sqlite:///workbench.db"  # database URL',
                      metadata={"tags": ["parameters"]}),
        new_code_cell("from workbench.store import open_engine, read_teams\n"
                      "print(len(read_teams(open_engine(db_url))), 'teams in', period)"),
    ]
    nb = new_notebook(cells=cells, metadata={"kernelspec": _KERNELSPEC})
    path = folder / f"{name}.ipynb"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
