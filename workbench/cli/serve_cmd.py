"""`workbench serve`: the Voilà apps on a collaborative database."""

from __future__ import annotations

import click

from workbench.apps.server.serve_guard import (
    CULL_IDLE_SECONDS,
    DEFAULT_MAX_KERNELS,
    DEFAULT_MAX_KERNELS_PER_APP,
)
from workbench.cli.options import db_option, lang_option

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
@click.option("--max-kernels", default=DEFAULT_MAX_KERNELS, show_default=True,
              type=click.IntRange(1, None),
              help="App pages open at once, all apps together (one kernel each); beyond it "
                   "a 'busy' page asks to retry.")
@click.option("--max-kernels-per-app", default=DEFAULT_MAX_KERNELS_PER_APP, show_default=True,
              type=click.IntRange(1, None), help="App pages of one app open at once.")
@click.option("--cull-idle-seconds", default=CULL_IDLE_SECONDS, show_default=True,
              type=click.IntRange(10, None),
              help="Shut down a kernel no page is connected to after this many idle seconds.")
@click.option("--user", "user", metavar="NAME",
              help="Every save in the apps goes under NAME [default: $WORKBENCH_USER; with "
                   "neither, each person types a name once on the page; under JupyterHub "
                   "always the hub's user].")
@lang_option
def serve(db: str | None, port: int, host: str, app: str | None, allow_remote: bool,
          max_kernels: int, max_kernels_per_app: int, cull_idle_seconds: int,
          user: str | None, lang: str | None) -> None:
    """Serve the workbench apps (Voilà) until Ctrl-C, printing one URL per app.

    The learning-session, coach, PDSA journal, data-entry and validation-queue apps run on
    the database given by --db; kernels are preheated, freed when a page is closed and
    culled when idle. Each open page holds one kernel (~150-200 MB): past --max-kernels (or
    --max-kernels-per-app) a page says the workbench is busy and retries by itself. Another
    web site cannot start apps (an app URL in its <img> gets no kernel). Works offline.
    --lang fr serves them in French (one page can ask for another language: ?lang=en).
    --user amina records every save as amina (a page's ?user=NAME names someone else); with
    no user known, a form asks the person's name once before anything is saved.

    Example: workbench serve --db workbench.db --port 8866 --max-kernels 12 --user amina
    """
    from workbench.apps.server.serve import serve as serve_apps
    from workbench.store import open_engine

    serve_apps(open_engine(db), port=port, host=host, app=app, allow_remote=allow_remote,
               max_kernels=max_kernels, max_kernels_per_app=max_kernels_per_app,
               cull_idle_timeout=cull_idle_seconds,
               echo=click.echo, note=lambda text: click.echo(text, err=True), lang=lang,
               user=user)
