"""`bokeh.embed.components`, byte for byte, at about 60 % of its cost, for report figures.

`bokeh.embed.components(objs)` spends most of its time outside serialisation: it runs the
document validation (`Document.validate`: every model's integrity checks, ~0.2 s for the seven
charts of a team report), walks every model once more to look for Python callbacks (only to
log a warning), and adds the roots of a new document one by one, each `add_root` recomputing
the document's models. `components(objs)` here does the same work without those three: the
JSON of one new `Document` with `objs` as its roots, serialised once, with the render items
and script template bokeh's own `components` uses. The objects are not even added to the
document (`document_json(doc, roots=objs)`): adding them walks every property of every model
to collect them (computing the default of each property left unset), and the serialiser
walks them anyway; the JSON is the same (a test compares them). Only when `curdoc()` has a
theme are they added, so that the theme applies as with bokeh's `components`. The `<script>`
and `<div>`s are what bokeh returns (same templates, same escaping, same ids scheme); only
the random ids differ.

What is skipped is checked elsewhere: the charts of `workbench.charts` carry no Python
callbacks (they are pure, for static HTML), and a test runs bokeh's integrity checks on every
chart a report draws (`tests/charts/test_charts.py`). Models that already belong to a document (a
live app's) go through `bokeh.embed.components` unchanged.

Measured on the demo's team report (7 figures, CPU seconds per report, warm process):
`components` per figure 0.71 s; this per figure 0.45 s; this with all 7 figures in one call
0.44 s — the number of calls hardly matters, which is why `workbench.charts.show` keeps one
self-contained output per figure.

The document is serialised by `_Serializer`: bokeh's own, except that a model's attributes
are collected without computing the default value of every property that is then left out.
Bokeh's `HasProps.query_properties_with_values` reads every property (building a copy of each
default: lists, dicts, new tickers) before it checks whether the property was set, and keeps
only the set ones; `_set_properties` checks first and reads only those, so the JSON is the
same, key for key (a test compares it with bokeh's `Document.to_json`). Embedding the eleven
charts of a 10-indicator team report: 0.45 s of CPU with bokeh's serialiser, 0.20 s with it.

`components(objs, compress=True)` (what a report's figures use, through
`workbench.charts.figure_html`) carries the document JSON gzipped and base64-encoded in the
script instead of as a JS string literal: the page inflates it with the browser's
`DecompressionStream("gzip")` (no network, no library: Chromium 80+, Firefox 113+, Safari
16.4+) and hands it to `Bokeh.embed.embed_items` as bokeh's own script does. The same
document, about a quarter of the bytes (a 10-indicator team report's charts: 226 kB of JSON,
63 kB compressed), which is what keeps a 2,000-team report folder within its 400 MB.
A failure to inflate is shown in the page by `Bokeh.safely`, like any embedding error.

`DocumentTemplate` skips the serialiser for charts that are copies of a prototype
(`workbench.charts.prototype`): the prototype's document is serialised once, as text with a
hole for each model id and for each attribute a copy gives its own value (its data, titles,
ranges, labels: its *slots*). A chart of that shape is then the text with fresh ids and its
slots' values, each encoded by the same serialiser: the same document as the copy's,
without building the copy or walking its hundred models (a test compares them on every
chart of demo reports). `template_usable()` says when the shortcut applies: no theme or
document callbacks on `curdoc()`, no data models, compact JSON, no defaults serialised.
"""

from __future__ import annotations

import base64
import functools
import gzip
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from bokeh import __version__ as bokeh_version
from bokeh.core.has_props import HasProps, is_DataModel
from bokeh.core.json_encoder import serialize_json
from bokeh.core.property.singletons import Undefined
from bokeh.core.serialization import Serializer
from bokeh.core.templates import MACROS, ROOT_DIV
from bokeh.document import Document
from bokeh.embed import components as bokeh_components
from bokeh.embed.bundle import Script, bundle_for_objs_and_resources
from bokeh.embed.elements import script_for_render_items
from bokeh.embed.util import RenderItem
from bokeh.embed.wrappers import wrap_in_onload, wrap_in_safely
from bokeh.model import DataModel, Model
from bokeh.settings import settings
from bokeh.util.serialization import make_globally_unique_css_safe_id, make_globally_unique_id

__all__ = ["DocumentTemplate", "components", "compressed_docs", "document_json",
           "template_usable"]


