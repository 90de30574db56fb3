"""Alembic migrations of the workbench store: `env.py` and one file per revision in `versions/`.

Revisions are named `r1`, `r2`, … so that messages can say "this database is at schema r1".
`r1` is the schema as released in 0.1.0; each later change of `workbench.store.schema` is a new
revision. Run them with `workbench upgrade` (library: `workbench.store.migrations.migrate`), which
configures Alembic in code: no alembic.ini is needed.
"""

__all__: list[str] = []
