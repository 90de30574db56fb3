"""SQLAlchemy Core schema for a whole improvement collaborative (one collaborative per database).

Codes are the keys users see: `team_id` ("T01"), `indicator_id` ("AMTSL"), `wave_id` ("W1"),
`change_id` ("C03"). Periods are text `YYYY-MM`. Timestamps are naive UTC.
Measurements are append-only revisions; the current value of a key is its latest revision.

These tables are the truth of the schema; `workbench.store.migrations` brings older databases to
them, one Alembic revision per change (`r1` = release 0.1.0, `r2` = users, audit log,
graduation, `r3` = change package versions, `r4` = indexes of the per-team reads, `r5` = a
team's own indicators). A change here needs a new revision and `SCHEMA_VERSION` + 1; the
upgrade tests run `alembic check` to prove the two agree.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = ["SCHEMA_VERSION", "metadata"] + [
    "schema_info", "collaborative", "waves", "learning_sessions", "indicators", "teams",
    "import_batches", "measurement_revisions", "change_ideas", "pdsa_cycles", "pdsa_history",
    "coaching_visits", "verification_recounts", "assessments", "flags", "flag_events",
    "users", "audit_log", "package_versions", "package_changes", "SCHEMA_REVISION",
]

SCHEMA_VERSION = 5
#: the Alembic revision of this schema (the head of `workbench/store/migrations/versions/`)
SCHEMA_REVISION = f"r{SCHEMA_VERSION}"

metadata = MetaData()

schema_info = Table(
    "schema_info",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", DateTime, nullable=False),
)

collaborative = Table(
    "collaborative",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("topic", Text, nullable=False, default=""),
    Column("phase", String(40), nullable=False, default="demonstration"),
    Column("description", Text, nullable=False, default=""),
    Column("start_period", String(7), nullable=False),
    # [{"aim": str, "indicator_id": str | None, "target": float | None, "by": "YYYY-MM" | None}]
    Column("aims", JSON, nullable=False, default=list),
    # validation thresholds and other tunables; see workbench.ingest.collaborative.DEFAULT_SETTINGS
    Column("settings", JSON, nullable=False, default=dict),
    Column("created_at", DateTime, nullable=False),
)

waves = Table(
    "waves",
    metadata,
    Column("wave_id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("start_period", String(7), nullable=False),
    Column("package_version", Integer, nullable=True),  # the change package it joins with (r3)
)

learning_sessions = Table(
    "learning_sessions",
    metadata,
    Column("session_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("date", String(10), nullable=False),  # YYYY-MM-DD
    Column("wave_id", String(40), ForeignKey("waves.wave_id"), nullable=True),
)

indicators = Table(
    "indicators",
    metadata,
    Column("indicator_id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("type", String(20), nullable=False),  # process | outcome | input
    Column("kind", String(20), nullable=False),  # proportion | rate | count | mean
    Column("numerator_definition", Text, nullable=False, default=""),
    Column("denominator_definition", Text, nullable=False, default=""),
    Column("target", Float, nullable=True),  # on the value scale: 0.9 for 90 %
    Column("direction", String(10), nullable=False, default="increase"),  # increase | decrease
    Column("chart", String(10), nullable=False, default="p"),  # p | u | c | i | run
    Column("multiplier", Float, nullable=False, default=1.0),  # 100 for percent display
    Column("unit", String(40), nullable=False, default=""),
    Column("sort_order", Integer, nullable=False, default=0),
    # a team's own measure (seed 3.4): the owning team; NULL = a collaborative indicator (r4)
    Column("team_id", String(40), ForeignKey("teams.team_id"), nullable=True),
)

teams = Table(
    "teams",
    metadata,
    Column("team_id", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("facility", String(200), nullable=False, default=""),
    Column("district", String(200), nullable=False, default=""),
    Column("region", String(200), nullable=False, default=""),
    Column("wave_id", String(40), ForeignKey("waves.wave_id"), nullable=True),
    Column("coach", String(200), nullable=False, default=""),
    Column("joined_period", String(7), nullable=False),  # YYYY-MM, first month of reporting
    Column("graduated_on", String(10), nullable=True),  # YYYY-MM-DD coaching ended (r2)
)

import_batches = Table(
    "import_batches",
    metadata,
    Column("batch_id", Integer, primary_key=True, autoincrement=True),
    Column("file_name", Text, nullable=False),
    Column("format", String(20), nullable=False),
    Column("sha256", String(64), nullable=False, default=""),
    Column("author", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("summary", JSON, nullable=False, default=dict),
)

measurement_revisions = Table(
    "measurement_revisions",
    metadata,
    Column("revision_id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(40), ForeignKey("teams.team_id"), nullable=False),
    Column("indicator_id", String(40), ForeignKey("indicators.indicator_id"), nullable=False),
    Column("period", String(7), nullable=False),
    Column("numerator", Float, nullable=True),
    Column("denominator", Float, nullable=True),
    # "import" | "form" | "correction" | "demo" | "dhis2" | ...
    Column("source", String(40), nullable=False),
    Column("batch_id", Integer, ForeignKey("import_batches.batch_id"), nullable=True),
    Column("flag_id", Integer, ForeignKey("flags.flag_id"), nullable=True),
    Column("author", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("comment", Text, nullable=False, default=""),
)
Index(
    "ix_measurement_key",
    measurement_revisions.c.team_id,
    measurement_revisions.c.indicator_id,
    measurement_revisions.c.period,
    measurement_revisions.c.revision_id,
)
Index("ix_measurement_created", measurement_revisions.c.created_at)

change_ideas = Table(
    "change_ideas",
    metadata,
    Column("change_id", String(40), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("driver", String(300), nullable=False, default=""),  # primary/secondary driver
    Column("source", String(20), nullable=False, default="package"),  # package | team
    Column("team_id", String(40), ForeignKey("teams.team_id"), nullable=True),
    Column("indicator_ids", JSON, nullable=False, default=list),  # indicators it should move
)

pdsa_cycles = Table(
    "pdsa_cycles",
    metadata,
    Column("cycle_id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(40), ForeignKey("teams.team_id"), nullable=False),
    Column("change_id", String(40), ForeignKey("change_ideas.change_id"), nullable=False),
    Column("cycle_number", Integer, nullable=False),
    Column("parent_cycle_id", Integer, ForeignKey("pdsa_cycles.cycle_id"), nullable=True),
    Column("title", String(300), nullable=False, default=""),
    Column("objective", Text, nullable=False, default=""),
    Column("questions", JSON, nullable=False, default=list),  # [{"question", "prediction"}]
    Column("plan_tasks", JSON, nullable=False, default=list),  # [{"who","what","when","where"}]
    Column("data_plan", Text, nullable=False, default=""),
    Column("linked_indicators", JSON, nullable=False, default=list),
    Column("do_notes", Text, nullable=False, default=""),
    Column("deviations", Text, nullable=False, default=""),
    Column("study_notes", Text, nullable=False, default=""),
    Column("study_results", JSON, nullable=False, default=list),  # one per question
    Column("act_decision", String(10), nullable=True),  # adopt | adapt | abandon
    Column("next_steps", Text, nullable=False, default=""),
    Column("start_date", String(10), nullable=True),
    Column("end_date", String(10), nullable=True),
    Column("status", String(10), nullable=False, default="plan"),  # plan|do|study|act|closed
    Column("author", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("version", Integer, nullable=False, default=1),  # optimistic concurrency
    UniqueConstraint("team_id", "change_id", "cycle_number", name="uq_pdsa_cycle_number"),
)

pdsa_history = Table(
    "pdsa_history",
    metadata,
    Column("history_id", Integer, primary_key=True, autoincrement=True),
    Column("cycle_id", Integer, ForeignKey("pdsa_cycles.cycle_id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("snapshot", JSON, nullable=False),  # the whole row as it was at that version
    Column("author", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
)
Index("ix_pdsa_history_cycle", pdsa_history.c.cycle_id, pdsa_history.c.version)

coaching_visits = Table(
    "coaching_visits",
    metadata,
    Column("visit_id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(40), ForeignKey("teams.team_id"), nullable=False),
    Column("coach", String(200), nullable=False),
    Column("visit_date", String(10), nullable=False),
    Column("notes", Text, nullable=False, default=""),
    Column("actions", JSON, nullable=False, default=list),  # [{"action","owner","due"}]
    Column("author", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

Index("ix_visits_team", coaching_visits.c.team_id, coaching_visits.c.visit_date)

verification_recounts = Table(
    "verification_recounts",
    metadata,
    Column("recount_id", Integer, primary_key=True, autoincrement=True),
    Column("visit_id", Integer, ForeignKey("coaching_visits.visit_id"), nullable=False),
    Column("team_id", String(40), ForeignKey("teams.team_id"), nullable=False),
    Column("indicator_id", String(40), ForeignKey("indicators.indicator_id"), nullable=False),
    Column("period", String(7), nullable=False),
    Column("reported_numerator", Float, nullable=True),
    Column("reported_denominator", Float, nullable=True),
    Column("recounted_numerator", Float, nullable=True),
    Column("recounted_denominator", Float, nullable=True),
    Column("author", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

Index("ix_recounts_team", verification_recounts.c.team_id, verification_recounts.c.visit_id)

assessments = Table(
    "assessments",
    metadata,
    Column("assessment_id", Integer, primary_key=True, autoincrement=True),
    Column("team_id", String(40), ForeignKey("teams.team_id"), nullable=False),
    Column("period", String(7), nullable=False),
    Column("score", Float, nullable=False),  # IHI assessment scale 0.5 .. 5.0
    Column("assessor_type", String(10), nullable=False),  # faculty | self
    Column("assessor", String(200), nullable=False),
    Column("justification", Text, nullable=False, default=""),
    Column("visit_id", Integer, ForeignKey("coaching_visits.visit_id"), nullable=True),
    Column("created_at", DateTime, nullable=False),
)

Index("ix_assessments_team", assessments.c.team_id, assessments.c.period)

flags = Table(
    "flags",
    metadata,
    Column("flag_id", Integer, primary_key=True, autoincrement=True),
    Column("rule_code", String(40), nullable=False),
    Column("severity", String(10), nullable=False),  # error | warning | info
    Column("team_id", String(40), ForeignKey("teams.team_id"), nullable=True),
    Column("indicator_id", String(40), ForeignKey("indicators.indicator_id"), nullable=True),
    Column("period", String(7), nullable=True),
    Column("message", Text, nullable=False),
    Column("statistic", Float, nullable=True),
    Column("lower", Float, nullable=True),
    Column("upper", Float, nullable=True),
    Column("details", JSON, nullable=False, default=dict),
    # what the flag was computed on: the data it is about changes -> a resolved flag reopens
    Column("fingerprint", String(200), nullable=False, unique=True),
    Column("data_revision_id", Integer, nullable=True),
    Column("status", String(10), nullable=False, default="open"),
    Column("reviewer", String(200), nullable=True),
    Column("note", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("version", Integer, nullable=False, default=1),  # optimistic concurrency
)
Index("ix_flags_status", flags.c.status, flags.c.team_id)
Index("ix_flags_team", flags.c.team_id, flags.c.indicator_id, flags.c.period)

flag_events = Table(
    "flag_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("flag_id", Integer, ForeignKey("flags.flag_id"), nullable=False),
    Column("action", String(20), nullable=False),  # opened|confirmed|corrected|dismissed|reopened
    Column("from_status", String(10), nullable=True),
    Column("to_status", String(10), nullable=False),
    Column("user", String(200), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("revision_id", Integer, ForeignKey("measurement_revisions.revision_id"), nullable=True),
    Column("created_at", DateTime, nullable=False),
)

# r2: who may do what (issue 17); tables only, the behaviour comes with the roles work.
users = Table(
    "users",
    metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    # team_member | coach | validator | facilitator | analyst | admin
    Column("roles", JSON, nullable=False, default=list),
    Column("scope", JSON, nullable=False, default=dict),  # {"teams": [...], "districts": [...]}
    Column("created_at", DateTime, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("audit_id", Integer, primary_key=True, autoincrement=True),
    Column("user", String(200), nullable=False),  # who
    Column("action", String(40), nullable=False),  # what: insert | update | delete | ...
    Column("created_at", DateTime, nullable=False),  # when
    Column("table_name", String(60), nullable=False),
    Column("row_id", String(200), nullable=True),  # the row's key as text (codes or integers)
    Column("details", JSON, nullable=False, default=dict),
)
Index("ix_audit_log_created", audit_log.c.created_at)
Index("ix_audit_log_user", audit_log.c.user, audit_log.c.created_at)

# The change package as a versioned thing (r3): v1 at launch, later versions after synthesis
# meetings. A version's rows name every change it holds (`in_package` true) and the changes it
# dropped (`in_package` false, kept for the reason in `provenance`).
package_versions = Table(
    "package_versions",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),  # 1, 2, ... (v1, v2)
    Column("period", String(7), nullable=True),  # YYYY-MM of the synthesis meeting; v1: none
    Column("author", String(200), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("created_at", DateTime, nullable=False),
)

package_changes = Table(
    "package_changes",
    metadata,
    Column("row_id", Integer, primary_key=True, autoincrement=True),
    Column("version", Integer, ForeignKey("package_versions.version"), nullable=False),
    Column("change_id", String(40), ForeignKey("change_ideas.change_id"), nullable=False),
    Column("in_package", Boolean, nullable=False, default=True),
    Column("action", String(10), nullable=False),  # launch | keep | add | drop
    Column("guidance", Text, nullable=False, default=""),
    # {"teams": [...] whose evidence it rests on, "reason": str}
    Column("provenance", JSON, nullable=False, default=dict),
    UniqueConstraint("version", "change_id", name="uq_package_change"),
)
