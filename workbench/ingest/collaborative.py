"""The collaborative definition (YAML) and `workbench init`.

A broken file gets one clear error naming the file, the key and its line:
`collaborative.yaml, line 14, indicators[2].direction: must be one of increase, decrease`.

The file is read with YAML's safe loader (no Python objects), at most `MAX_BYTES` long and
expanding to at most `MAX_VALUES` values: aliases (`*name`) may repeat a block, but an alias
bomb ("billion laughs") is refused in one line instead of exhausting memory.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, Engine

from workbench import i18n
from workbench.errors import ConfigError, Message, NotFoundError
from workbench.i18n import N_
from workbench.model import (
    DEFAULT_SETTINGS,
    is_date,
    is_period,
    merged_settings,
    period_problem,
)
from workbench.store import create_database, launch_package, read_collaborative, utcnow
from workbench.store import schema as s

__all__ = [
    "DEFAULT_SETTINGS",
    "MAX_BYTES",
    "MAX_VALUES",
    "collaborative_language",
    "is_valid_date",
    "load_collaborative",
    "init_collaborative",
    "write_collaborative",
]

#: Limits of a definition file: its size, and the values it expands to (aliases included).
MAX_BYTES = 5_000_000
MAX_VALUES = 200_000

#: A real calendar date written YYYY-MM-DD (the date rule of `workbench.model`).
is_valid_date = is_date
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")

_INDICATOR_TYPES = ("process", "outcome", "input")
_KINDS = ("proportion", "rate", "count", "mean")
_DIRECTIONS = ("increase", "decrease")
_CHARTS = ("p", "u", "c", "i", "run", "pp", "up")


class _Doc:
    """Parsed YAML plus the line of every key path, for error messages."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: dict[str, int] = {}
        self.values = 0
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                raise ConfigError(N_("{path}: the file is {size:.1f} MB; a collaborative "
                                     "definition is at most {most:.0f} MB. Check that this is "
                                     "the right file."),
                                  params={"path": path, "size": size / 1e6,
                                          "most": MAX_BYTES / 1e6},
                                  file=str(path))
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ConfigError(N_("{path}: file not found. Start from "
                                 "templates/collaborative.yaml."),
                              params={"path": path}, file=str(path)) from exc
        except UnicodeDecodeError as exc:
            raise ConfigError(N_("{path}: not UTF-8 text ({reason}). Save it as UTF-8."),
                              params={"path": path, "reason": exc.reason}, file=str(path)) from exc
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc)
            raise ConfigError(N_("{path}, line {line}: not valid YAML ({problem}). Check "
                                 "indentation and quoting there.") if mark else
                              N_("{path}: not valid YAML ({problem}). Check indentation "
                                 "and quoting there."),
                              params={"path": path, "line": mark.line + 1 if mark else None,
                                      "problem": problem},
                              file=str(path), line=mark.line + 1 if mark else None) from exc
        if node is None:
            raise ConfigError(N_("{path}: the file is empty. Start from "
                                 "templates/collaborative.yaml."),
                              params={"path": path}, file=str(path))
        try:
            self.data = self._build(node, "")
        except RecursionError as exc:  # an alias inside itself, or absurd nesting
            raise ConfigError(N_("{path}: the YAML is nested too deeply (an alias inside its own "
                                 "block?); remove the aliases (*name) there."),
                              params={"path": path}, file=str(path)) from exc

    def _build(self, node: yaml.Node, key: str) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            raise ConfigError(N_("{path}, line {line}: the file expands to more than "
                                 "{most:,} values (YAML aliases *name repeat a block each "
                                 "time); a collaborative definition is far smaller: remove the "
                                 "aliases."),
                              params={"path": self.path, "line": node.start_mark.line + 1,
                                      "most": MAX_VALUES},
                              file=str(self.path), line=node.start_mark.line + 1)
        self.lines[key] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out = {}
            for knode, vnode in node.value:
                name = str(knode.value)
                if name in out:
                    path = f"{key}.{name}" if key else name
                    raise ConfigError(N_("{path}, line {line}, {key}: the key appears twice; keep "
                                         "one."),
                                      params={"path": self.path, "line": knode.start_mark.line + 1,
                                              "key": path},
                                      file=str(self.path), key=path, line=knode.start_mark.line + 1)
                out[name] = self._build(vnode, f"{key}.{name}" if key else name)
                self.lines.setdefault(f"{key}.{name}" if key else name, knode.start_mark.line + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self._build(item, f"{key}[{i}]") for i, item in enumerate(node.value)]
        return _scalar(node)

    def fail(self, key: str, problem: object) -> ConfigError:
        """The error naming this file, the line of `key` (or of the nearest key above it) and
        the key; `problem` (a `Message`, or an error) reads in the language it is shown in."""
        line = self.lines.get(key)
        probe = key
        while line is None and probe:
            shorter = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", probe)
            probe = shorter if shorter != probe else ""  # a top-level key: the document
            line = self.lines.get(probe)
        return ConfigError(_AT[bool(line), bool(key)],
                           params={"path": self.path, "line": line, "key": key,
                                   "problem": problem},
                           file=str(self.path), key=key, line=line)


