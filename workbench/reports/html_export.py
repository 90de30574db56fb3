"""Executed notebook → one self-contained HTML report (nbconvert, in process).

The template `templates/workbench_report/` (an nbconvert template folder extending `lab`)
hides code, removes cells by the project's tag vocabulary, adds a cover (title, team, period,
generation time) and print CSS, and loads nothing from the network: no require.js, MathJax or
widget manager from a CDN. BokehJS is embedded **once**, inline, and only the bundles the
notebook's charts need (core always; widgets, tables, WebGL, MathJax only when a chart uses
them): a report of six charts is about 1.5 MB and opens offline from a USB stick, where the
INLINE resources of every chart would weigh 4.3 MB and CDN resources leave the charts blank.

The notebooks emit their figures as `bokeh.embed.components` (a `<div>` plus a `<script>`
that waits for `window.Bokeh`) in `text/html` outputs — see the contract in
`workbench.charts`. nbconvert writes `text/html` outputs as they are, so text that users typed
is escaped by the library that builds that HTML (and by bokeh inside its JSON).
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import nbformat
from markupsafe import Markup, escape
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

from workbench.i18n import format_datetime, format_month_long, use_language
from workbench.i18n import gettext as _
from workbench.paths import templates_dir
from workbench.reports.kernel_pool import CellError

__all__ = [
    "TEMPLATE_NAME",
    "REMOVE_CELL_TAGS",
    "REMOVE_INPUT_TAGS",
    "REMOVE_OUTPUT_TAGS",
    "ReportCover",
    "bokehjs_components",
    "bokehjs_file_name",
    "bokehjs_scripts",
    "write_shared_files",
    "notebook_to_html",
    "without_bokehjs_loaders",
]

TEMPLATE_NAME = "workbench_report"
REMOVE_CELL_TAGS = frozenset({"remove-cell", "parameters", "injected-parameters"})
REMOVE_INPUT_TAGS = frozenset({"remove-input"})
REMOVE_OUTPUT_TAGS = frozenset({"remove-output"})

# "name":"DataTable" in bokeh's serialised documents (also when quotes are escaped in JS text)
_MODEL_NAME = re.compile(r'\\?"name\\?"\s*:\s*\\?"([A-Za-z_][A-Za-z0-9_]*)')
_BOKEH_MARKERS = ("Bokeh.embed", "bokehjs_exec", "root.Bokeh")
_SCANNED_MIMETYPES = ("text/html", "application/javascript", "application/vnd.bokehjs_exec.v0+json")


@dataclass(frozen=True)
class ReportCover:
    """What the cover of a report says."""

    title: str
    period: str
    generated: datetime
    version: str
    team_id: str | None = None
    team_name: str | None = None
    error: CellError | None = None
    language: str = "en"

    @property
    def period_label(self) -> str:
        """`2026-10` → `October 2026` (`octobre 2026` in French)."""
        try:
            datetime.strptime(self.period, "%Y-%m")
        except ValueError:
            return self.period
        return format_month_long(self.period, self.language)

    def as_resources(self) -> dict[str, Any]:
        """The cover's fields and labels, in the cover's language."""
        with use_language(self.language):
            return {
                "title": self.title,
                "team_id": self.team_id or "",
                "team_name": self.team_name or "",
                "period_label": self.period_label,
                "generated": _("{moment} UTC").format(
                    moment=format_datetime(self.generated, self.language)),
                "version": self.version,
                "failed": self.error is not None,
                "error_summary": self.error.summary if self.error else "",
                "language": self.language,
                "labels": {
                    "period": _("Period"), "generated": _("Generated"),
                    "product": _("Coaching Workbench"),
                    "incomplete": _("This report is incomplete: the notebook stopped with"),
                    "go_to_error": _("Go to the error"),
                },
            }


@functools.cache
def _model_bundles() -> dict[str, str]:
    """Bokeh model name → the extra BokehJS bundle it needs (bokeh's own bundle rules)."""
    import bokeh.models  # noqa: F401 - registers every model class
    from bokeh.core.has_props import HasProps
    from bokeh.models.text import MathText
    from bokeh.models.widgets.tables import TableWidget
    from bokeh.models.widgets.widget import Widget

    bundles: dict[str, str] = {}
    for name, cls in HasProps.model_class_reverse_map.items():
        if issubclass(cls, TableWidget):
            bundles[name] = "bokeh-tables"
        elif issubclass(cls, Widget):
            bundles[name] = "bokeh-widgets"
        elif issubclass(cls, MathText):
            bundles[name] = "bokeh-mathjax"
    return bundles


def _declared(output: dict[str, Any]) -> list[str] | None:
    """The bundles a workbench output says it needs (`{"workbench": {"bundles": [...]}}`)."""
    declared = ((output.get("metadata") or {}).get("workbench") or {}).get("bundles")
    return [str(b) for b in declared] if isinstance(declared, list) else None


def _output_text(output: dict[str, Any]) -> str:
    data = output.get("data") or {}
    texts = []
    for mimetype in _SCANNED_MIMETYPES:
        value = data.get(mimetype)
        if value:
            texts.append(value if isinstance(value, str) else "".join(value)
                         if isinstance(value, list) else str(value))
    return "\n".join(texts)


def bokehjs_components(nb: nbformat.NotebookNode) -> list[str]:
    """The BokehJS bundles the notebook's outputs need, in load order ([] without charts).

    Workbench charts declare their bundles in the output metadata (`workbench.charts`); any
    other bokeh output is scanned for the model names it uses (bokeh's own bundle rules,
    which costs importing every bokeh model once per process, about 1 s)."""
    needed: set[str] = set()
    found = False
    for cell in nb.cells:
        for output in cell.get("outputs", ()):
            declared = _declared(output)
            if declared is not None:
                found = found or "bokeh" in declared
                needed.update(declared)
                continue
            text = _output_text(output)
            if not any(marker in text for marker in _BOKEH_MARKERS):
                continue
            found = True
            bundles = _model_bundles()
            needed.update(bundles[name] for name in _MODEL_NAME.findall(text) if name in bundles)
            if "webgl" in text:
                needed.add("bokeh-gl")
    if not found:
        return []
    order = ["bokeh", "bokeh-gl", "bokeh-widgets", "bokeh-tables", "bokeh-mathjax"]
    return [name for name in order if name == "bokeh" or name in needed]


@functools.cache
def bokehjs_scripts(components: tuple[str, ...]) -> tuple[str, ...]:
    """Minified BokehJS of these bundles as script texts (read once per process)."""
    if not components:
        return ()
    from bokeh.resources import Component, Resources

    resources = Resources(mode="inline", components=cast("list[Component]", list(components)))
    return tuple(js.replace("</script", "<\\/script") for js in resources.js_raw)


_LOCAL = threading.local()


def _exporter() -> HTMLExporter:
    """This thread's exporter (nbconvert's preprocessors and template state are per object;
    report workers are threads)."""
    exporter: HTMLExporter | None = getattr(_LOCAL, "exporter", None)
    if exporter is None:
        exporter = _LOCAL.exporter = _new_exporter()
    return exporter


def _new_exporter() -> HTMLExporter:
    # nbconvert and nbformat annotate none of their constructors: typed at the call
    exporter = cast("Callable[..., HTMLExporter]", _ReportExporter)(
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(templates_dir())],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    register = cast("Callable[..., Any]", exporter.register_preprocessor)
    register(
        cast("Callable[..., TagRemovePreprocessor]", TagRemovePreprocessor)(
            remove_cell_tags=set(REMOVE_CELL_TAGS),
            remove_input_tags=set(REMOVE_INPUT_TAGS),
            remove_all_outputs_tags=set(REMOVE_OUTPUT_TAGS),
        ),
        enabled=True,
    )
    return exporter


def _is_bokehjs_loader(output: dict[str, Any]) -> bool:
    return bool(((output.get("metadata") or {}).get("workbench") or {}).get("bokehjs"))


def without_bokehjs_loaders(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A shallow copy of `nb` without outputs that load BokehJS themselves (the template does:
    `workbench.charts.setup_notebook()` emits one unless `WORKBENCH_BOKEHJS=template`)."""
    if not any(_is_bokehjs_loader(o) for c in nb.cells for o in c.get("outputs", ())):
        return nb
    node = cast("Callable[[dict[str, Any]], nbformat.NotebookNode]", nbformat.NotebookNode)
    copy = node({**nb, "cells": []})
    for cell in nb.cells:
        if any(_is_bokehjs_loader(o) for o in cell.get("outputs", ())):
            cell = node({**cell, "outputs": [
                o for o in cell.outputs if not _is_bokehjs_loader(o)]})
        copy.cells.append(cell)
    return copy


def bokehjs_file_name(component: str) -> str:
    """The file a report folder keeps one BokehJS bundle in: `bokeh-3.9.2.min.js`."""
    import bokeh

    return f"{component}-{bokeh.__version__}.min.js"


def _css_file_name(template_path: str) -> str:
    """The file a report folder keeps one of nbconvert's style sheets in:
    `static/index.css` → `nbconvert-7.17.2-index.css`."""
    import nbconvert

    return f"nbconvert-{nbconvert.__version__}-{Path(template_path).name}"


_CSS_SOURCES: dict[str, str] = {}  # file name → template path, filled as pages are made


def _shared_text(name: str) -> str:
    """The text of a shared file of a report folder (see `notebook_to_html`)."""
    if name.endswith(".css"):
        path = _CSS_SOURCES.get(name) or f"static/{name.split('-', 2)[2]}"
        env = _exporter().environment
        return str(env.loader.get_source(env, path)[0])
    for component in ("bokeh-mathjax", "bokeh-tables", "bokeh-widgets", "bokeh-gl", "bokeh"):
        if name == bokehjs_file_name(component):
            return "\n;\n".join(bokehjs_scripts((component,)))
    raise ValueError(f"not a shared report file: {name}")


_WRITE_LOCK = threading.Lock()


def write_shared_files(folder: Path, names: Iterable[str]) -> list[str]:
    """Write the shared files `names` (BokehJS bundles, style sheets) into `folder` once
    each (kept when already there with the same size); returns their names."""
    from workbench.reports.folder import atomic_write_text

    written = []
    with _WRITE_LOCK:
        for name in names:
            text = _shared_text(name)
            path = folder / name
            if not path.is_file() or path.stat().st_size != len(text.encode("utf-8")):
                atomic_write_text(path, text)
            written.append(name)
    return written


_FOCUSABLE_DIV = re.compile(
    r'<div class="(?:[^"]*\s)?(?:jp-OutputArea-output|jp-Cell-inputWrapper)(?:\s[^"]*)?"')
_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\balt=)")
_NO_ALT = "No description has been provided for this image"


class _ReportExporter(HTMLExporter):
    """nbconvert's HTML exporter, lean for a batch of reports (one per worker thread, reused):

    - style sheets become links to shared files when the page asks for it
      (`resources["workbench"]["shared_css"]`);
    - the notebook is validated once, after the preprocessors (nbconvert validates it after
      each of its thirteen; the kernel's output is valid nbformat);
    - the page is not parsed again and re-serialised with BeautifulSoup to add the
      accessibility attributes (`tabindex="0"` on each output and text cell, an `alt` on an
      image without one): they are added to the template's own markup. Together a quarter
      of a report's export CPU (0.035 -> 0.008 s a team report)."""

    optimistic_validation = True

    def _init_resources(self, resources: dict[str, Any]) -> dict[str, Any]:
        init = cast("Callable[[dict[str, Any]], dict[str, Any]]", super()._init_resources)
        resources = init(resources)  # nbconvert annotates none of its methods
        wb = resources.get("workbench") or {}
        if wb.get("shared_css") is not None:
            linked: list[str] = wb["shared_css"]

            def link_css(path: str) -> Markup:
                name = _css_file_name(path)
                _CSS_SOURCES[name] = path
                linked.append(name)
                return Markup(f'<link rel="stylesheet" type="text/css" href="{escape(name)}">')

            resources["include_css"] = link_css
        return resources

    def from_notebook_node(self, nb: nbformat.NotebookNode,  # type: ignore[override]
                           resources: dict[str, Any] | None = None,
                           **kw: Any) -> tuple[str, dict[str, Any]]:
        # `HTMLExporter.from_notebook_node` less its BeautifulSoup pass (see the class doc)
        from nbconvert.exporters.templateexporter import TemplateExporter
        from nbconvert.filters.highlight import Highlight2HTML
        from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        untyped = cast("Callable[..., Any]", self.register_filter)  # nbconvert: unannotated
        untyped("highlight_code", self.filters.get(
            "highlight_code", cast("Callable[..., Any]", Highlight2HTML)(
                pygments_lexer=lexer, parent=self)))
        resources = self._init_resources(resources or {})
        untyped("filter_data_type", cast("Callable[..., Any]", WidgetsDataTypeFilter)(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources))
        convert = cast("Callable[..., tuple[str, dict[str, Any]]]",
                       TemplateExporter.from_notebook_node)
        html, resources = convert(self, nb, resources, **kw)
        html = _FOCUSABLE_DIV.sub(lambda m: m.group(0) + ' tabindex="0"', html)
        return _IMG_WITHOUT_ALT.sub(f'<img alt="{_NO_ALT}"', html), resources


def notebook_to_html(nb: nbformat.NotebookNode, cover: ReportCover, *,
                     self_contained: bool = True) -> tuple[str, tuple[str, ...]]:
    """(the report as one HTML text: cover, outputs without code, BokehJS once, print CSS;
    the shared files it references).

    `self_contained=True` embeds BokehJS and the style sheets in the page (one file, for
    e-mail; the second item is empty). `False` references them by relative file name
    (`bokeh-3.9.2.min.js`, `nbconvert-7.17.2-index.css`, …), about 1.5 MB a report less:
    the caller writes them beside the report once (`write_shared_files`)."""
    nb = without_bokehjs_loaders(nb)
    components = tuple(bokehjs_components(nb))
    bokehjs = bokehjs_scripts(components) if self_contained else ()
    files = () if self_contained else tuple(bokehjs_file_name(c) for c in components)
    css: list[str] | None = None if self_contained else []
    resources = {
        "metadata": {"name": cover.title if not cover.team_id
                     else f"{cover.title} — {cover.team_id}, {cover.period_label}"},
        "workbench": {**cover.as_resources(), "bokehjs": bokehjs, "bokehjs_files": files,
                      "shared_css": css},
    }
    exporter = _exporter()
    exporter.language_code = cover.language  # <html lang="…">; the exporter is this thread's
    body, _resources = exporter.from_notebook_node(nb, resources=resources)
    return body, (*files, *(css or ()))
