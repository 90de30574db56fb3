"""The Voilà apps: app objects, per-request context, the server and its template.

- `base`: `WorkbenchApp` (banner, guarded callbacks, refresh when the data changed) and
  `build_app` (building in a preheated kernel);
- `forms`: the form apps over `workbench.widgets` (PDSA journal, data entry, coach,
  validation queue); `learning_session`: the facilitator's live results;
- `builders`: one `build_*_app` per notebook of `voila_apps/` (each imports its app when
  called); `context`: the request's query string;
- `session_analytics`: the learning session's analytics, kept per as-of date and month;
- `server/`: the Voilà server of `workbench serve` (`serve`, `serve_guard`, `voila_server`,
  `snapshot_files`); `voila_template/` its page template.

Kept light on purpose: importing `workbench.apps.server.serve` loads no widget or chart library.
"""

__all__: list[str] = []
