"""The Voilà apps: app objects, per-request context, the server and its template."""

__all__: list[str] = []
