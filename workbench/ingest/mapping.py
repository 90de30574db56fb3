"""Mapping files: how DHIS2 data elements or Kobo/ODK questions become indicator counts.

A mapping is a small YAML file (an example ships as templates/dhis2_mapping.yaml)::

    source: dhis2                  # dhis2 | kobo
    org_units:                     # DHIS2 org unit (uid or code) -> team code
      DiszpKrYNg8: T01
    indicators:
      AMTSL:
        numerator: [f7n9E0hX8qk.HllvX50cXC0, f7n9E0hX8qk.ZD0aqZ7fjWd]   # operands, summed
        denominator: Ix2HsbDMLea      # a data element alone = all its category option combos
    unmapped_data_elements: ignore    # ignore (default) | error

Operands follow DHIS2's expression syntax `#{dataElement.categoryOptionCombo}` without the
braces (data-quality reference §1b); an empty category option combo in a data value means
`default`. A Kobo/ODK mapping names columns instead of operands::

    source: kobo
    kobo: {team: facility, period: month, comment: remarks}
    indicators:
      AMTSL: {numerator: amtsl/given, denominator: amtsl/births}

Group separators are normalised: Kobo's `group/question` and ODK Central's `group-question`
name the same column (reference §5). The team column may hold team codes or org units listed
under `org_units`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from workbench.errors import ConfigError
from workbench.i18n import N_
from workbench.model import shown

__all__ = ["Mapping", "load_mapping", "normalise_column"]

_PARTS = ("numerator", "denominator")


def normalise_column(name: str) -> str:
    """Kobo `g/q` and ODK `g-q` both become `g/q`; case and surrounding space are ignored."""
    return str(name).strip().replace("-", "/").lower()


@dataclass
class Mapping:
    """A parsed mapping file."""

    path: str
    source: str  # dhis2 | kobo
    org_units: dict[str, str] = field(default_factory=dict)
    # one row per operand: indicator_id, part, data_element, category_option_combo (None = any)
    operands: pd.DataFrame = field(default_factory=pd.DataFrame)
    # kobo: indicator_id, part, column
    columns: pd.DataFrame = field(default_factory=pd.DataFrame)
    kobo: dict[str, str] = field(default_factory=dict)
    unmapped_data_elements: str = "ignore"

    def team_of(self, org_unit: str) -> str:
        """The team code for an org unit (an unmapped org unit may already be a team code)."""
        return self.org_units.get(org_unit, org_unit)

    def org_unit_of(self) -> dict[str, str]:
        """team code -> org unit, for exports."""
        return {team: ou for ou, team in self.org_units.items()}


def _fail(path: Path, key: str, problem: str) -> ConfigError:
    return ConfigError(f"{path}, {key}: {problem}", file=str(path), key=key)


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file; a mistake raises ConfigError naming the key."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(N_("{path}: mapping file not found. Start from "
                             "templates/dhis2_mapping.yaml."),
                          params={"path": path}, file=str(path)) from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(N_("{path}: not a readable YAML mapping ({exc})."),
                          params={"path": path, "exc": exc}, file=str(path)) from exc
    if not isinstance(data, dict):
        raise _fail(path, "source", "the mapping must be a YAML mapping with source and "
                                    "indicators")
    source = str(data.get("source", "dhis2")).lower()
    if source not in ("dhis2", "kobo"):
        raise _fail(path, "source", f"must be dhis2 or kobo, not {shown(source)}")
    org_units = data.get("org_units") or {}
    if not isinstance(org_units, dict):
        raise _fail(path, "org_units", "must map org unit ids to team codes")
    unmapped = str(data.get("unmapped_data_elements", "ignore"))
    if unmapped not in ("ignore", "error"):
        raise _fail(path, "unmapped_data_elements",
                    f"must be ignore or error, not {shown(unmapped)}")
    indicators = data.get("indicators")
    if not isinstance(indicators, dict) or not indicators:
        raise _fail(path, "indicators", "is required: map each indicator code to its "
                                        "numerator and denominator")
    operands: list[dict[str, Any]] = []
    columns: list[dict[str, Any]] = []
    for indicator, parts in indicators.items():
        if not isinstance(parts, dict) or "numerator" not in parts:
            raise _fail(path, f"indicators.{indicator}", "needs numerator (and denominator)")
        for part, spec in parts.items():
            key = f"indicators.{indicator}.{part}"
            if part not in _PARTS:
                raise _fail(path, key, "only numerator and denominator can be mapped")
            items = spec if isinstance(spec, list) else [spec]
            if not items or any(not isinstance(i, str) or not i.strip() for i in items):
                raise _fail(path, key, "give a data element (de or de.coc) or a list of them")
            for item in items:
                if source == "kobo":
                    columns.append({"indicator_id": str(indicator), "part": part,
                                    "column": normalise_column(item)})
                else:
                    de, _, coc = item.strip().partition(".")
                    operands.append({"indicator_id": str(indicator), "part": part,
                                     "data_element": de, "category_option_combo": coc or None})
    kobo: dict[str, str] = {}
    if source == "kobo":
        raw = data.get("kobo") or {}
        for key in ("team", "period"):
            if not raw.get(key):
                raise _fail(path, f"kobo.{key}", "is required: the column holding the "
                                                 f"{key}")
        kobo = {k: normalise_column(v) for k, v in raw.items() if v}
    return Mapping(
        path=str(path), source=source,
        org_units={str(k): str(v) for k, v in org_units.items()},
        operands=pd.DataFrame(operands, columns=["indicator_id", "part", "data_element",
                                                 "category_option_combo"]),
        columns=pd.DataFrame(columns, columns=["indicator_id", "part", "column"]),
        kobo=kobo, unmapped_data_elements=unmapped,
    )
