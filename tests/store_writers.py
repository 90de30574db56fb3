"""Writes committed by another engine, as a concurrent import or form would commit them: for
the tests of reads that must see one state of the store while others write."""

from __future__ import annotations

from sqlalchemy import insert

from workbench.store import open_engine
from workbench.store.schema import waves

__all__ = ["add_wave"]


def add_wave(url: str, wave_id: str) -> None:
    """Commit a new wave `wave_id` from an engine of its own."""
    writer = open_engine(url)
    try:
        with writer.begin() as conn:
            conn.execute(insert(waves).values(wave_id=wave_id, name=f"Wave {wave_id}",
                                              start_period="2026-11"))
    finally:
        writer.dispose()