#: (line known, key known) -> where a definition's problem is
_AT = {(True, True): N_("{path}, line {line}, {key}: {problem}"),
       (True, False): N_("{path}, line {line}: {problem}"),
       (False, True): N_("{path}, {key}: {problem}"),
       (False, False): N_("{path}: {problem}")}


def _r(value: Any) -> str:
    """`repr(value)` as a message shows it: cut to 60 characters (a huge value stays short)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"


def _scalar(node: yaml.Node) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _req(doc: _Doc, obj: dict[str, Any], key: str, path: str,
         kind: type | tuple[type, ...] = str) -> Any:
    if key not in obj or obj[key] is None or obj[key] == "":
        raise doc.fail(f"{path}.{key}" if path else key, Message(N_("is required")))
    value = obj[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise doc.fail(f"{path}.{key}" if path else key,
                       Message(N_("must be a {names}, not {value}"),
                               {"names": names, "value": _r(value)}))
    return value


def _choice(doc: _Doc, obj: dict[str, Any], key: str, path: str, choices: tuple[str, ...],
            default: str) -> str:
    value = obj.get(key, default)
    if value not in choices:
        raise doc.fail(f"{path}.{key}", Message(N_("must be one of {choices}, not {value}"),
                                                {"choices": ", ".join(choices),
                                                 "value": _r(value)}))
    return str(value)


def _list(doc: _Doc, obj: dict[str, Any], key: str, path: str = "") -> list[Any]:
    value = obj.get(key) or []
    if not isinstance(value, list):
        raise doc.fail(f"{path}.{key}" if path else key,
                       Message(N_("must be a list (items starting with '- ')")))
    return value


def _number(doc: _Doc, obj: dict[str, Any], key: str, path: str, default: float) -> float:
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise doc.fail(f"{path}.{key}", Message(N_("must be a number, not {value}"),
                                                {"value": _r(value)}))
    return float(value)


def _period(doc: _Doc, value: Any, key: str) -> str:
    if not isinstance(value, str) or not is_period(value):
        raise doc.fail(key, period_problem(value))
    return value.strip()


def _code(doc: _Doc, value: Any, key: str) -> str:
    text = str(value)
    if not CODE.match(text):
        raise doc.fail(key, Message(N_("{value} is not a usable code: use letters, digits, "
                              "'-', '_' or '.', at most 40 characters"), {"value": _r(value)}))
    return text


def _texts(doc: _Doc, obj: dict[str, Any], key: str, path: str, translations: dict[str, Any],
           required: bool = False) -> str:
    """A text that may carry translations (`name: {en: …, fr: …}`): the source-language
    text (English, else the first given) is returned and the others are put in
    `translations[key]` as {language: text}."""
    value = _req(doc, obj, key, path, (str, int, float, dict)) if required else obj.get(key, "")
    if not isinstance(value, dict):
        return str(value)
    texts: dict[str, str] = {}
    for lang, text in value.items():
        try:
            code = i18n.normalize_language(str(lang))
        except ConfigError as exc:
            raise doc.fail(f"{path}.{key}.{lang}", exc) from exc
        if not isinstance(text, str | int | float):
            raise doc.fail(f"{path}.{key}.{lang}", Message(N_("a translation is one text")))
        texts[code] = str(text)
    if not texts:
        raise doc.fail(f"{path}.{key}", Message(N_("give the text, or its translations as "
                                          "{en: …, fr: …}")))
    source = texts.get(i18n.SOURCE_LANGUAGE) or next(iter(texts.values()))
    others = {lang: text for lang, text in texts.items() if lang != i18n.SOURCE_LANGUAGE}
    if others:
        translations[key] = others
    return source


def load_collaborative(path: str | Path) -> dict[str, Any]:
    """Parse and check a collaborative YAML; returns normalised records for every table.

    Read top to bottom: the collaborative (name, phase, start, settings), its indicators,
    waves, teams (each in a known wave), aims (each about a known indicator), learning
    sessions and change package; the first mistake is a `ConfigError` naming key and line.

    Indicator names and definitions, change ideas' names, descriptions and drivers may be
    given in several languages (`name: {en: …, fr: …}`): the English text goes in the table,
    the others in `settings.translations` (read back by `workbench.store` in the reader's
    language).
    """
    doc = _Doc(Path(path))
    translated: dict[str, dict[str, Any]] = {"indicators": {}, "change_ideas": {}}
    data = doc.data
    if not isinstance(data, dict):
        raise doc.fail("", Message(N_("the top level must be a mapping with keys "
                             "collaborative, indicators, waves, teams")))
    collab = _collaborative(doc, data)
    indicators = _indicators(doc, data, translated)
    waves = _waves(doc, data)
    teams = _teams(doc, data, {w["wave_id"]: w for w in waves})
    collab["aims"] = _aims(doc, _req(doc, data, "collaborative", "", dict),
                           {i["indicator_id"] for i in indicators})
    changes = _changes(doc, data, translated)
    if any(translated.values()):
        collab["settings"]["translations"] = {k: v for k, v in translated.items() if v}
    return {"collaborative": collab, "indicators": indicators, "waves": waves, "teams": teams,
            "learning_sessions": _sessions(doc, data), "change_ideas": changes}


def _collaborative(doc: _Doc, data: dict[str, Any]) -> dict[str, Any]:
    """The `collaborative:` section and the `settings:` overrides."""
    top = _req(doc, data, "collaborative", "", dict)
    collab: dict[str, Any] = {
        "name": str(_req(doc, top, "name", "collaborative")),
        "topic": str(top.get("topic", "")),
        "phase": _choice(doc, top, "phase", "collaborative", ("demonstration", "spread"),
                         "demonstration"),
        "description": str(top.get("description", "")),
        "start_period": _period(doc, _req(doc, top, "start_period", "collaborative", (str,)),
                                "collaborative.start_period"),
        "aims": [],
    }
    overrides = data.get("settings") or {}
    if not isinstance(overrides, dict):
        raise doc.fail("settings", Message(N_("must be a mapping of setting: value")))
    for key in overrides:
        if key not in DEFAULT_SETTINGS:
            known = ", ".join(sorted(DEFAULT_SETTINGS))
            raise doc.fail(f"settings.{key}", Message(N_("unknown setting; known: {known}"),
                                                      {"known": known}))
    if overrides.get("language"):
        try:
            overrides["language"] = i18n.normalize_language(str(overrides["language"]))
        except ConfigError as exc:
            raise doc.fail("settings.language", exc) from exc
    collab["settings"] = merged_settings(overrides)
    return collab


def _indicators(doc: _Doc, data: dict[str, Any], translated: dict[str, dict[str, Any]]
                ) -> list[dict[str, Any]]:
    """The `indicators:` list (codes unique, targets on their scale); their texts in other
    languages go in `translated["indicators"]`."""
    indicators = []
    seen: set[str] = set()
    for i, ind in enumerate(_req(doc, data, "indicators", "", list)):
        path = f"indicators[{i}]"
        if not isinstance(ind, dict):
            raise doc.fail(path, Message(N_("each indicator must be a mapping (code, name, "
                                   "type …)")))
        code = _code(doc, _req(doc, ind, "code", path, (str, int)), f"{path}.code")
        if code in seen:
            raise doc.fail(f"{path}.code", Message(N_("indicator code {code!r} is used twice"),
                                                   {"code": code}))
        seen.add(code)
        kind = _choice(doc, ind, "kind", path, _KINDS, "proportion")
        target = ind.get("target")
        if target is not None and (isinstance(target, bool) or not isinstance(target, int | float)):
            raise doc.fail(f"{path}.target", Message(N_("must be a number, not {target!r}"),
                                                     {"target": target}))
        if kind == "proportion" and target is not None and not 0 <= target <= 1:
            raise doc.fail(f"{path}.target", Message(N_("a proportion's target is between 0 "
                                               "and 1 (0.9 for 90 %), not {target!r}"),
                                                   {"target": target}))
        texts: dict[str, Any] = {}
        indicators.append({
            "indicator_id": code,
            "name": _texts(doc, ind, "name", path, texts, required=True),
            "type": _choice(doc, ind, "type", path, _INDICATOR_TYPES, "process"),
            "kind": kind,
            "numerator_definition": _texts(doc, ind, "numerator", path, texts),
            "denominator_definition": _texts(doc, ind, "denominator", path, texts),
            "target": None if target is None else float(target),
            "direction": _choice(doc, ind, "direction", path, _DIRECTIONS, "increase"),
            "chart": _choice(doc, ind, "chart", path, _CHARTS,
                             {"proportion": "p", "rate": "u", "count": "c"}.get(kind, "i")),
            "multiplier": _number(doc, ind, "multiplier", path,
                                  100.0 if kind == "proportion" else 1.0),
            "unit": str(ind.get("unit", "%" if kind == "proportion" else "")),
            "sort_order": i,
        })
        if texts:
            translated["indicators"][code] = {
                {"numerator": "numerator_definition",
                 "denominator": "denominator_definition"}.get(k, k): v for k, v in texts.items()}
    return indicators


def _waves(doc: _Doc, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The `waves:` list."""
    waves = []
    for i, wave in enumerate(_req(doc, data, "waves", "", list)):
        path = f"waves[{i}]"
        if not isinstance(wave, dict):
            raise doc.fail(path, Message(N_("each wave must be a mapping (code, name, "
                                   "start_period)")))
        waves.append({
            "wave_id": _code(doc, _req(doc, wave, "code", path, (str, int)), f"{path}.code"),
            "name": str(wave.get("name", wave["code"])),
            "start_period": _period(doc, _req(doc, wave, "start_period", path, str),
                                    f"{path}.start_period"),
        })
    return waves


