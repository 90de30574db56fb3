"""A flag's message in the reader's language: one template per rule, its parameters kept with
the flag (`details["args"]`), rendered when it is shown.

The rules (`workbench.validate.rules`) store each finding's message in English — written by
`flag_text(code, args, "en")`, the same template — and its parameters in `details["args"]`;
every surface (the validation queue, `workbench flags`, the reports' flag tables and chart
notes) shows `flag_message(...)`, which renders the template in the current language with
its numbers in the locale (`1 234`, `87 %`). A flag stored before the parameters were kept
(no `details["args"]`) shows its stored English message.

Machine-readable output (`--json`, CSV exports) keeps the stored English message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from workbench.i18n import (
    N_,
    SOURCE_LANGUAGE,
    current_language,
    finite_number,
    format_count,
    format_number,
    format_percent,
    pgettext,
    use_language,
)
from workbench.i18n import gettext as _

__all__ = ["TEMPLATES", "flag_message", "flag_messages", "flag_text", "status_label"]

#: rule code → (template, {parameter: kind}); kinds: `g` a count (`{v:g}` in English),
#: `.0f`/`.1f`/`.2f` a number with that many decimals (`.2f` of nothing: "undefined"),
#: `.4g` a value, `str` a setting as written, `pct` a proportion as `87 %`, `pair` a
#: numerator/denominator pair (`25 / 31`), `gpair` two counts as `25/31`, `part` the word
#: numerator or denominator, `id` an identifier (an indicator code).
TEMPLATES: dict[str, tuple[str, dict[str, str]]] = {
    "numerator-exceeds-denominator": (
        N_("numerator {numerator} is more than denominator {denominator}"),
        {"numerator": "g", "denominator": "g"}),
    "negative-count": (N_("{part} {value} is negative; counts start at 0"),
                       {"part": "part", "value": "g"}),
    "non-integer-count": (N_("{part} {value} is not a whole number of events"),
                          {"part": "part", "value": "g"}),
    "zero-denominator": (N_("denominator is 0 but the numerator is {numerator}"),
                         {"numerator": "g"}),
    "incomplete-pair": (N_("{part} is missing; both parts are needed"), {"part": "part"}),
    "value-out-of-range": (N_("value {value} is outside the allowed range {low}–{high}"),
                           {"value": ".4g", "low": "str", "high": "str"}),
    "missing-report": (N_("no report for this month"), {}),
    "late-entry": (N_("first entered {days} days after the month ended (limit {limit})"),
                   {"days": ".0f", "limit": "str"}),
    "outlier-numerator": (
        N_("{part} {value} is far from the team's median {median} (modified z {z}, bound "
           "{bound})"),
        {"part": "part", "value": "g", "median": "g", "z": ".1f", "bound": "str"}),
    "sudden-jump": (
        N_("{value} is {delta} points from the mean of the previous {window} months ({prior})"),
        {"value": "pct", "delta": ".0f", "window": "str", "prior": "pct"}),
    "consistency-pair": (
        N_("{indicator} numerator {numerator} is more than the {other} denominator "
           "{denominator}"),
        {"indicator": "id", "numerator": "g", "other": "id", "denominator": "g"}),
    "verification-out-of-band": (
        N_("recount {recount} against reported {reported}: verification factor {factor} "
           "outside {low}–{high}"),
        {"recount": "pair", "reported": "pair", "factor": ".2f", "low": "str", "high": "str"}),
    "conflicting-duplicate": (
        N_("entered twice in one batch/day: {first} and {second}; confirm which is right"),
        {"first": "gpair", "second": "gpair"}),
}
TEMPLATES["outlier-denominator"] = TEMPLATES["outlier-numerator"]

_ALSO = N_("{message}; also: {others}")


def status_label(status: str) -> str:
    """A flag status (`open`, `confirmed` …) as a word in the current language."""
    return {"open": pgettext("flag status", "open"),
            "confirmed": pgettext("flag status", "confirmed"),
            "corrected": pgettext("flag status", "corrected"),
            "dismissed": pgettext("flag status", "dismissed"),
            "cleared": pgettext("flag status", "cleared")}.get(status, status)


def _part(value: Any) -> str:
    return {"numerator": pgettext("flag message", "numerator"),
            "denominator": pgettext("flag message", "denominator")}.get(str(value), str(value))


def _english(value: Any, kind: str) -> str:
    """The parameter as the rules have always written it."""
    if kind in ("g", ".4g", ".0f", ".1f", ".2f"):
        number = finite_number(value)
        if number is None:
            return pgettext("flag message", "undefined") if kind == ".2f" else f"{value}"
        return format(number, kind)
    if kind == "pct":
        return f"{float(value) * 100:.0f} %"
    if kind == "gpair":
        return "/".join("nan" if v is None else f"{float(v):g}" for v in value)
    if kind == "pair":
        from workbench.model import format_pair
        return format_pair(*value)
    return str(value)


def _local(value: Any, kind: str) -> str:
    """The parameter in the current language's formats."""
    number = finite_number(value) if kind not in ("pair", "gpair", "part", "id", "str") else None
    if kind in ("g", ".4g") and number is not None:
        return format_count(float(f"{number:.4g}") if kind == ".4g" else number)
    if kind in (".0f", ".1f", ".2f") and number is not None:
        return format_number(number, int(kind[1]))
    if kind == ".2f":
        return pgettext("flag message", "undefined")
    if kind == "pct" and number is not None:
        return format_percent(number, 0)
    if kind == "str":
        number = finite_number(value)
        return format_count(number) if number is not None else str(value)
    if kind == "pair":
        from workbench.model import format_pair
        return format_pair(*value)
    if kind == "gpair":
        return "/".join(format_count(v) if finite_number(v) is not None else "–" for v in value)
    return f"{value}"


