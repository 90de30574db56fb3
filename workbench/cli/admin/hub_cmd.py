"""`workbench hub init DIR`: JupyterHub as the front door (a thin layer over
workbench.hub.config)."""

from __future__ import annotations

import click

from workbench.cli.options import db_option
from workbench.i18n import gettext as _

__all__ = ["hub"]


@click.group()
def hub() -> None:
    """JupyterHub in front of the apps: logins, one server per user, idle servers culled.

    Example: workbench hub init hub/ --db postgresql://workbench@dbhost/collab
    """


@hub.command("init")
@db_option
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--ip", default="127.0.0.1", show_default=True,
              help="Address the hub listens on (0.0.0.0 behind a TLS proxy for other machines).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help="The hub's public port.")
@click.option("--hub-port", default=8081, show_default=True, type=click.IntRange(1, 65535),
              help="The hub's internal API port (loopback).")
@click.option("--proxy-api-port", default=8001, show_default=True,
              type=click.IntRange(1, 65535), help="configurable-http-proxy's API port.")
@click.option("--max-servers", default=40, show_default=True, type=int,
              help="Servers running at once, all users together (one per user).")
@click.option("--idle-timeout", default=1800, show_default=True, type=int,
              help="Seconds without activity before a user's server is stopped.")
@click.option("--proxy", metavar="PATH",
              help="configurable-http-proxy to use [default: .hub/ from `make hub-proxy`, "
                   "else PATH].")
@click.option("--force", is_flag=True, help="Write the config again over an existing one.")
def init(db: str | None, directory: str, ip: str, port: int, hub_port: int,
         proxy_api_port: int, max_servers: int, idle_timeout: int, proxy: str | None,
         force: bool) -> None:
    """Write DIRECTORY/jupyterhub_config.py: the collaborative's users log in (a password
    chosen at first use), each gets their own server running the Voilà apps as themselves,
    hub groups follow their workbench roles, idle servers are culled, servers are capped.
    Use PostgreSQL for a shared store. Then run: jupyterhub -f DIRECTORY/jupyterhub_config.py

    Example: workbench hub init hub/ --db postgresql://workbench@dbhost/collab --max-servers 40
    """
    from workbench.hub import write_hub_config

    target = write_hub_config(directory, db, port=port, ip=ip, hub_port=hub_port,
                              proxy_api_port=proxy_api_port, active_server_limit=max_servers,
                              idle_timeout=idle_timeout, proxy=proxy, force=force)
    click.echo(_("Wrote {path}. Start the hub: jupyterhub -f {path}").format(path=target))
    click.echo(_("Then open {url} and log in with a workbench user's name.").format(
        url=f"http://{ip}:{port}/"))
