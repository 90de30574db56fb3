"""The collaborative store: SQLAlchemy Core over SQLite (default) or PostgreSQL (by URL)."""

from workbench.store.audit import read_audit, record_write
from workbench.store.engine import (
    DEFAULT_DB,
    connect,
    create_database,
    current_user,
    inserted_id,
    known_user,
    masked_url,
    open_engine,
    password_env,
    read_transaction,
    resolve_url,
    utcnow,
    when_opened,
    write_transaction,
)
from workbench.store.measurements import (
    TIDY_COLUMNS,
    add_revisions,
    current_revisions,
    latest_revision_id,
    read_calendar,
    read_measurements,
    read_revisions,
    tidy,
)
from workbench.store.packages import (
    join_wave,
    launch_package,
    package_label,
    read_package,
    read_package_versions,
    save_package_version,
)
from workbench.store.records import (
    CHART_CYCLE_COLUMNS,
    ROLLUP_ASSESSMENT_COLUMNS,
    get_indicator,
    get_team,
    read_assessments,
    read_change_ideas,
    read_collaborative,
    read_flag_events,
    read_flags,
    read_indicators,
    read_pdsa_cycles,
    read_recounts,
    read_table,
    read_teams,
    read_visits,
    read_waves,
)
from workbench.store.schema import SCHEMA_VERSION, metadata
from workbench.store.status import status_counts
from workbench.store.team_measures import (
    TeamMeasure,
    add_team_measure,
    collaborative_indicators,
    read_collaborative_measurements,
    team_indicators,
    team_measure_owners,
    team_measures,
)
from workbench.store.users import (
    ROLES,
    User,
    add_user,
    authorize,
    get_user,
    list_users,
    remove_user,
    users_defined,
)

__all__ = [
    "DEFAULT_DB", "SCHEMA_VERSION", "TIDY_COLUMNS", "metadata",
    "connect", "create_database", "masked_url", "open_engine", "password_env", "resolve_url",
    "when_opened",
    "current_user",
    "known_user",
    "utcnow",
    "inserted_id",
    "read_transaction",
    "write_transaction",
    "add_revisions", "read_calendar", "current_revisions", "latest_revision_id",
    "read_measurements",
    "read_revisions", "tidy",
    "CHART_CYCLE_COLUMNS", "ROLLUP_ASSESSMENT_COLUMNS",
    "get_indicator", "get_team", "read_assessments", "read_change_ideas", "read_collaborative",
    "read_flag_events", "read_flags", "read_indicators", "read_pdsa_cycles", "read_recounts",
    "read_table", "read_teams", "read_visits", "read_waves",
    "status_counts",
    "record_write", "read_audit",
    "ROLES", "User", "add_user", "authorize", "get_user", "list_users", "remove_user",
    "users_defined",
    "join_wave", "launch_package", "package_label", "read_package", "read_package_versions",
    "save_package_version",
    "TeamMeasure", "add_team_measure", "collaborative_indicators",
    "read_collaborative_measurements", "team_indicators", "team_measure_owners", "team_measures",
]
