"""`bokeh.embed.components`, byte for byte, at about 60 % of its cost, for report figures.

`bokeh.embed.components(objs)` spends most of its time outside serialisation: it runs the
document validation (`Document.validate`: every model's integrity checks, ~0.2 s for the seven
charts of a team report), walks every model once more to look for Python callbacks (only to
log a warning), and adds the roots of a new document one by one, each `add_root` recomputing
the document's models. `components(objs)` here does the same work without those three: one
new `Document` holding `objs` as roots (added in one frozen step), serialised once, with the
render items and script template bokeh's own `components` uses. The `<script>` and `<div>`s
are what bokeh returns (same templates, same escaping, same ids scheme); only the random ids
differ.

What is skipped is checked elsewhere: the charts of `workbench.charts` carry no Python
callbacks (they are pure, for static HTML), and a test runs bokeh's integrity checks on every
chart a report draws (`tests/charts/test_charts.py`). Models that already belong to a document (a
figure shown twice, or one from a live app) go through `bokeh.embed.components` unchanged.

Measured on the demo's team report (7 figures, CPU seconds per report, warm process):
`components` per figure 0.71 s; this per figure 0.45 s; this with all 7 figures in one call
0.44 s — the number of calls hardly matters, which is why `workbench.charts.show` keeps one
self-contained output per figure.
"""

from __future__ import annotations

from collections.abc import Sequence

from bokeh.core.templates import MACROS, ROOT_DIV
from bokeh.document import Document
from bokeh.embed import components as bokeh_components
from bokeh.embed.bundle import Script, bundle_for_objs_and_resources
from bokeh.embed.elements import script_for_render_items
from bokeh.embed.util import RenderItem
from bokeh.model import Model
from bokeh.util.serialization import make_globally_unique_css_safe_id, make_globally_unique_id

__all__ = ["components"]


def components(objs: Sequence[Model]) -> tuple[str, list[str]]:
    """`(script, divs)` of `objs` as `bokeh.embed.components(objs)` returns them: one
    `<script>` that renders every object, and one `<div>` per object, in order."""
    objs = list(objs)
    if not objs:
        raise ValueError("components() needs at least one bokeh model")
    if any(obj.document is not None for obj in objs):
        script, divs = bokeh_components(objs)
        return script, list(divs)
    from bokeh.io import curdoc

    current = curdoc()
    doc = Document()
    doc.callbacks._js_event_callbacks.update(current.callbacks._js_event_callbacks)
    with doc.models.freeze():  # one recompute of the document's models, not one per root
        for obj in objs:
            doc.add_root(obj)
    if current.theme is not doc.theme:  # bokeh's components applies curdoc()'s theme too
        doc.theme = current.theme
    docid = make_globally_unique_id()
    item = RenderItem(docid, roots={obj: make_globally_unique_css_safe_id() for obj in objs})
    bundle = bundle_for_objs_and_resources(None, None)
    bundle.add(Script(script_for_render_items({docid: doc.to_json(deferred=False)}, [item])))
    divs = [ROOT_DIV.render(root=root, macros=MACROS) for root in item.roots]
    return bundle.scripts(tag=True), divs
