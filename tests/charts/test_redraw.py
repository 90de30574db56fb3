"""A live app's chart patches (`workbench.charts.redraw`): what reaches the browser is the
new data, in three comm messages whatever the number of arrays."""

from __future__ import annotations

from typing import Any

import numpy as np
from bokeh.document import Document
from bokeh.layouts import gridplot
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure
from bokeh.protocol import Protocol
from jupyter_bokeh import BokehModel

from workbench.charts.redraw import one_patch


class _Recording(BokehModel):  # type: ignore[misc]
    """A BokehModel that keeps what it would send to the browser."""

    def __init__(self, model: Any) -> None:
        super().__init__(model)
        self.sent: list[tuple[dict[str, Any], list[Any] | None]] = []

    def send(self, content: dict[str, Any], buffers: list[Any] | None = None) -> None:
        self.sent.append((content, buffers))


def _panels(n: int) -> Any:
    plots = []
    for i in range(n):
        fig = figure(width=150, height=120, title=f"T{i:02d}")
        fig.line("x", "y", source=ColumnDataSource({"x": np.arange(36.0), "y": np.zeros(36)},
                                                   name=f"T{i:02d}:points"))
        plots.append(fig)
    return gridplot(plots, ncols=6)


def test_a_patch_of_48_panels_is_three_messages_and_gives_the_browser_the_new_data() -> None:
    grid = _panels(48)
    model = _Recording(grid)
    browser = Document.from_json(grid.document.to_json())  # the page's copy, as rendered
    new = {f"T{i:02d}:points": np.linspace(0, 1, 36) * i for i in range(48)}
    with one_patch(model):
        for plot in grid.children:
            source = plot[0].renderers[0].data_source
            source.data = {"x": np.arange(36.0), "y": new[source.name]}
    assert len(model.sent) == 3  # header, metadata, content: no binary buffer pairs
    assert all(buffers is None for _content, buffers in model.sent)
    header, metadata, content = (part["payload"] for part, _buffers in model.sent)
    msg = Protocol().assemble(header, metadata, content)
    assert msg.header.get("num_buffers", 0) == 0
    msg.apply_to_document(browser)
    shown = {s.name: s.data["y"] for s in browser.select({"type": ColumnDataSource})}
    assert set(shown) == set(new)
    for name, values in new.items():
        np.testing.assert_array_equal(np.asarray(shown[name]), values)