def flag_text(rule_code: str, args: Mapping[str, Any], language: str | None = None) -> str:
    """The message of a `rule_code` finding with parameters `args`, in `language` (default:
    the current one); English is the stored form. KeyError for an unknown rule."""
    template, kinds = TEMPLATES[rule_code]
    with use_language(language):
        english = current_language() == SOURCE_LANGUAGE
        values = {}
        for name, kind in kinds.items():
            value = args[name]
            if kind == "part":
                values[name] = str(value) if english else _part(value)
            else:
                values[name] = _english(value, kind) if english else _local(value, kind)
        return _(template).format(**values)


def flag_message(rule_code: str, message: str, details: Mapping[str, Any] | None,
                 language: str | None = None) -> str:
    """A stored flag's message in `language` (default: the current one), with the findings
    attached to it (`details["also"]`); the stored `message` when its parameters were not
    kept (a flag from before) or do not fit the template."""
    details = details if isinstance(details, Mapping) else {}
    args = details.get("args")
    if not isinstance(args, Mapping) or rule_code not in TEMPLATES:
        return str(message)
    try:
        text = flag_text(rule_code, args, language)
        others = []
        for item in details.get("also") or []:
            also_args = item.get("args")
            if not isinstance(also_args, Mapping):
                return str(message)
            code = str(item["rule_code"])
            others.append(f"{code} ({flag_text(code, also_args, language)})")
    except (KeyError, TypeError, ValueError, IndexError):
        return str(message)
    if not others:
        return text
    with use_language(language):
        return _(_ALSO).format(message=text, others="; ".join(others))


def flag_messages(flags: pd.DataFrame, language: str | None = None) -> pd.Series:
    """`flag_message` of every row of a flags frame (columns rule_code, message, details)."""
    if flags.empty:
        return pd.Series([], index=flags.index, dtype=object)
    return pd.Series([flag_message(str(code), str(message), details, language)
                      for code, message, details in zip(
                          flags["rule_code"], flags["message"],
                          flags["details"] if "details" in flags else [None] * len(flags),
                          strict=True)],
                     index=flags.index, dtype=object)
