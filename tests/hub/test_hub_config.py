"""`workbench hub init`: the JupyterHub config it writes, and what the hub's side decides."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from workbench.cli import main
from workbench.errors import ConfigError
from workbench.hub.auth import hub_groups, landing_url
from workbench.hub.config import HubSettings, config_text, write_hub_config
from workbench.store import User, add_user, open_engine


def test_a_hub_needs_the_collaboratives_users_first(empty_db, tmp_path):
    result = CliRunner().invoke(main, ["hub", "init", str(tmp_path / "hub"), "--db", empty_db,
                                       "--proxy", "/usr/bin/true"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: the collaborative has no users yet, so nobody "
                                    "could log in to the hub. Add them first: workbench users "
                                    "add NAME --role admin")
    assert not (tmp_path / "hub").exists()


def test_the_config_caps_servers_culls_idle_ones_and_names_the_store(empty_db, tmp_path):
    add_user(open_engine(empty_db), "root", ["admin"])
    target = write_hub_config(tmp_path / "hub", empty_db, port=9000, active_server_limit=12,
                              idle_timeout=900, proxy="/opt/chp")
    text = target.read_text()
    compile(text, str(target), "exec")
    for line in ("c.JupyterHub.port = 9000",
                 "c.JupyterHub.allow_named_servers = False",
                 "c.JupyterHub.active_server_limit = 12",
                 '"--timeout=900"]',
                 '"-m", "jupyterhub_idle_culler"',
                 'c.JupyterHub.authenticator_class = "workbench.hub.auth.WorkbenchAuthenticator"',
                 "c.ConfigurableHTTPProxy.command = ['/opt/chp']",
                 f"or 'sqlite:///{tmp_path / 'collab.db'}'"):
        assert line in text, line
    with pytest.raises(ConfigError, match="exists; add --force"):
        write_hub_config(tmp_path / "hub", empty_db, proxy="/opt/chp")


def test_the_store_password_is_not_written(tmp_path):
    text = config_text(HubSettings(db_url="postgresql://wb:s3cret@db.example/collab",
                                   hub_dir=tmp_path, proxy="/opt/chp"))
    assert "s3cret" not in text
    assert "'postgresql://wb@db.example/collab'" in text
    assert 'os.environ.get("WORKBENCH_HUB_DB")' in text


@pytest.mark.parametrize("user, url", [
    (User("tom", ("team_member",), teams=("T02",)), "/voila/render/data_entry.ipynb?team=T02"),
    (User("amina", ("coach", "validator"), teams=("T01", "T03")),
     "/voila/render/coach.ipynb?team=T01"),
    (User("vera", ("validator",)), "/voila/render/validation_queue.ipynb"),
    (User("fay", ("facilitator",)), "/voila/render/learning_session.ipynb"),
])
def test_each_role_lands_on_its_app(user, url):
    assert landing_url(user) == url


def test_hub_groups_are_the_workbench_roles():
    assert hub_groups(User("amina", ("coach", "validator"))) == ["workbench-coach",
                                                                 "workbench-validator"]