def _set_properties(obj: HasProps) -> dict[str, Any]:
    """`obj.properties_with_values(include_defaults=False)`, reading only the properties it
    returns (set by the user, set by a theme, or an unstable default already made)."""
    selected = obj._property_values.keys() | obj._unstable_default_values.keys()
    themed = obj.themed_values()
    themed_keys = set(themed) if themed is not None else set()
    selected |= themed_keys
    result: dict[str, Any] = {}
    for key, descriptor, required in _serialized(type(obj)):
        if key not in selected:
            if required:
                descriptor.get_value(obj)  # a required property left unset: bokeh raises
            continue
        value = descriptor.get_value(obj)
        if (key not in themed_keys and key in obj._unstable_default_values
                and _is_container(value)):
            continue  # an unmodified default container: bokeh leaves it out too
        result[key] = value
    return result


@functools.cache
def _serialized(cls: Any) -> tuple[tuple[str, Any, bool], ...]:
    """The serialised properties of a model class, in bokeh's order: (name, descriptor,
    required: no default, so that reading it unset raises)."""
    overridden = cls._overridden_defaults()
    out = []
    for key in cls.properties(_with_props=True):
        descriptor = cls.lookup(key)
        if descriptor.serialized:
            out.append((key, descriptor, descriptor.property._default is Undefined
                        and key not in overridden))
    return tuple(out)


def _is_container(value: Any) -> bool:
    from bokeh.core.property.wrappers import PropertyValueContainer

    return isinstance(value, PropertyValueContainer)


class _Serializer(Serializer):
    """bokeh's `Serializer`, with models' attributes from `_set_properties`."""

    def _encode(self, obj: Any) -> Any:
        if (isinstance(obj, Model) and type(obj).to_serializable is Model.to_serializable
                and not isinstance(obj, DataModel)):
            self.add_ref(obj, obj.ref)
            rep: dict[str, Any] = {"type": "object", "name": obj.__qualified_model__,
                                   "id": obj.id}
            attributes = {key: self.encode(value)
                          for key, value in _set_properties(obj).items()}
            if attributes:
                rep["attributes"] = attributes
            return rep
        return super()._encode(obj)

    def _encode_list(self, obj: list[Any]) -> Any:
        plain = _plain_list(obj)
        return super()._encode_list(obj) if plain is None else plain


_NP_EPOCH = np.datetime64(0, "ms")
_NP_MS = np.timedelta64(1, "ms")


def _plain_list(items: list[Any]) -> list[Any] | None:
    """What bokeh's serialiser makes of a list whose items are all of one plain kind (text,
    finite floats, timestamps: a chart's columns and hover text), without encoding them one
    by one; None for any other list (bokeh encodes it). Timestamps become milliseconds since
    the epoch, as `bokeh.util.serialization.convert_datetime_type` computes them."""
    if not items:
        return None
    kind = type(items[0])
    if any(type(item) is not kind for item in items):
        return None
    if kind is str:
        return list(items)
    if kind is float or kind is np.float64:
        values = np.asarray(items, dtype=float)
        return values.tolist() if bool(np.isfinite(values).all()) else None
    if kind is np.datetime64:
        stamps = np.asarray(items)
        if bool(np.isnat(stamps).any()):
            return None
        return cast("list[Any]", ((stamps - _NP_EPOCH) / _NP_MS).tolist())
    if kind is pd.Timestamp:
        return [item.value / 10**6.0 for item in items]
    return None


def document_json(doc: Document, roots: Sequence[Model] | None = None) -> dict[str, Any]:
    """`doc.to_json(deferred=False)`, serialised by `_Serializer` (bokeh's own when bokeh
    is asked to serialise defaults too).

    `roots`: the JSON of `doc` had these models been added to it as its roots (they are
    not: `doc` holds none, and the models stay out of any document)."""
    if roots is not None:
        assert not doc._roots, "roots are given for an empty document"
    if settings.serialize_include_defaults():
        if roots is None:
            return dict(doc.to_json(deferred=False))
        with doc.models.freeze():
            for root in roots:
                doc.add_root(root)
        try:
            return dict(doc.to_json(deferred=False))
        finally:
            for root in roots:
                doc.remove_root(root)
    data_models = [model for model in Model.model_class_reverse_map.values()
                   if is_DataModel(model)]
    serializer = _Serializer(deferred=False)
    defs = serializer.encode(data_models)
    config = serializer.encode(doc._config)
    roots = serializer.encode(doc._roots if roots is None else list(roots))
    callbacks = serializer.encode(doc.callbacks.js_event_callbacks)
    out: dict[str, Any] = {"version": bokeh_version, "title": doc.title, "config": config,
                           "roots": roots}
    if data_models:
        out["defs"] = defs
    if doc.callbacks.js_event_callbacks:
        out["callbacks"] = callbacks
    doc.models.flush_synced()
    return out