def _teams(doc: _Doc, data: dict[str, Any], wave_ids: dict[str, dict[str, Any]]
           ) -> list[dict[str, Any]]:
    """The `teams:` list (codes unique, each in a defined wave)."""
    teams = []
    team_ids: set[str] = set()
    for i, team in enumerate(_req(doc, data, "teams", "", list)):
        path = f"teams[{i}]"
        if not isinstance(team, dict):
            raise doc.fail(path, Message(N_("each team must be a mapping (code, name, "
                                   "district, wave …)")))
        code = _code(doc, _req(doc, team, "code", path, (str, int)), f"{path}.code")
        if code in team_ids:
            raise doc.fail(f"{path}.code", Message(N_("team code {code!r} is used twice"),
                                                   {"code": code}))
        team_ids.add(code)
        wave = str(_req(doc, team, "wave", path, (str, int)))
        if wave not in wave_ids:
            known = ", ".join(wave_ids)
            raise doc.fail(f"{path}.wave", Message(N_("unknown wave {wave}; waves defined: "
                                                      "{known}"),
                                                   {"wave": _r(wave), "known": known}))
        joined = team.get("joined", wave_ids[wave]["start_period"])
        teams.append({
            "team_id": code,
            "name": str(_req(doc, team, "name", path)),
            "facility": str(team.get("facility", team["name"])),
            "district": str(team.get("district", "")),
            "region": str(team.get("region", "")),
            "wave_id": wave,
            "coach": str(team.get("coach", "")),
            "joined_period": _period(doc, joined, f"{path}.joined"),
        })
    return teams


