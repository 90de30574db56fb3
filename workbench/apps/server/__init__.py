"""`workbench serve`: the Voila server of the apps (`serve`), its kernel caps and busy pages
(`serve_guard`), its page handler, session-user cookie and snapshot route (`voila_server`), and
where shared snapshots are kept (`snapshot_files`). Kept light: importing it loads no widget or
chart library."""
