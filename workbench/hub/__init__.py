"""JupyterHub as the front door of a multi-user workbench: `workbench hub init DIR` writes
the hub's config (`workbench.hub.config`); `workbench.hub.auth` runs inside the hub."""

from workbench.hub.config import HubSettings, config_text, proxy_command, write_hub_config

__all__ = ["HubSettings", "config_text", "proxy_command", "write_hub_config"]
