"""Copies of a bokeh figure at a fraction of the cost of building it: for report charts.

Building a bokeh model is slow: `HasProps.__init__` validates every value it is given and
computes every "unstable" default (each axis its ticker and formatter, each plot its toolbar,
each model its lists and dicts of callbacks and tags), which is about 70 % of what a team
report's charts cost. Two charts of the same *shape* (the same glyphs, legend entries, tools
and styling: `workbench.charts.series` decides what a shape is) differ only in a handful of
values: their data, titles, ranges and a few labels. So a report builds each shape once per
process (the *prototype*) and every chart of that shape is a copy of it (`clone`) with its own
values set through bokeh's ordinary properties.

`clone(model)` copies a graph of bokeh models without running their constructors: every
model gets a new instance of its class with a new id (bokeh's own id scheme), a copy of its
property values (containers copied and owned by the copy, referenced models cloned once each,
so shared references stay shared) and no document. The copy is a bokeh model like any other:
it can be changed, shown, validated and serialised, and it shares nothing mutable with the
prototype. Tests compare the document of a copy, value for value, with the document of a
chart built from scratch (`tests/charts/test_prototype.py`).
"""

from __future__ import annotations

import copy
import dataclasses
import gc
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np
from bokeh.core.has_props import HasProps
from bokeh.core.property.wrappers import (
    PropertyValueColumnData,
    PropertyValueContainer,
    PropertyValueDict,
    PropertyValueList,
    PropertyValueSet,
)
from bokeh.model import Model
from bokeh.settings import settings
from bokeh.util import serialization as ids
from bokeh.util.serialization import make_globally_unique_id

__all__ = ["PrototypeCache", "clone", "id_maker"]

M = TypeVar("M", bound=Model)

#: per-instance attributes of a bokeh model that are not properties: reset on the copy
_FRESH = {"_document": None, "_temp_document": None}


def clone(model: M, memo: dict[int, Any] | None = None) -> M:
    """A copy of `model` and of every model it refers to (see the module docstring).

    `memo` (id of an original -> its copy) is filled in: pass a dict to find the copy of any
    model of the graph afterwards."""
    enabled = gc.isenabled()
    gc.disable()  # a copy is thousands of small objects: no collection half-way through
    try:
        copy: M = _clone_model(model, {} if memo is None else memo, id_maker())
        return copy
    finally:
        if enabled:
            gc.enable()


def id_maker() -> Callable[[], str]:
    """`bokeh.util.serialization.make_id`, with bokeh's settings read once per copy."""
    if not settings.simple_ids():
        return make_globally_unique_id

    def simple_id() -> str:  # bokeh's own counter, so that ids never clash with bokeh's
        with ids._simple_id_lock:
            ids._simple_id += 1
            return f"p{ids._simple_id}"

    return simple_id


def _clone_model(model: Any, memo: dict[int, Any], make_id: Callable[[], str]) -> Any:
    done = memo.get(id(model))
    if done is not None:
        return done
    cls = type(model)
    new = object.__new__(cls)  # what Model.__new__ does, apart from the id (below)
    memo[id(model)] = new
    state = new.__dict__
    for key, value in model.__dict__.items():
        if key == "_id":
            state[key] = make_id()
        elif key in _FRESH:
            state[key] = _FRESH[key]
        elif key in ("_callbacks", "_event_callbacks"):
            state[key] = {name: list(callbacks) for name, callbacks in value.items()}
        elif key in ("_property_values", "_unstable_default_values",
                     "_unstable_themed_values"):
            state[key] = {}
        else:
            state[key] = _clone_value(value, memo, make_id, None, None)
    for key in ("_property_values", "_unstable_default_values", "_unstable_themed_values"):
        values = getattr(model, key, None)
        if values is None:
            continue
        target = state[key]
        for name, value in values.items():
            target[name] = _clone_value(value, memo, make_id, new, name)
    return new


def _clone_value(value: Any, memo: dict[int, Any], make_id: Callable[[], str],
                 owner: HasProps | None, name: str | None) -> Any:
    if isinstance(value, HasProps):
        return _clone_model(value, memo, make_id)
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if isinstance(value, PropertyValueContainer):
        out: Any
        if isinstance(value, PropertyValueColumnData):
            out = PropertyValueColumnData({key: _clone_column(col, memo, make_id)
                                           for key, col in value.items()})
        elif isinstance(value, PropertyValueDict):
            out = type(value)({key: _clone_value(item, memo, make_id, None, None)
                               for key, item in value.items()})
        elif isinstance(value, PropertyValueList):
            out = type(value)([_clone_value(item, memo, make_id, None, None) for item in value])
        elif isinstance(value, PropertyValueSet):
            out = type(value)(_clone_value(item, memo, make_id, None, None) for item in value)
        else:  # a container kind this module does not know: let copy do it
            out = copy.copy(value)
            out._owners = set()
        if owner is not None and name is not None:
            out._register_owner(owner, owner.lookup(name))
        return out
    if isinstance(value, list):
        return [_clone_value(item, memo, make_id, None, None) for item in value]
    if isinstance(value, tuple):
        return tuple(_clone_value(item, memo, make_id, None, None) for item in value)
    if isinstance(value, dict):
        return {key: _clone_value(item, memo, make_id, None, None) for key, item in value.items()}
    if isinstance(value, set):
        return {_clone_value(item, memo, make_id, None, None) for item in value}
    if isinstance(value, np.ndarray):
        return value.copy()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = copy.copy(value)  # vectorised values (field, value, expr): fields copied too
        for item in dataclasses.fields(value):
            object.__setattr__(out, item.name,
                               _clone_value(getattr(value, item.name), memo, make_id, None, None))
        return out
    return value  # immutable: numbers, dates, enums, bokeh's sentinels (Undefined, ...)


def _clone_column(column: Any, memo: dict[int, Any], make_id: Callable[[], str]) -> Any:
    if isinstance(column, np.ndarray):
        return column.copy()
    return _clone_value(column, memo, make_id, None, None)


P = TypeVar("P")


class PrototypeCache:
    """At most `size` prototypes by shape key, the least recently used dropped first."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self.built = 0  # how many prototypes were built (for tests and benchmarks)

    def get(self, key: Hashable, build: Callable[[], P]) -> P:
        """The prototype of `key`, built by `build()` the first time."""
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]  # type: ignore[no-any-return]
        item = build()
        self.built += 1
        self._items[key] = item
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return item

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
