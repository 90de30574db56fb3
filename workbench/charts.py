"""Bokeh charts a coach can read: annotated run/control charts and collaborative views.

Chart functions are pure: they take frames and return bokeh models (never `show()` them and
never touch the database). Each chart keeps its data in named `ColumnDataSource`s built by a
`*_sources()` function, so an app (Voilà + `jupyter_bokeh.BokehModel`) redraws by assigning
new `.data` to the sources of an existing figure (`update_sources`), never by showing again.

How figures reach the HTML
--------------------------
This is the contract between the notebooks (this module) and the batch runner
(`workbench.reports` and its nbconvert template in `templates/`).

1. The first code cell of every report notebook calls `setup_notebook()`; the cell is tagged
   `remove-cell`. It clears bokeh's global state (`bokeh.io.reset_output()` and
   `curdoc().clear()`), so a reused kernel does not accumulate documents between reports
   (bokeh #4231). Then, unless the environment variable `WORKBENCH_BOKEHJS` is `template`,
   it loads BokehJS into the page once: one `display_data` output whose `text/html` is
   `<script>` + the inline BokehJS *core* bundle (`bokeh.min.js`, ~1.3 MB) + `</script>`,
   with metadata `{"workbench": {"bokehjs": "inline", "bokeh_version": "3.9.2"}}`. That makes
   a plain `papermill` run viewable live in JupyterLab and exportable offline with the stock
   nbconvert HTML template.
2. `show(fig)` displays one figure as ONE `display_data` output with exactly two MIME types:
   - `text/html`: `<div class="wb-figure">` + the `div` + `script` of
     `bokeh.embed.components(fig)` + `</div>`. The script waits for `DOMContentLoaded` (or runs
     at once in a live page) and needs the global `Bokeh` object at that moment; it carries
     the figure's document JSON, so the output is self-contained apart from BokehJS.
   - `text/plain`: `[chart] <title>` for consoles, nbval and text diffs.
   Metadata: `{"workbench": {"figure": true, "bokeh_version": "3.9.2",
   "bundles": ["bokeh"]}}`. No `application/javascript` and no bokeh MIME types are emitted,
   so nbconvert's priority list picks `text/html` and no bokeh state is touched.
3. The runner's template includes BokehJS exactly once, as a synchronous inline `<script>`
   anywhere before the end of `<body>` (head is fine), from `bokehjs_script()` (the same
   bundles, from the same bokeh install, so versions always match). The runner then either
   sets `WORKBENCH_BOKEHJS=template` in the kernel's environment (nothing is emitted by
   step 1: cheapest) or removes the `remove-cell` cell (and with it the loader output).
   Either way the page holds BokehJS once. Only the core bundle is needed: the charts use no
   widgets, tables, WebGL or MathJax (`bundles` in the metadata says so; a future chart that
   needs more lists it there).
4. Print: `div.wb-figure` is the hook for print CSS (`break-inside: avoid`). Figures are
   sized for an A4 page (width ≤ 760 px) and use the Okabe–Ito palette on white.

Tables and text reach the HTML as plain `text/html` built by `workbench.render`, where every
user-entered string is escaped.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import bokeh
from bokeh.embed import components
from bokeh.model import Model
from bokeh.resources import Resources

__all__ = [
    "BOKEH_BUNDLES",
    "bokehjs_script",
    "figure_html",
    "setup_notebook",
    "show",
]

#: BokehJS bundles every workbench chart needs (core only: no widgets/tables/gl/mathjax).
BOKEH_BUNDLES: tuple[str, ...] = ("bokeh",)

_BOKEHJS_CACHE: dict[tuple[str, ...], str] = {}


def bokehjs_script(bundles: tuple[str, ...] = BOKEH_BUNDLES) -> str:
    """The inline `<script>` block(s) of BokehJS for an offline page (include once per page)."""
    if bundles not in _BOKEHJS_CACHE:
        _BOKEHJS_CACHE[bundles] = Resources(mode="inline", components=list(bundles)).render_js()
    return _BOKEHJS_CACHE[bundles]


def _display(bundle: Mapping[str, str], metadata: Mapping[str, Any]) -> None:
    from IPython.display import display

    display(dict(bundle), raw=True, metadata={"workbench": dict(metadata)})


def setup_notebook() -> None:
    """Start a report: clear bokeh's global state; load BokehJS into the page (see module doc).

    Call it in the first code cell (tagged `remove-cell`). With `WORKBENCH_BOKEHJS=template`
    nothing is displayed: the page template provides BokehJS.
    """
    from bokeh.io import curdoc, reset_output

    reset_output()
    curdoc().clear()
    if os.environ.get("WORKBENCH_BOKEHJS", "").strip().lower() == "template":
        return
    _display(
        {"text/html": bokehjs_script(), "text/plain": "[BokehJS loaded]"},
        {"bokehjs": "inline", "bokeh_version": bokeh.__version__},
    )


def _title_of(obj: Model) -> str:
    title = getattr(obj, "title", None)
    text = getattr(title, "text", None)
    if text:
        return str(text)
    for child in getattr(obj, "children", None) or []:
        child = child[0] if isinstance(child, tuple) else child
        found = _title_of(child)
        if found:
            return found
    return obj.name or type(obj).__name__


def figure_html(obj: Model) -> str:
    """The `text/html` of one figure or layout: components' div + script in `div.wb-figure`."""
    script, div = components(obj)
    return f'<div class="wb-figure">{div}{script}</div>'


def show(obj: Model) -> None:
    """Display a bokeh figure or layout as a self-contained `text/html` output (module doc §2).

    Works in a papermill run, in JupyterLab after `setup_notebook()`, and in nbconvert HTML
    whose page includes BokehJS once. It never touches bokeh's global document.
    """
    _display(
        {"text/html": figure_html(obj), "text/plain": f"[chart] {_title_of(obj)}"},
        {"figure": True, "bokeh_version": bokeh.__version__, "bundles": list(BOKEH_BUNDLES)},
    )
