"""The `workbench` command in the user's language: `--help` and click's own words.

The language is known only when the command runs, after every command object was made:
while click parses (help, usage errors) it is `--lang`, else `$WORKBENCH_LANG`
(`choose_language`); once a command's options are parsed it runs in `command_language`:
`--lang` > `$WORKBENCH_LANG` > the `settings.language` of the collaborative it opens >
English (`workbench.i18n.resolve_language`, the one place that decides it).
So the help texts stay English in the command objects and are translated
when they are shown: `localize_commands` gives every command of the tree a class whose
`format_help` and short help look each text up in the catalogue (the msgid is the text as
click shows it, `workbench.i18n.extract.cli_help_key`; Babel's `cli` extractor puts them in
the catalogue), and click's own messages (`Usage:`, `Options`, `Error: …`, `Missing option`)
go through `workbench.i18n.gettext` too.

Machine-readable output (`--json`, CSV) is never translated.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

import click

from workbench.errors import ConfigError
from workbench.i18n import (
    N_,
    SOURCE_LANGUAGE,
    gettext,
    ngettext,
    resolve_language,
    use_language,
)
from workbench.i18n.extract import cli_help_key

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["choose_language", "command_language", "language_from_args", "localize_commands",
           "translate_help"]

#: click's own messages a user of `workbench` meets (click marks them with gettext; they
#: are read through `workbench.i18n.gettext` once `localize_commands` ran).
CLICK_MESSAGES = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Positional arguments"),
    N_("Show this message and exit."), N_("Show the version and exit."),
    N_("Error: {message}"), N_("Try '{command} {option}' for help."),
    N_("Invalid value: {message}"), N_("Invalid value for {param_hint}: {message}"),
    N_("Missing argument"), N_("Missing option"), N_("Missing parameter"),
    N_("Missing {param_type}"), N_("Missing parameter: {param_name}"),
    N_("No such option {name!r}."), N_("No such command {name!r}."), N_("Missing command."),
    N_("Aborted!"), N_("default: {default}"), N_("env var: {var}"), N_("required"),
    N_("Option {name!r} requires an argument."),
    N_("Option {name!r} requires {nargs} arguments."),
    N_("Got unexpected extra argument ({args})"), N_("Got unexpected extra arguments ({args})"),
    N_("(Possible options: {possibilities})"),
    N_("{value!r} is not a valid integer."), N_("{value!r} is not a valid float."),
    N_("{value!r} is not one of {choices}."), N_("{value!r} is not {choice}."),
    N_("Confirm the action without prompting."), N_("Do you want to continue?"),
    N_("%(prog)s, version %(version)s"),
)

def _click_plurals() -> None:
    """click's own plural messages, marked here for the catalogue (click asks `ngettext`)."""
    ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 1)


_CLICK_MODULES = ("click.core", "click.exceptions", "click.formatting", "click.decorators",
                  "click.types", "click.parser", "click.termui")


def translate_help(text: str | None) -> str | None:
    """A click help text in the current language (English when the catalogue lacks it)."""
    if not text:
        return text
    key = cli_help_key(text)
    translated = gettext(key)
    return text if translated == key else translated


@contextmanager
def _translated(command: click.Command, ctx: click.Context) -> Iterator[None]:
    """The block sees `command`'s help texts (its own and its parameters') translated."""
    params = [p for p in command.get_params(ctx) if isinstance(p, click.Option)]
    saved = (command.help, command.short_help, command.epilog, [p.help for p in params])
    try:
        command.help = translate_help(command.help)
        command.short_help = translate_help(command.short_help)
        command.epilog = translate_help(command.epilog)
        for param in params:
            param.help = translate_help(param.help)
        yield
    finally:
        command.help, command.short_help, command.epilog = saved[:3]
        for param, text in zip(params, saved[3], strict=True):
            param.help = text


def command_language(params: Mapping[str, Any], group_lang: str | None = None,
                     engine: Engine | None = None) -> str:
    """The language a command speaks (`resolve_language`'s order): its `--lang` (else the
    group's: `workbench --lang fr import …`), else `$WORKBENCH_LANG`, else the
    `settings.language` of the collaborative in `engine` (the database the command opened;
    none before it opens one), else English."""
    requested = params.get("lang") or group_lang
    if engine is None:
        return resolve_language(requested)
    from workbench.ingest.collaborative import collaborative_language

    return collaborative_language(engine, requested)


@contextmanager
def _command_language(ctx: click.Context) -> Iterator[None]:
    """The block speaks the command's language: `command_language` now, and again with the
    collaborative's default once the command opens its database (`workbench.store.
    when_opened`: the command still opens it once; an error about a database that cannot be
    opened reads in the language chosen before)."""
    from workbench.cli.options import GROUP_LANG
    from workbench.store import when_opened

    group_lang = ctx.meta.get(GROUP_LANG)
    with ExitStack() as stack:
        # before the database: the language asked for, else the one chosen from the command
        # line and the environment while click parsed it (`choose_language`)
        stack.enter_context(use_language(ctx.params.get("lang") or group_lang))
        thread = threading.get_ident()

        def adopt(engine: Engine) -> None:
            if threading.get_ident() == thread:  # the command's own context, not a worker's
                stack.enter_context(use_language(
                    command_language(ctx.params, group_lang, engine)))

        stack.enter_context(when_opened(adopt))
        yield


class _Translating:
    """Mixed into a command's class: help shown in the current language, and a command run
    in its own language (`command_language`; a subcommand decides again for itself), its
    domain errors turned into `Error: …` in that language."""

    def invoke(self, ctx: click.Context) -> Any:
        from workbench.cli import domain_failure

        with _command_language(ctx):
            try:
                return super().invoke(ctx)  # type: ignore[misc]
            except Exception as exc:
                failure = domain_failure(exc)
                if failure is None:
                    raise
                raise failure from exc

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        command: Any = self
        with _translated(command, ctx):
            super().format_help(ctx, formatter)  # type: ignore[misc]

    def get_short_help_str(self, limit: int = 45) -> str:
        command: Any = self
        saved = command.help, command.short_help
        try:
            command.help = translate_help(command.help)
            command.short_help = translate_help(command.short_help)
            return str(super().get_short_help_str(limit))  # type: ignore[misc]
        finally:
            command.help, command.short_help = saved


_CLASSES: dict[type[click.Command], type[click.Command]] = {}


def _translating_class(cls: type[click.Command]) -> type[click.Command]:
    if cls not in _CLASSES:
        _CLASSES[cls] = type(f"Translating{cls.__name__}", (_Translating, cls),
                             {"__module__": __name__})
    return _CLASSES[cls]


def localize_commands(command: click.Command) -> None:
    """Give `command` and every command under it help in the current language, and route
    click's own messages through the catalogue (idempotent)."""
    for name in _CLICK_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
    if not isinstance(command, _Translating):
        command.__class__ = _translating_class(type(command))
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            localize_commands(sub)


def language_from_args(args: Sequence[str]) -> str | None:
    """The value of `--lang` / `--lang=` in a command line, if any (before click parses it:
    `--help` is printed while parsing)."""
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def choose_language(args: Sequence[str]) -> str:
    """The command's language from its command line, else `$WORKBENCH_LANG`, else English (an
    unknown one is left for `--lang`'s own check to report)."""
    for asked in (language_from_args(args), None):
        try:
            return resolve_language(asked)
        except ConfigError:
            continue
    return SOURCE_LANGUAGE
