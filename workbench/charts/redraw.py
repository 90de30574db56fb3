"""Redrawing bokeh charts in a live app without `show()`: new data into the shown figure.

An app keeps one `jupyter_bokeh.BokehModel` per chart. When a filter changes it builds the
new figure with the same `workbench.charts` function (cheap: nothing is rendered) and
`transplant`s it into the figure on screen: the data of every named `ColumnDataSource`, the
ranges, titles, sizes and constant glyph properties (a target line). Only the changed
properties travel to the browser as a document patch (`one_patch`: every change of a redraw
in one `PATCH-DOC` message, its arrays inline: three comm messages). When the structure differs
(another set of teams, so other panels) the model is replaced instead (`redraw`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bokeh.core.has_props import HasProps
from bokeh.models import (
    ColumnDataSource,
    DataRange1d,
    FactorRange,
    GridPlot,
    Plot,
    Range1d,
)
from bokeh.models.annotations import Title

__all__ = ["plots_of", "transplant", "redraw", "one_patch", "patch_message", "scale_text",
           "text_models", "FONT_SIZE_PROPERTIES", "release_data_ranges"]


def plots_of(obj: Any) -> list[Plot] | None:
    """The plots of a figure or grid in a stable order, or None for other layouts."""
    if isinstance(obj, Plot):
        return [obj]
    if isinstance(obj, GridPlot):
        return [child[0] for child in obj.children if isinstance(child[0], Plot)]
    return None


def _sources(plots: list[Plot]) -> dict[str, ColumnDataSource] | None:
    found: dict[str, ColumnDataSource] = {}
    for plot in plots:
        for renderer in plot.renderers:
            source = getattr(renderer, "data_source", None)
            if source is None:
                continue
            if not source.name:
                return None
            found[source.name] = source
    return found


def transplant(old: Any, new: Any) -> bool:
    """Make the figure `old` show what `new` shows, in place; False if the structure differs."""
    old_plots, new_plots = plots_of(old), plots_of(new)
    if old_plots is None or new_plots is None or len(old_plots) != len(new_plots):
        return False
    for a, b in zip(old_plots, new_plots, strict=True):
        if [type(_glyph(r)) for r in a.renderers] != [type(_glyph(r)) for r in b.renderers]:
            return False
    old_src, new_src = _sources(old_plots), _sources(new_plots)
    if old_src is None or new_src is None or set(old_src) != set(new_src):
        return False
    for name, source in new_src.items():
        old_src[name].data = dict(source.data)
    for a, b in zip(old_plots, new_plots, strict=True):
        for attr in ("x_range", "y_range"):
            ra, rb = getattr(a, attr), getattr(b, attr)
            if isinstance(ra, Range1d) and isinstance(rb, Range1d):
                _set(ra, start=rb.start, end=rb.end)
            elif isinstance(ra, FactorRange) and isinstance(rb, FactorRange):
                _set(ra, factors=list(rb.factors))
        if isinstance(a.title, Title) and isinstance(b.title, Title):
            _set(a.title, text=b.title.text)
        _set(a, width=b.width, height=b.height)
        for ra, rb in zip(a.renderers, b.renderers, strict=True):
            _set_glyph(_glyph(ra), _glyph(rb))
    return True


def _glyph(renderer: Any) -> Any:
    """A renderer's glyph (None for renderers without one)."""
    return getattr(renderer, "glyph", None)


def _set_glyph(old: Any, new: Any) -> None:
    """The glyph properties `new` sets (constants like a target line's `y=0.9`, value and field
    specs, colours, dashes), set on `old` where they differ; model references are kept."""
    have = old.properties_with_values(include_defaults=False)
    wanted = {k: v for k, v in new.properties_with_values(include_defaults=False).items()
              if k != "name" and not isinstance(v, HasProps) and have.get(k) != v}
    if wanted:
        old.update(**wanted)


def _set(model: Any, **values: Any) -> None:
    """Set only what differs: every change is a message to the browser."""
    changed = {k: v for k, v in values.items() if getattr(model, k) != v}
    if changed:
        model.update(**changed)


@contextmanager
def one_patch(model: Any) -> Iterator[None]:
    """Send every change made inside the block as ONE document patch to the browser.

    jupyter_bokeh sends one message per property change, each serialising references of
    the whole document: hundreds of changes (100 teams' sources) would take seconds.
    """
    doc = model._document
    events: list[Any] = []
    doc.remove_on_change(model)
    doc.on_change(events.append)
    try:
        yield
    finally:
        doc.remove_on_change(events.append)
        doc.on_change_dispatch_to(model)
        if events:
            _send_patch(model, events)


