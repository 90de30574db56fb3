"""Reports on Dask: a LocalCluster of 2 worker processes on 127.0.0.1 reading a real
PostgreSQL demo (WORKBENCH_TEST_PG), with the same results, failures and resume as the local
pool; and the refusal of a SQLite file when workers are on other hosts."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from report_fixtures import write_team_notebook
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from workbench.errors import WorkbenchError
from workbench.reports.batch import run_reports
from workbench.reports.dask_engine import check_shared_database, remote_hosts

pytest.importorskip("distributed")

PERIOD = "2026-10"
TEAMS = ["T01", "T02", "T03", "T04"]


@pytest.fixture(scope="module")
def pg_demo() -> Iterator[str]:
    """The demo collaborative in a new PostgreSQL database (dropped afterwards)."""
    import os

    import psycopg2

    from workbench.demo.build import build_demo

    server = os.environ.get("WORKBENCH_TEST_PG")
    if not server:
        pytest.skip("WORKBENCH_TEST_PG is not set: no PostgreSQL server for this run")
    parsed = make_url(server)
    name = f"cycle_dask_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host=parsed.host, port=parsed.port, user=parsed.username,
                             password=parsed.password, dbname=parsed.database or "postgres")
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    url = parsed.set(database=name).render_as_string(hide_password=False)
    try:
        build_demo(url)
        yield url
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    from workbench.reports.dask_engine import DaskExecutor

    executor = DaskExecutor.connect(cluster="local", workers=2)
    try:
        yield executor
    finally:
        executor.close()


def test_a_local_cluster_of_two_workers_gives_the_local_pools_results_and_resumes(
        pg_demo: str, cluster: object, tmp_path: Path) -> None:
    notebook = write_team_notebook(tmp_path / "nb", fail_team="T03")

    def run(out: Path, **kwargs: object) -> dict[str, str]:
        result = run_reports(pg_demo, PERIOD, str(notebook), teams=TEAMS, out_dir=out,
                             progress=False, **kwargs)
        return {r.team_id: r.status for r in result.results}

    on_dask = run(tmp_path / "dask", executor=cluster)
    on_pool = run(tmp_path / "pool", workers=2)
    assert on_dask == on_pool == {"T01": "ok", "T02": "ok", "T03": "failed", "T04": "ok"}
    folder = tmp_path / "dask" / PERIOD
    assert "deliberate failure for T03" in (folder / "T03.html").read_text(encoding="utf-8")
    assert (folder / "T03.ipynb").is_file()  # the failed notebook, written by the client
    assert "report for T04" in (folder / "T04.html").read_text(encoding="utf-8")
    assert len(list(folder.glob("bokeh-*.min.js"))) == 1
    # resume: the unchanged reports are skipped, the failed one is run again
    assert run(tmp_path / "dask", executor=cluster) == {
        "T01": "skipped", "T02": "skipped", "T03": "failed", "T04": "skipped"}


def test_each_dask_worker_keeps_one_warm_kernel_across_reports(
        pg_demo: str, cluster: object, tmp_path: Path) -> None:
    notebook = write_team_notebook(tmp_path / "nb")
    result = run_reports(pg_demo, PERIOD, str(notebook), teams=TEAMS, out_dir=tmp_path,
                         progress=False, executor=cluster)
    assert [r.status for r in result.results] == ["ok"] * 4
    kernels = {r.kernel_pid for r in result.results}
    assert len(kernels) == 2  # two workers, four reports: each kernel was reused
    again = run_reports(pg_demo, PERIOD, str(notebook), teams=TEAMS, out_dir=tmp_path,
                        progress=False, executor=cluster, force=True)
    assert {r.kernel_pid for r in again.results} == kernels  # still warm in the next batch


def test_each_workers_kernel_starts_when_the_cluster_is_connected_and_serves_the_reports(
        pg_demo: str, tmp_path: Path) -> None:
    from workbench.reports.dask_engine import DaskExecutor

    executor = DaskExecutor.connect(cluster="local", workers=2)  # its own: kernels untouched
    try:
        warmed = executor.client.gather(executor.warming)  # started by `connect` itself
        assert len(warmed) == 2 and all(warmed) and len(set(warmed)) == 2
        notebook = write_team_notebook(tmp_path / "nb")
        result = run_reports(pg_demo, PERIOD, str(notebook), teams=TEAMS, out_dir=tmp_path,
                             progress=False, executor=executor)
    finally:
        executor.close()
    assert [r.status for r in result.results] == ["ok"] * 4
    assert {r.kernel_pid for r in result.results} == set(warmed)


def test_the_shipped_team_report_runs_on_dask_workers_against_postgresql(
        pg_demo: str, cluster: object, tmp_path: Path) -> None:
    result = run_reports(pg_demo, PERIOD, "team_report", teams=["T01"], out_dir=tmp_path,
                         progress=False, executor=cluster)
    assert [r.status for r in result.results] == ["ok"], result.results[0].error_summary
    page = (tmp_path / PERIOD / "T01.html").read_text(encoding="utf-8")
    assert re.search(r"Births receiving AMTSL</td><td[^>]*>85\.3%</td>", page)  # T01, Oct


@pytest.mark.parametrize(("workers", "here", "remote"), [
    ({"127.0.0.1", "localhost"}, {"box"}, set()),
    ({"box", "10.0.0.4"}, {"box", "10.0.0.4"}, set()),
    ({"127.0.0.1", "10.0.0.7", "node-2"}, {"box", "10.0.0.4"}, {"10.0.0.7", "node-2"}),
])
def test_workers_on_loopback_or_this_machines_names_are_local(
        workers: set[str], here: set[str], remote: set[str]) -> None:
    assert remote_hosts(workers, here) == remote


def test_a_sqlite_file_is_refused_when_workers_are_on_other_hosts(tmp_path: Path) -> None:
    sqlite = create_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    check_shared_database(sqlite, set())  # a LocalCluster reads the same file: fine
    check_shared_database(create_engine("postgresql+psycopg2://u@db/x"), {"node-2"})
    with pytest.raises(WorkbenchError) as caught:
        check_shared_database(sqlite, {"node-2", "10.0.0.7"})
    assert str(caught.value) == (
        f"The database {tmp_path / 'demo.db'} is a SQLite file, which Dask workers on other "
        "hosts (10.0.0.7, node-2) cannot read: put the collaborative in PostgreSQL "
        "(--db postgresql://user@host/db) or use --cluster local.")


def test_the_local_clusters_workers_run_without_the_profiler_and_work_stealing(
        cluster: object) -> None:
    from workbench.reports.dask_engine import DaskExecutor

    assert isinstance(cluster, DaskExecutor)
    client = cluster.client

    def worker_state(dask_worker: object) -> tuple[bool, list[str]]:
        import dask

        return (dask.config.get("distributed.worker.profile.enabled"),
                sorted(getattr(dask_worker, "periodic_callbacks", {})))

    states = client.run(worker_state)
    assert len(states) == 2
    for enabled, callbacks in states.values():  # in each worker process, not only here
        assert enabled is False
        assert "profile" not in callbacks and "profile-cycle" not in callbacks
        assert "heartbeat" in callbacks  # the worker's own callbacks are still there
    assert client.run_on_scheduler(
        lambda dask_scheduler: "stealing" in dask_scheduler.extensions) is False
