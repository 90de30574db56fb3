"""`workbench serve`: URLs, refusals with their exact text, a clean Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from workbench.apps.server.serve import (
    APP_ORDER,
    app_names,
    app_urls,
    pool_config,
    prepare_template,
    template_key,
    voila_command,
)
from workbench.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_every_documented_app_is_in_voila_apps_in_order() -> None:
    assert app_names() == list(APP_ORDER)


def test_app_urls_are_one_loopback_render_url_per_app() -> None:
    assert app_urls(8866, ["coach", "data_entry"]) == [
        "http://127.0.0.1:8866/voila/render/coach.ipynb",
        "http://127.0.0.1:8866/voila/render/data_entry.ipynb",
    ]


def test_app_urls_show_an_ipv6_host_in_brackets() -> None:
    assert app_urls(9000, ["coach"], "::1") == ["http://[::1]:9000/voila/render/coach.ipynb"]


def test_voila_command_preheats_culls_and_never_moves_to_another_port(tmp_path: Path) -> None:
    argv = voila_command(tmp_path, port=8999, host="127.0.0.1", cull_idle_timeout=30)
    assert "--preheat_kernel=True" in argv
    assert "--MappingKernelManager.cull_idle_timeout=30" in argv
    assert "--Voila.port_retries=0" in argv
    assert "--template=workbench" in argv
    assert argv[1:3] == ["-m", "workbench.apps.server.voila_server"]  # Voilà with gzip really on


def test_voila_command_caps_the_viewers_kernels_per_app_and_in_total(tmp_path: Path) -> None:
    argv = voila_command(tmp_path, port=8999, host="127.0.0.1", max_kernels=12,
                         max_kernels_per_app=5)
    assert "--WorkbenchVoila.max_kernels=12" in argv
    assert "--WorkbenchVoila.max_kernels_per_app=5" in argv
    default = voila_command(tmp_path, port=8999, host="127.0.0.1")
    assert "--WorkbenchVoila.max_kernels=16" in default
    assert "--WorkbenchVoila.max_kernels_per_app=10" in default
    assert "--MappingKernelManager.cull_idle_timeout=300" in default


def test_pool_config_preheats_only_the_apps_served() -> None:
    pools = pool_config(["coach"])["VoilaKernelManager"]["kernel_pools_config"]
    assert pools == {"default": {"pool_size": 0}, "coach.ipynb": {"pool_size": 1}}


def test_template_has_local_bokehjs_and_no_cdn_asset(tmp_path: Path) -> None:
    data_dir = prepare_template(tmp_path)
    template = data_dir / "voila" / "templates" / "workbench"
    assert (template / "static" / "bokehjs" / "bokeh.min.js").stat().st_size > 500_000
    text = (template / "index.html.j2").read_text()
    assert "https://" not in text and "http://" not in text
    assert "html_head_js_mermaidjs" in text  # nbconvert's lab template imports mermaid by CDN


def test_serve_refuses_a_non_loopback_host_without_allow_remote(empty_db: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--db", empty_db, "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: refusing to serve on 0.0.0.0: the apps would be reachable from other machines "
        "without login. Add --allow-remote to do it anyway, or keep the default --host "
        "127.0.0.1 and put the apps behind JupyterHub for real multi-user use.\n"
    )


def test_serve_names_the_apps_when_the_app_is_unknown(empty_db: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--db", empty_db, "--app", "nope"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: unknown app 'nope'; choose one of: learning_session, coach, pdsa_journal, "
        "data_entry, validation_queue.\n"
    )


def test_serve_says_so_when_the_database_is_missing(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: no workbench database at {tmp_path / 'none.db'}.")


def test_serve_says_so_when_the_port_is_taken(empty_db: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--db", empty_db, "--port", str(port)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: cannot serve on 127.0.0.1:{port}: Address already in use. Choose another port "
        f"with --port, or stop the program using {port}.\n"
    )


def _hear_ctrl_c() -> None:
    """In the child: SIGINT as in a terminal (a shell's background job, as CI may be, starts
    its children with SIGINT ignored, and Python then never raises KeyboardInterrupt)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=["ctrl-c", "kill", "terminal-closed"])
def test_serve_prints_one_url_per_app_and_stops_cleanly_on_ctrl_c_kill_or_hangup(
        empty_db: str, sig: int) -> None:
    port = _free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench", "serve", "--db", empty_db, "--port", str(port),
         "--app", "coach"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True, preexec_fn=_hear_ctrl_c,
    )
    try:
        line = proc.stdout.readline()
        assert line == f"http://127.0.0.1:{port}/voila/render/coach.ipynb\n"
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        proc.send_signal(sig)  # to the command only: Voilà runs in a session of its own
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "Stopping the apps" in proc.stderr.read()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                time.sleep(0.2)
        except OSError:
            break
    else:
        pytest.fail(f"port {port} still answers after signal {sig}")


def test_pool_config_declares_the_pages_language() -> None:
    """`<html lang>` of the Voilà pages: nbconvert's `language_code`, from the served language."""
    assert pool_config(["coach"])["VoilaExporter"] == {"language_code": "en"}
    assert pool_config(["coach"], language="fr")["VoilaExporter"] == {"language_code": "fr"}


def test_two_checkouts_templates_get_folders_of_their_own_and_neither_is_overwritten(
        tmp_path: Path) -> None:
    source = ROOT / "workbench" / "apps" / "voila_template" / "workbench"
    other = tmp_path / "other-checkout" / "workbench"
    shutil.copytree(source, other)
    script = other / "static" / "bokeh-patch-layout.js"
    script.write_text(script.read_text() + "\n// another branch's change\n")
    cache = tmp_path / "cache"
    mine = prepare_template(cache)
    theirs = prepare_template(cache, source=other)
    assert mine != theirs
    assert mine.name.startswith("jupyter-bokeh-") and template_key() in mine.name
    assert prepare_template(cache) == mine  # the same template: the same folder, reused
    js = Path("voila", "templates", "workbench", "static", "bokeh-patch-layout.js")
    assert (mine / js).read_bytes() == (source / "static" / "bokeh-patch-layout.js").read_bytes()
    assert (theirs / js).read_text().endswith("// another branch's change\n")


def test_servers_starting_at_once_share_one_whole_template_folder_and_leave_no_temporary_one(
        tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    code = ("import sys; from pathlib import Path; "
            "from workbench.apps.server.serve import prepare_template; "
            "print(prepare_template(Path(sys.argv[1])))")
    runs = [subprocess.Popen([sys.executable, "-c", code, str(cache)], stdout=subprocess.PIPE,
                             text=True) for _ in range(4)]
    folders = {run.communicate(timeout=120)[0].strip() for run in runs}
    assert all(run.returncode == 0 for run in runs)
    assert len(folders) == 1
    [folder] = folders
    template = Path(folder) / "voila" / "templates" / "workbench"
    assert (template / "static" / "bokehjs" / "bokeh.min.js").stat().st_size > 500_000
    assert sorted(p.name for p in cache.iterdir()) == [Path(folder).name]
