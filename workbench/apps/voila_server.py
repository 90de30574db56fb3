"""The Voilà server `workbench serve` runs: Voilà 0.5.13 with its tornado settings applied.

Voilà creates its `tornado.web.Application` first and only then copies
`Voila.tornado_settings` into `app.settings`. Tornado decides on gzip (its
`GZipContentEncoding` transform) while the application is created, so
`{"compress_response": true}` in `voila.json` silently does nothing. `WorkbenchVoila` puts the
tornado settings into the settings the application is created with, and switches gzip on by
default: Voilà's own scripts are ~6 MB uncompressed, ~1.5 MB gzipped.

Run as `python -m workbench.apps.voila_server ARGS` (same arguments as `python -m voila`).
"""

from __future__ import annotations

from typing import Any

from voila.app import Voila

__all__ = ["WorkbenchVoila", "main"]


class WorkbenchVoila(Voila):  # type: ignore[misc]  # voila ships no types
    """Voilà whose `tornado_settings` reach the application's constructor (gzip on)."""

    def init_settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = super().init_settings()
        settings.setdefault("compress_response", True)
        settings.update(self.tornado_settings)
        return settings


main = WorkbenchVoila.launch_instance

if __name__ == "__main__":
    main()