def patch_message(events: list[Any]) -> Any:
    """The bokeh `PATCH-DOC` message of `events` with every array inline (base64 in its
    content, no binary buffers): what `Protocol().create("PATCH-DOC", events)` makes, but
    sent as 3 comm messages instead of 3 plus 2 per array. A page of 48 panels has ~700
    arrays: 1,400 comm messages, each signed by the kernel, forwarded by the server and
    parsed and dispatched by the browser, cost more than the base64's third more bytes."""
    from bokeh.core.serialization import Serializer
    from bokeh.document.json import PatchJson
    from bokeh.protocol.messages.patch_doc import patch_doc

    docs = {event.document for event in events}
    if len(docs) != 1:
        raise ValueError("a patch is made of the events of one document")
    [doc] = docs
    serializer = Serializer(references=doc.models.synced_references, deferred=False)
    content = PatchJson(events=serializer.encode(events))
    doc.models.flush_synced(lambda model: not serializer.has_ref(model))
    return patch_doc(patch_doc.create_header(), {}, content)


def _send_patch(model: Any, events: list[Any]) -> None:
    msg = patch_message(events)
    for part in (msg.header_json, msg.metadata_json, msg.content_json):
        model.send({"msg": "patch", "payload": part})


def release_data_ranges(obj: Any) -> int:
    """Let the browser compute every automatic (`DataRange1d`) range of `obj` again; returns
    how many were released.

    BokehJS sends the start and end it computed back to the kernel (jupyter_bokeh syncs both
    ways), where they become explicit values: a figure drawn anew from the kernel would keep
    the range of the data it showed then (one month's width after an as-of date), whatever
    data it gets later. Call this before re-rendering a figure that was on the page.
    """
    released = 0
    for model in obj.references():
        if isinstance(model, DataRange1d):
            for attr in ("start", "end"):
                value = getattr(model, attr)
                if not (isinstance(value, float) and value != value):  # NaN: automatic
                    setattr(model, attr, float("nan"))
                    released += 1
    return released


def redraw(model: Any, new: Any) -> str:
    """Show `new` in the `BokehModel` `model`: in place when possible ("patched"), else by
    replacing the document ("replaced"). Never `show()`s."""
    with one_patch(model):
        if transplant(model._model, new):
            return "patched"
    model.update_from_model(new)
    return "replaced"


#: Every text size a workbench chart sets or inherits (titles, ticks, axis labels, legends,
#: labels and text glyphs).
FONT_SIZE_PROPERTIES = ("text_font_size", "major_label_text_font_size",
                        "axis_label_text_font_size", "label_text_font_size",
                        "title_text_font_size", "group_text_font_size")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(px|pt|em|rem|%)\s*$")


def _scaled_size(size: Any, factor: float) -> Any:
    """`"10px"` × 1.6 → `"16px"` (px rounded to whole pixels); other values unchanged."""
    text = getattr(size, "value", size)  # a text glyph's `value("10px")` spec
    match = _SIZE.match(text) if isinstance(text, str) else None
    if match is None:
        return size
    number, unit = float(match.group(1)) * factor, match.group(2)
    return f"{round(number)}{unit}" if unit in ("px", "pt") else f"{number:.3g}{unit}"


def text_models(obj: Any) -> list[tuple[Any, tuple[str, ...]]]:
    """Every model of the figure or layout `obj` that has text sizes, with their property
    names (`FONT_SIZE_PROPERTIES`): one walk of its ~10,000 models at 48 panels, kept by a
    caller that scales the same figure again (`scale_text(..., models=)`)."""
    found = []
    for model in obj.references():
        names = model.properties()
        props = tuple(prop for prop in FONT_SIZE_PROPERTIES if prop in names)
        if props:
            found.append((model, props))
    return found


def scale_text(obj: Any, factor: float, originals: dict[tuple[str, str], Any],
               models: list[tuple[Any, tuple[str, ...]]] | None = None) -> int:
    """Scale every text size in the figure or layout `obj` to `factor` × its original size,
    in place (factor 1 restores it); returns how many properties changed.

    `originals` remembers each property's first-seen size (keyed by model id and property),
    so scaling twice never compounds and a figure can always go back. Only changed values are
    set: inside `one_patch` they reach the browser as one patch. `models`: `text_models(obj)`
    if the caller kept it (the same models: their data may have changed, not the figure's
    structure).
    """
    changed = 0
    for model, props in models if models is not None else text_models(obj):
        for prop in props:
            current = getattr(model, prop)
            base = originals.setdefault((model.id, prop), current)
            wanted = base if factor == 1 else _scaled_size(base, factor)
            if wanted != current:
                setattr(model, prop, wanted)
                changed += 1
    return changed