def components(objs: Sequence[Model], *, compress: bool = False) -> tuple[str, list[str]]:
    """`(script, divs)` of `objs` as `bokeh.embed.components(objs)` returns them: one
    `<script>` that renders every object, and one `<div>` per object, in order.

    `compress`: the script carries the document JSON gzipped (see the module docstring)."""
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
    themed = current.theme is not doc.theme  # bokeh's components applies curdoc()'s theme
    if themed:
        with doc.models.freeze():  # one recompute of the document's models, not one per root
            for obj in objs:
                doc.add_root(obj)
        doc.theme = current.theme
    docid = make_globally_unique_id()
    item = RenderItem(docid, roots={obj: make_globally_unique_css_safe_id() for obj in objs})
    bundle = bundle_for_objs_and_resources(None, None)
    # unthemed, the objects are serialised as the document's roots without being added to
    # it: adding walks every property of every model (computing defaults) to collect them
    docs_json = {docid: document_json(doc) if themed else document_json(doc, roots=objs)}
    script = (_compressed_script(docs_json, [item]) if compress
              else script_for_render_items(docs_json, [item]))  # type: ignore[arg-type]
    bundle.add(Script(script))
    divs = [ROOT_DIV.render(root=root, macros=MACROS) for root in item.roots]
    return bundle.scripts(tag=True), divs


# bokeh's `try_run.js` (wait for BokehJS, then embed), with the documents inflated first
_INFLATE_JS = """\
(function(root) {
  function embed_document(root) {
    const render_items = %(render_items)s;
    const bytes = Uint8Array.from(atob("%(data)s"), (c) => c.charCodeAt(0));
    const inflated = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    new Response(inflated).json()
      .then((docs_json) => root.Bokeh.embed.embed_items(docs_json, render_items))
      .catch((error) => root.Bokeh.safely(() => { throw error; }));
  }
  if (root.Bokeh !== undefined) {
    embed_document(root);
  } else {
    let attempts = 0;
    const timer = setInterval(function(root) {
      if (root.Bokeh !== undefined) {
        clearInterval(timer);
        embed_document(root);
      } else {
        attempts++;
        if (attempts > 100) {
          clearInterval(timer);
          console.log("Bokeh: ERROR: Unable to run BokehJS code because BokehJS library "
                      + "is missing");
        }
      }
    }, 10, root)
  }
})(window);"""

#: marks the compressed documents in a script (`compressed_docs` reads them back)
_DATA = re.compile(r'atob\("([A-Za-z0-9+/=]*)"\)')


def _compressed_script(docs_json: dict[Any, Any], items: list[RenderItem]) -> str:
    return _compressed_script_text(serialize_json(docs_json, pretty=False), items)


def _compressed_script_text(text: str, items: list[RenderItem]) -> str:
    """`_compressed_script` of documents already serialised (`text`: their JSON)."""
    data = base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    render_items = serialize_json([item.to_json() for item in items], pretty=False)
    js = _INFLATE_JS % {"render_items": render_items.replace("</", "<\\/"),
                        "data": data.decode("ascii")}
    return wrap_in_onload(js if settings.dev else wrap_in_safely(js))


def compressed_docs(script: str) -> list[dict[str, Any]]:
    """The documents a script of `components(..., compress=True)` carries, decoded (one
    dict of {docid: document JSON} per figure script in `script`)."""
    return [json.loads(gzip.decompress(base64.b64decode(data)))
            for data in _DATA.findall(script)]


def template_usable() -> bool:
    """Whether `DocumentTemplate` gives what `components` would now (see the module doc)."""
    from bokeh.io import curdoc
    from bokeh.themes import default as default_theme

    current = curdoc()
    return (current.theme is default_theme and not current.callbacks.js_event_callbacks
            and not settings.serialize_include_defaults() and not settings.pretty()
            and not _has_data_models(len(Model.model_class_reverse_map)))


