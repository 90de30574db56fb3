"""The collaborative summary's small multiples (`charts.collab.static_small_multiples`, copies
of a prototype) draw what `charts.series.small_multiples` (built from scratch, for apps that
redraw) draws: the same panels in the same order, the same titles, the same shared x and y
ranges, the same data behind every glyph that draws something, and the same sizes."""

from __future__ import annotations

from pathlib import Path

import pytest
from bokeh.core.property.vectorization import Field
from bokeh.models import ColumnDataSource, GlyphRenderer

from workbench.briefs.collaborative_summary import collaborative_summary_data
from workbench.briefs.tables import _indicator_dicts
from workbench.charts.collab import static_small_multiples
from workbench.charts.series import small_multiples
from workbench.store import open_engine


@pytest.fixture(scope="module")
def summary(demo_db_master: Path):  # type: ignore[no-untyped-def]
    return collaborative_summary_data(open_engine(str(demo_db_master)), "2026-10")


def _panels(grid) -> list:  # type: ignore[no-untyped-def]
    return [child[0] for child in grid.children]


def _plain(values) -> list:  # type: ignore[no-untyped-def]
    """Values to compare: NaN (which equals nothing, itself included) as None."""
    return [None if isinstance(v, float) and v != v else v for v in values]


def _sources(fig) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    """The data of each source a glyph draws from, by its kind (`points`, `lines`, …)."""
    out = {}
    for renderer in fig.select({"type": GlyphRenderer}):
        source = renderer.data_source
        assert isinstance(source, ColumnDataSource)
        out[str(source.name).split(":")[-1]] = {k: _plain(v) for k, v in source.data.items()}
    return out


@pytest.mark.parametrize("indicator_id", ["AMTSL", "PPH"])
def test_static_small_multiples_draw_what_small_multiples_draw(summary, indicator_id) -> None:  # type: ignore[no-untyped-def]
    info = _indicator_dicts(summary.indicators)[indicator_id]
    built = small_multiples(summary.spc, info, team_labels=summary.team_labels, ncols=3)
    copied = static_small_multiples(summary.spc, info, team_labels=summary.team_labels, ncols=3)
    assert copied.name == built.name
    assert len(copied.children) == len(built.children) == 48
    for (fig, row, col), (ref, ref_row, ref_col) in zip(copied.children, built.children,
                                                        strict=True):
        assert (row, col) == (ref_row, ref_col)
        assert fig.title.text == ref.title.text
        assert (fig.width, fig.height) == (ref.width, ref.height)
        assert (fig.x_range.start, fig.x_range.end) == (ref.x_range.start, ref.x_range.end)
        assert (fig.y_range.start, fig.y_range.end) == (ref.y_range.start, ref.y_range.end)
        mine, theirs = _sources(fig), _sources(ref)
        assert set(mine) <= set(theirs)
        for kind, data in mine.items():
            assert data == theirs[kind], (fig.title.text, kind)
    # one shared range for every panel, as in the grid built from scratch
    assert len({id(fig.y_range) for fig in _panels(copied)}) == 1
    assert len({id(fig.x_range) for fig in _panels(copied)}) == 1


def _glyphs(fig) -> dict[tuple, dict]:  # type: ignore[no-untyped-def]
    """Each glyph of a panel by (kind, source kind, its data columns) -> the columns' data."""
    out = {}
    for renderer in fig.select({"type": GlyphRenderer}):
        glyph, data = renderer.glyph, renderer.data_source.data
        fields = sorted(value.field for value in glyph.properties_with_values(
            include_defaults=False).values() if isinstance(value, Field))
        key = (type(glyph).__name__, str(renderer.data_source.name).split(":")[-1],
               tuple(fields))
        out[key] = {field: _plain(data[field]) for field in fields if field in data}
    return out


def _draws_something(columns: dict) -> bool:
    """A glyph draws something when it has rows and every position column has a number."""
    positions = [c for c in columns if c.startswith(("x", "y")) or c in (
        "ucl", "lcl", "cl_plain", "cl_signal", "target")]
    rows = len(next(iter(columns.values()), []))
    return any(all(columns[c][i] is not None for c in positions) for i in range(rows))


def test_a_copied_panel_leaves_out_only_glyphs_that_draw_nothing(summary) -> None:  # type: ignore[no-untyped-def]
    info = _indicator_dicts(summary.indicators)["AMTSL"]
    built = small_multiples(summary.spc, info, team_labels=summary.team_labels, ncols=3)
    copied = static_small_multiples(summary.spc, info, team_labels=summary.team_labels, ncols=3)
    left_out = 0
    for fig, ref in zip(_panels(copied), _panels(built), strict=True):
        mine, theirs = _glyphs(fig), _glyphs(ref)
        assert set(mine) <= set(theirs), fig.title.text
        for key, columns in theirs.items():
            if key in mine:
                assert mine[key] == columns, (fig.title.text, key)
            else:
                left_out += 1
                assert not _draws_something(columns), (fig.title.text, key)
    assert left_out > 0  # the copies are sparse: glyphs that draw nothing are left out
