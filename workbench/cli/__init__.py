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
    from workbench.cli import core_cmds

    for command in core_cmds.COMMANDS:
        main.add_command(command)
    # Commands of other concerns register here, one import each.
    optional = [
        ("workbench.cli.spc_cmd", "spc"),
        ("workbench.cli.serve_cmd", "serve"),
        ("workbench.cli.rollup_cmd", "summary"),
        ("workbench.cli.data_cmds", "import_cmd"),
        ("workbench.cli.data_cmds", "template"),
        ("workbench.cli.data_cmds", "validate"),
        ("workbench.cli.data_cmds", "flags"),
        ("workbench.cli.data_cmds", "export"),
        ("workbench.cli.report_cmd", "report"),
    ]
    import importlib

    for module_name, attr in optional:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        main.add_command(getattr(module, attr))


_register()
