"""One module per schema revision (r1, r2, …); Alembic loads them by file, not by import."""

__all__: list[str] = []