@functools.lru_cache(maxsize=8)
def _has_data_models(_classes: int) -> bool:
    """Whether any bokeh data model class is defined (`_classes`: how many model classes
    there are; a new class, data model or not, adds one, so the answer is read again).
    Walking the few hundred classes was a sixth of what a report's charts cost."""
    return any(is_DataModel(model) for model in Model.model_class_reverse_map.values())


@dataclass(eq=False)
class _Root:
    """What bokeh's `RenderRoots` reads of a root model (its id, name and tags)."""

    id: str
    name: str | None
    tags: list[Any]


_HOLE = re.compile(r'"id":"([^"\\]+)"|"@@wb-slot-(\d+)@@"')


class DocumentTemplate:
    """The document of `root` (with nothing else in it) as text with holes for every model
    id and for the `slots` (model, attribute name): see the module docstring.

    `components(values)` is `components([copy], compress=True)` of a copy of `root` whose
    slots hold `values`, each the JSON text of an encoded attribute value (`encode`)."""

    def __init__(self, root: Model, slots: Sequence[tuple[Model, str]]) -> None:
        tree = document_json(Document(), roots=[root])
        wanted = {(model.id, name): n for n, (model, name) in enumerate(slots)}
        found: set[int] = set()
        model_ids: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if isinstance(node.get("id"), str):
                    model_ids.add(node["id"])
                attributes = node.get("attributes")
                if isinstance(attributes, dict) and "id" in node:
                    for name in list(attributes):
                        n = wanted.get((node["id"], name))
                        if n is not None:
                            attributes[name] = f"@@wb-slot-{n}@@"
                            found.add(n)
                for value in node.values():
                    walk(value)
            elif isinstance(node, (list, tuple)):
                for value in node:
                    walk(value)

        walk(tree)
        missing = set(range(len(slots))) - found
        if missing:
            raise ValueError(f"slots not in the document: {sorted(missing)}")
        text = serialize_json(tree, pretty=False)
        self._literals: list[str] = []
        self._holes: list[tuple[int, int]] = []  # (0, id number) or (1, slot number)
        numbers: dict[str, int] = {}
        start = 0
        for match in _HOLE.finditer(text):
            if match.group(1) is not None:
                if match.group(1) not in model_ids:
                    continue  # text that only looks like an id (none is expected)
                hole = (0, numbers.setdefault(match.group(1), len(numbers)))
                self._literals.append(text[start:match.start(1)])
                start = match.end(1)
            else:
                hole = (1, int(match.group(2)))
                self._literals.append(text[start:match.start()])
                start = match.end()
            self._holes.append(hole)
        self._literals.append(text[start:])
        self._ids = len(numbers)
        self._root = numbers[root.id]
        self._name = root.name
        self._tags = list(root.tags)

    @staticmethod
    def encode(model: Model, name: str) -> str:
        """The JSON text of `model`'s attribute `name`, as the document of `model` holds it."""
        value = model.lookup(name).get_value(model)
        return serialize_json(_Serializer(deferred=False).encode(value), pretty=False)

    def components(self, values: Sequence[str]) -> tuple[str, list[str]]:
        """`(script, divs)` of a copy of the root whose slots hold `values` (compressed, as
        `components(..., compress=True)`), with fresh ids."""
        from workbench.charts.prototype import id_maker

        make_id = id_maker()
        ids = [make_id() for _ in range(self._ids)]
        parts = [self._literals[0]]
        for (kind, n), literal in zip(self._holes, self._literals[1:], strict=True):
            parts.append(ids[n] if kind == 0 else values[n])
            parts.append(literal)
        docid = make_globally_unique_id()
        root = _Root(ids[self._root], self._name, self._tags)
        item = RenderItem(docid, roots={root: make_globally_unique_css_safe_id()})  # type: ignore[dict-item]
        text = "{" + serialize_json(docid, pretty=False) + ":" + "".join(parts) + "}"
        bundle = bundle_for_objs_and_resources(None, None)
        bundle.add(Script(_compressed_script_text(text, [item])))
        divs = [ROOT_DIV.render(root=r, macros=MACROS) for r in item.roots]
        return bundle.scripts(tag=True), divs
