"""`workbench serve`: the Voilà apps on a collaborative database."""

from __future__ import annotations

import click

from workbench.cli.options import db_option

__all__ = ["serve"]


@click.command()
@db_option
@click.option("--port", default=8866, show_default=True, type=click.IntRange(1, 65535),
              help="TCP port of the app server.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback needs --allow-remote.")
@click.option("--app", "app", metavar="NAME",
              help="Serve only this app, e.g. coach (default: every app in voila_apps/).")
@click.option("--allow-remote", is_flag=True,
              help="Allow a non-loopback --host (no login: prefer JupyterHub for many users).")
def serve(db: str | None, port: int, host: str, app: str | None, allow_remote: bool) -> None:
    """Serve the workbench apps (Voilà) until Ctrl-C, printing one URL per app.

    The learning-session, coach, PDSA journal, data-entry and validation-queue apps run on
    the database given by --db; kernels are preheated and idle ones culled. Works offline.

    Example: workbench serve --db workbench.db --port 8866
    """
    from workbench.apps.serve import serve as serve_apps
    from workbench.store import open_engine

    serve_apps(open_engine(db), port=port, host=host, app=app, allow_remote=allow_remote,
               echo=click.echo, note=lambda text: click.echo(text, err=True))
