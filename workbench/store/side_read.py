"""A read on a second connection, in a thread, beside the caller's reads: what the caller's
read transaction sees all the same.

The database does the work of a large read while the interpreter is free: SQLite releases it
while it scans (the summary's 700,000 measurement revisions at 2,000 teams: about 0.5 s of
SQLite's time, during which the caller reads and decodes the other tables), PostgreSQL while
the driver waits. A second connection's read transaction begins at another moment than the
caller's, so a write committed in between could be in one and not in the other; `mark`, a
cheap query of what the read depends on, is read in both, and when they differ the caller's
connection reads again. The result is always the read as the caller's transaction
(`read_transaction`) sees it.

    with SideRead(engine, read_measurements, measurements_mark) as side:
        with read_transaction(engine) as conn:
            ...  # the other reads
            frame = side.result(conn)

Only where a second connection reaches the same database: a SQLite file or a server; an
in-memory SQLite database (one per connection) and a caller's own `Connection` are read on
the caller's connection, after its other reads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from types import TracebackType
from typing import Generic, TypeVar

from sqlalchemy import Connection, Engine

from workbench.store.engine import read_transaction

__all__ = ["SideRead", "shares_the_database"]

T = TypeVar("T")


def shares_the_database(engine: Engine) -> bool:
    """Whether a second connection of `engine` reads the same database as the first (not an
    in-memory SQLite database, which is each connection's own)."""
    url = engine.url
    if url.get_backend_name() != "sqlite":
        return True
    database = url.database or ""
    return database not in ("", ":memory:") and "mode=memory" not in str(url)


class SideRead(Generic[T]):
    """`read(conn)` started at once on a second connection of `engine` (its own
    `read_transaction`, in a thread) when one shares the database; `result(conn)` gives it as
    `conn`'s transaction sees it. `mark(conn)`: a cheap, comparable summary of what `read`
    depends on (equal marks: equal reads)."""

    def __init__(self, engine: Engine | Connection, read: Callable[[Connection], T],
                 mark: Callable[[Connection], Hashable]) -> None:
        self._read, self._mark = read, mark
        self._outcome: tuple[Hashable, T] | None = None
        self._thread: threading.Thread | None = None
        if isinstance(engine, Engine) and shares_the_database(engine):
            self._thread = threading.Thread(target=self._run, args=(engine,),
                                            name="workbench-side-read", daemon=True)
            self._thread.start()

    def _run(self, engine: Engine) -> None:
        try:
            with read_transaction(engine) as conn:
                mark = self._mark(conn)  # the first read: the snapshot the read sees too
                self._outcome = (mark, self._read(conn))
        except Exception:  # noqa: BLE001 - `result` reads again on the caller's connection,
            self._outcome = None  # which raises what the caller's state makes of it

    def result(self, conn: Connection) -> T:
        """The read as `conn` (inside the caller's read transaction) sees it: the side
        connection's, when its mark is `conn`'s, else read again on `conn`."""
        self.wait()
        if self._outcome is not None and self._mark(conn) == self._outcome[0]:
            return self._outcome[1]
        return self._read(conn)

    def wait(self) -> None:
        """Until the side read has ended (nothing to wait for without one)."""
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> SideRead[T]:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.wait()  # its connection back in the pool before the engine may be disposed
