"""The funnel plot names the teams outside it: readable, never on another name or point."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.charts.collab import FUNNEL_LABELS, funnel_sources, place_labels

SIZE = (800, 340)
SPAN_X, SPAN_Y = (0.0, 3.0), (0.0, 1.0)


def _boxes(x, y, texts, placed):  # type: ignore[no-untyped-def]
    """Each placed name's box in plot px (up positive), as `place_labels` measures it."""
    w, h = SIZE[0] - 70, SIZE[1] - 150
    out = []
    for i, dx, dy, align, baseline in placed:
        cx, cy = x[i] / 3.0 * w + dx, y[i] * h - dy
        width = 6.0 * len(texts[i]) + 4
        left = {"center": cx - width / 2, "left": cx, "right": cx - width}[align]
        bottom = {"bottom": cy, "top": cy - 13.0, "middle": cy - 6.5}[baseline]
        out.append((left, bottom, left + width, bottom + 13.0))
    return out


def test_names_overlap_no_other_name_no_point_and_stay_inside_the_plot() -> None:
    x = np.array([1.0, 1.02, 1.04, 2.0, 2.8, 0.05])  # three close points: not all fit above
    y = np.array([0.5, 0.5, 0.5, 0.9, 0.95, 0.02])
    texts = ["Kisoro Hospital", "Bufumbira HC IV", "Rubuguri HC IV", "A", "Top right", "Low"]
    placed = place_labels(x, y, texts, range(6), x_span=SPAN_X, y_span=SPAN_Y, size=SIZE)
    boxes = _boxes(x, y, texts, placed)
    assert len(placed) >= 4
    for n, (a, b) in enumerate(zip(placed, boxes, strict=True)):
        left, bottom, right, top = b
        assert 0 <= left and right <= SIZE[0] - 70 and 0 <= bottom and top <= SIZE[1] - 150, a
        for other in boxes[n + 1:]:
            assert not (left < other[2] and other[0] < right and bottom < other[3]
                        and other[1] < top), (a, other)
        w, h = SIZE[0] - 70, SIZE[1] - 150
        for px, py in zip(x / 3.0 * w, y * h, strict=True):
            assert not (left - 5 < px < right + 5 and bottom - 5 < py < top + 5), a
    top_right = next(p for p in placed if p[0] == 4)
    assert top_right[3] == "right" or top_right[4] == "top"  # kept inside the corner


def test_the_funnel_names_only_teams_outside_it_furthest_first_at_most_twelve() -> None:
    rng = np.random.default_rng(7)
    den = rng.integers(20, 400, 60).astype(float)
    num = np.round(den * 0.6)
    num[:15] = np.round(den[:15] * np.linspace(0.05, 0.2, 15))  # 15 teams far below
    latest = pd.DataFrame({"team_id": [f"T{i:02d}" for i in range(60)],
                           "numerator": num, "denominator": den})
    data = funnel_sources(latest, {"indicator_id": "A", "direction": "increase"},
                          {f"T{i:02d}": f"Team {i}" for i in range(60)})
    teams = data["teams"]
    outside = {t for t, where in zip(teams["team"], teams["where"], strict=True)
               if where != "within the funnel"}
    p = num.sum() / den.sum()
    z = {f"Team {i}": abs(num[i] / den[i] - p) / np.sqrt(p * (1 - p) / den[i])
         for i in range(60)}
    named = data["labels"]["text"]
    assert 0 < len(named) <= FUNNEL_LABELS
    assert set(named) <= outside
    assert [z[t] for t in named] == sorted((z[t] for t in named), reverse=True)
    furthest = sorted(outside, key=z.__getitem__, reverse=True)[:FUNNEL_LABELS]
    assert set(named) <= set(furthest)  # only the twelve furthest out are candidates