def _aims(doc: _Doc, top: dict[str, Any], seen: set[str]) -> list[dict[str, Any]]:
    """The collaborative's `aims:` (each about a defined indicator, if it names one)."""
    aims: list[dict[str, Any]] = []
    for i, aim in enumerate(_list(doc, top, "aims", "collaborative")):
        path = f"collaborative.aims[{i}]"
        if not isinstance(aim, dict):
            raise doc.fail(path, Message(N_("each aim must be a mapping (aim, indicator, "
                                   "target, by)")))
        ind = aim.get("indicator")
        if ind is not None and str(ind) not in seen:
            raise doc.fail(f"{path}.indicator", Message(N_("unknown indicator {ind}"),
                                                        {"ind": _r(ind)}))
        aims.append({"aim": str(_req(doc, aim, "aim", path)),
                               "indicator_id": None if ind is None else str(ind),
                               "target": aim.get("target"), "by": aim.get("by")})
    return aims


def _sessions(doc: _Doc, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The `learning_sessions:` list (dates as YYYY-MM-DD)."""
    sessions = []
    for i, ls in enumerate(_list(doc, data, "learning_sessions")):
        path = f"learning_sessions[{i}]"
        if not isinstance(ls, dict):
            raise doc.fail(path, Message(N_("each learning session must be a mapping (name, "
                                   "date, wave)")))
        if isinstance(ls.get("date"), dt.date):
            ls["date"] = ls["date"].isoformat()
        date = str(_req(doc, ls, "date", path, str))
        if not is_date(date):
            raise doc.fail(f"{path}.date", Message(N_("must be a date as YYYY-MM-DD, not {date}"),
                                                   {"date": _r(date)}))
        sessions.append({"name": str(_req(doc, ls, "name", path)), "date": date,
                         "wave_id": ls.get("wave")})
    return sessions


def _changes(doc: _Doc, data: dict[str, Any], translated: dict[str, dict[str, Any]]
             ) -> list[dict[str, Any]]:
    """The `change_package:` list; texts in other languages go in
    `translated["change_ideas"]`."""
    changes = []
    for i, ch in enumerate(_list(doc, data, "change_package")):
        path = f"change_package[{i}]"
        if not isinstance(ch, dict):
            raise doc.fail(path, Message(N_("each change idea must be a mapping (code, name, "
                                   "indicators)")))
        texts: dict[str, Any] = {}
        change_id = _code(doc, _req(doc, ch, "code", path, (str, int)), f"{path}.code")
        changes.append({
            "change_id": change_id,
            "name": _texts(doc, ch, "name", path, texts, required=True),
            "description": _texts(doc, ch, "description", path, texts),
            "driver": _texts(doc, ch, "driver", path, texts),
            "source": "package",
            "team_id": None,
            "indicator_ids": [str(x) for x in ch.get("indicators", [])],
        })
        if texts:
            translated["change_ideas"][change_id] = texts
    return changes


def write_collaborative(conn: Connection, definition: dict[str, Any]) -> None:
    """Insert a loaded definition inside the caller's transaction."""
    if conn.execute(s.collaborative.select()).first() is not None:
        raise ConfigError(N_("this database already holds a collaborative; use a new --db path."))
    conn.execute(s.collaborative.insert().values(**definition["collaborative"],
                                                 created_at=utcnow()))
    for table, key in ((s.waves, "waves"), (s.indicators, "indicators"), (s.teams, "teams"),
                       (s.learning_sessions, "learning_sessions"),
                       (s.change_ideas, "change_ideas")):
        if definition[key]:
            conn.execute(table.insert(), definition[key])
    launch_package(conn)  # v1 of the change package, every wave joins with it


def init_collaborative(db: str | None, config: str | Path) -> Engine:
    """`workbench init`: check the YAML first, then create the database in one transaction."""
    definition = load_collaborative(config)
    engine = create_database(db)
    with engine.begin() as conn:
        write_collaborative(conn, definition)
    return engine


def definition_language(path: str | Path) -> str | None:
    """The `settings.language` a collaborative definition asks for, read leniently (the rest
    of the file may be wrong: `workbench init` tells its mistakes in that language), or None
    when the file cannot say (unreadable, not YAML, no such setting, an unknown language)."""
    try:
        file = Path(path)
        if file.stat().st_size > MAX_BYTES:
            return None
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        language = yaml.safe_load(text)["settings"]["language"]
    except (yaml.YAMLError, RecursionError, TypeError, KeyError):  # a broken file: its line
        found = _LANGUAGE_LINE.search(text)
        language = found.group(1) if found else None
    try:
        return i18n.normalize_language(language) if isinstance(language, str) else None
    except ConfigError:
        return None


#: `language: fr` under a top-level `settings:` (a file too broken for the YAML parser)
_LANGUAGE_LINE = re.compile(r"^settings:[^\n]*\n(?:(?:[ \t]+[^\n]*|[ \t]*)\n)*?[ \t]+language:"
                            r"[ \t]*[\"']?([A-Za-z_-]+)", re.MULTILINE)


def collaborative_language(engine: Engine, requested: str | None = None) -> str:
    """The language of a command, report or app on this database (`workbench.i18n`'s order):
    `requested`, else `$WORKBENCH_LANG`, else the collaborative's `settings.language`, else
    English."""
    def default() -> str | None:
        try:
            return (read_collaborative(engine).get("settings") or {}).get("language")
        except NotFoundError:
            return None

    return i18n.resolve_language(requested, default)
