"""The `workbench` command: a thin click layer over the library.

Each command's docstring is its help and ends with an example. Domain errors
(`WorkbenchError`) become `Error: …` on stderr and exit 1, and so do the database's own
refusals that a user can act on (`database_failure`: read-only, locked past the busy timeout,
damaged, full); anything else is a bug and shows.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click
from sqlalchemy.exc import DBAPIError

from workbench.cli.options import check_group_lang
from workbench.errors import WorkbenchError, render_message
from workbench.i18n import N_

__all__ = ["main", "database_failure", "domain_failure", "error_line"]

#: The longest `Error:` line printed; longer ones lose their middle (a value echoed whole).
MAX_ERROR_LINE = 1_000


def error_line(message: str) -> str:
    """A domain error's message as one printed line: line breaks become spaces and a message
    longer than `MAX_ERROR_LINE` keeps its start and its end (the fix) around `…`."""
    text = " ".join(message.split())
    if len(text) <= MAX_ERROR_LINE:
        return text
    half = MAX_ERROR_LINE // 2
    return f"{text[:half]} … {text[-half:]}"

#: (words of the driver's message, what to tell the user) — SQLite's and PostgreSQL's wording
_DATABASE_FAILURES = (
    (("readonly database", "read-only"),
     N_("the database is read-only ({reason}); nothing was written. Use a copy you may write "
        "to, or ask who manages the file or server for write access.")),
    (("database is locked", "lock timeout", "could not obtain lock"),
     N_("the database is busy: another write (an import, a save or a review) held it past the "
        "wait ({reason}). Nothing was written; try again when it has finished.")),
    (("file is not a database", "malformed", "disk image"),
     N_("the database file is damaged or is not a SQLite database ({reason}). Point --db at a "
        "workbench database, or restore it from a backup.")),
    (("database or disk is full", "no space left"),
     N_("the disk is full ({reason}); nothing was written. Free some space and try again.")),
)


def database_failure(exc: DBAPIError) -> str | None:
    """The one-line message for a database refusal the user can act on, else None (a bug)."""
    reason = " ".join(str(exc.orig).split()).rstrip(".")
    lowered = reason.lower()
    for words, message in _DATABASE_FAILURES:
        if any(word in lowered for word in words):
            return render_message(message, {"reason": reason[:120]})
    return None


class WorkbenchGroup(click.Group):
    """A click group that turns domain errors into `Error: …` and exit 1, and speaks the
    user's language (`--lang`, `$WORKBENCH_LANG`: `workbench.cli.help_language`)."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **kwargs: Any) -> Any:
        from workbench.cli.help_language import choose_language
        from workbench.hugepages import prefer_small_pages
        from workbench.i18n import use_language

        prefer_small_pages()  # before the work; kernels and workers started here inherit it
        words = list(sys.argv[1:] if args is None else args)
        with use_language(choose_language(words)):
            return super().main(args, *rest, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            failure = domain_failure(exc)
            if failure is None:
                raise
            raise failure from exc


class _ToldIn(click.ClickException):
    """An `Error: …` whose prefix reads in the language of its message (`workbench init`
    speaks its definition's language while the command line spoke another)."""

    def __init__(self, message: str, language: str) -> None:
        super().__init__(message)
        self.language = language

    def show(self, file: Any = None) -> None:
        from workbench.i18n import use_language

        with use_language(self.language):
            super().show(file)


def domain_failure(exc: BaseException) -> click.ClickException | None:
    """The `Error: …` of an error the user can act on (a `WorkbenchError`, a database
    refusal), in the current language; None for anything else (a bug: it shows)."""
    if isinstance(exc, WorkbenchError):
        from workbench.i18n import current_language

        return _ToldIn(error_line(str(exc)), current_language())
    if isinstance(exc, DBAPIError):
        message = database_failure(exc)
        return None if message is None else click.ClickException(message)
    return None


@click.group(cls=WorkbenchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="coaching-workbench")
@click.option("--lang", metavar="LANG", expose_value=False, is_eager=True,
              callback=check_group_lang,
              help="Language of the help and messages: en, fr … [default: $WORKBENCH_LANG, "
                   "else en]. Each command's own --lang also sets what it writes.")
def main() -> None:
    """Coaching workbench for health-care improvement collaboratives.

    Start with `workbench demo` to build and open the demo collaborative, or
    `workbench init --db my.db --config collaborative.yaml` for your own.

    Example: workbench status --db workbench.db --json
    """


def _register() -> None:
    """Add every command; each module holds the commands of one concern."""
    from workbench.cli import (
        assess_cmd,
        core_cmds,
        cycle_cmd,
        data_cmds,
        report_cmd,
        rollup_cmd,
        serve_cmd,
    )
    from workbench.cli.admin import (
        audit_cmd,
        hub_cmd,
        measure_cmd,
        package_cmd,
        upgrade_cmd,
        users_cmd,
    )
    from workbench.cli.analysis import practices_cmd, snapshot_cmd, spc_cmd
    from workbench.cli.help_language import localize_commands

    for command in (
        *core_cmds.COMMANDS,
        data_cmds.import_cmd,
        data_cmds.template,
        data_cmds.validate,
        data_cmds.flags,
        data_cmds.export,
        spc_cmd.spc,
        rollup_cmd.summary,
        report_cmd.report,
        cycle_cmd.cycle,
        serve_cmd.serve,
        assess_cmd.assess,
        practices_cmd.practices,
        package_cmd.package,
        measure_cmd.measure,
        upgrade_cmd.upgrade,
        users_cmd.users,
        audit_cmd.audit,
        hub_cmd.hub,
        snapshot_cmd.snapshot,
    ):
        main.add_command(command)
    localize_commands(main)


_register()
