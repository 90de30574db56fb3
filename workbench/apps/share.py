"""The learning-session app's "Share this view" button: a static snapshot instead of kernels.

`snapshot_button(engine, get_state)` is a small widget: a button that writes the snapshot of
the view `get_state()` returns (`workbench.briefs.snapshot.write_snapshot`) into the served
snapshots folder (`workbench.apps.server.snapshot_files`), then shows a link to open it (served by
`workbench serve` as a plain file: participants start no kernel) and one to download it (a
single offline file to e-mail or copy). `view_state_of(app)` reads the view of a
`LearningSessionApp` (its filters, the month picked, the as-of date applied, its language).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w
from sqlalchemy import Engine

from workbench.apps.server.snapshot_files import snapshot_folder, snapshot_href
from workbench.apps.team_pages import team_labels
from workbench.briefs.snapshot import ViewState, snapshot_file_name, write_snapshot
from workbench.i18n import gettext as _
from workbench.store.engine import engine_url

__all__ = ["ShareButton", "snapshot_button", "view_state_of"]

_ALL = "__all__"


def view_state_of(app: Any) -> ViewState:
    """The view a learning-session app shows: indicator, wave and district (None for all),
    the month picked (None: the reporting-month rule), the as-of date applied, the teams on
    screen when the app shows a page of them, its language. Read from the app's
    `view_state()` (the view in the words of the address) when it has one, else from its
    filters."""
    def chosen(value: Any) -> str | None:
        return None if value in (None, "", _ALL) else str(value)

    language = getattr(app, "language", None)
    described = getattr(app, "view_state", None)
    if callable(described):
        view = described()
        teams = tuple(str(t) for t in view.get("teams") or ())
        return ViewState(indicator=chosen(view.get("indicator")), wave=chosen(view.get("wave")),
                         district=chosen(view.get("district")), month=chosen(view.get("period")),
                         as_of=chosen(view.get("as_of")), teams=teams or None,
                         language=language)
    month = getattr(app, "_month", None)
    return ViewState(indicator=chosen(app.indicator.value), wave=chosen(app.wave.value),
                     district=chosen(app.district.value),
                     month=str(month) if month else None,
                     as_of=chosen(getattr(app, "_as_of", None)), language=language)


class ShareButton(w.VBox):  # type: ignore[misc]  # ipywidgets ships no types
    """"Share this view": writes the snapshot, then links to it (see the module doc)."""

    def __init__(self, engine: Engine, get_state: Callable[[], ViewState],
                 guard: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None,
                 folder: Path | None = None) -> None:
        self._engine, self._get_state = engine, get_state
        self._folder = folder
        self.button = w.Button(description=_("Share this view"), icon="share-alt",
                               tooltip=_("A static page of this view for participants: it "
                                         "opens offline, with no kernel"),
                               layout=w.Layout(width="auto"))
        self.button.add_class("wb-share")
        self.link = w.HTML()
        self.link.add_class("wb-share-link")
        #: the last snapshot written
        self.path: Path | None = None
        self.button.on_click((guard or (lambda fn: fn))(self._on_share_click))
        super().__init__([self.button, self.link], layout=w.Layout(width="auto"))

    @property
    def folder(self) -> Path:
        return self._folder or snapshot_folder(engine_url(self._engine))

    def _on_share_click(self, _button: Any = None) -> Path:
        state = self._get_state()
        self.button.disabled = True
        writing = html.escape(_("Writing the snapshot…"))
        self.link.value = f'<span class="wb-share-status">{writing}</span>'
        try:
            path = write_snapshot(self._engine, state, self.folder / snapshot_file_name(state),
                                  team_names=team_labels)
        except BaseException:
            self.link.value = ""
            raise
        finally:
            self.button.disabled = False
        self.path = path
        href = html.escape(snapshot_href(path.name), quote=True)
        name = html.escape(path.name, quote=True)
        ready, open_it, download = _("Snapshot ready:"), _("open it"), _("download")
        hint = _("Participants open this link with no kernel; the file opens offline.")
        self.link.value = (
            f'<span class="wb-share-status">{html.escape(ready)} '
            f'<a class="wb-share-open" href="{href}" target="_blank" rel="noopener">'
            f'{html.escape(open_it)}</a> · '
            f'<a class="wb-share-download" href="{href}" download="{name}">'
            f"{html.escape(download)}</a></span>"
            f'<div class="wb-share-hint">{html.escape(hint)}</div>')
        return path


def snapshot_button(engine: Engine, get_state: Callable[[], ViewState],
                    guard: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None,
                    folder: Path | None = None) -> ShareButton:
    """The "Share this view" button for the view `get_state()` returns (errors go through
    `guard`, e.g. the app's banner); `folder` default: `snapshot_folder()` of the engine."""
    return ShareButton(engine, get_state, guard, folder)
