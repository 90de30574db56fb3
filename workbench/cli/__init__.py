"""The `workbench` command: a thin click layer over the library.

Each command's docstring is its help and ends with an example. Domain errors
(`WorkbenchError`) become `Error: …` on stderr and exit 1; anything else is a bug and shows.
"""

from __future__ import annotations

from typing import Any

import click

from workbench.errors import WorkbenchError

__all__ = ["main"]


class WorkbenchGroup(click.Group):
    """A click group that turns domain errors into `Error: …` and exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WorkbenchError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=WorkbenchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="coaching-workbench")
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
        audit_cmd,
        core_cmds,
        data_cmds,
        practices_cmd,
        report_cmd,
        rollup_cmd,
        serve_cmd,
        spc_cmd,
        upgrade_cmd,
        users_cmd,
    )

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
        serve_cmd.serve,
        assess_cmd.assess,
        practices_cmd.practices,
        upgrade_cmd.upgrade,
        users_cmd.users,
        audit_cmd.audit,
    ):
        main.add_command(command)


_register()
