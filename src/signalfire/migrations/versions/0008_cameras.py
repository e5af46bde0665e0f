"""cameras: registry, health, events, recorded segments, evidence holds

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import signalfire.core.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

_Time = signalfire.core.db.UtcDateTime


def upgrade() -> None:
    op.create_table(
        "cameras",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=1000), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("heading_deg", sa.Float(), nullable=False),
        sa.Column("fov_deg", sa.Float(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("analysis", sa.JSON(), nullable=False),
        sa.Column("recording_mode", sa.String(length=16), nullable=False),
        sa.Column("retention_days", sa.Float(), nullable=False),
        sa.Column("segment_seconds", sa.Integer(), nullable=False),
        sa.Column("created_at", _Time(timezone=True), nullable=False),
        sa.Column("updated_at", _Time(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_cameras_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cameras")),
        sa.UniqueConstraint("agency_id", "name", name=op.f("uq_cameras_agency_id")),
    )
    op.create_table(
        "camera_health",
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("last_frame_at", _Time(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("retry_at", _Time(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=100), nullable=True),
        sa.Column("changed_at", _Time(timezone=True), nullable=False),
        sa.Column("reported_at", _Time(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_health_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("camera_id", name=op.f("pk_camera_health")),
    )
    op.create_table(
        "camera_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", _Time(timezone=True), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("boxes", sa.JSON(), nullable=False),
        sa.Column("direction", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("snapshot", sa.String(length=300), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_camera_events_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_camera_events_alert_id_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_events_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_events")),
    )
    with op.batch_alter_table("camera_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_camera_events_camera_time", ["camera_id", "occurred_at"], unique=False
        )
    op.create_table(
        "camera_segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("started_at", _Time(timezone=True), nullable=False),
        sa.Column("ended_at", _Time(timezone=True), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("codec", sa.String(length=40), nullable=False),
        sa.Column("keep", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_segments_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_segments")),
        sa.UniqueConstraint("path", name=op.f("uq_camera_segments_path")),
    )
    with op.batch_alter_table("camera_segments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_camera_segments_camera_start", ["camera_id", "started_at"], unique=False
        )
    op.create_table(
        "camera_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", _Time(timezone=True), nullable=False),
        sa.Column("ends_at", _Time(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("case_number", sa.String(length=100), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", _Time(timezone=True), nullable=False),
        sa.Column("released_by", sa.Integer(), nullable=True),
        sa.Column("released_at", _Time(timezone=True), nullable=True),
        sa.Column("release_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_camera_holds_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_holds_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_holds")),
    )
    with op.batch_alter_table("camera_holds", schema=None) as batch_op:
        batch_op.create_index("ix_camera_holds_camera", ["camera_id", "released_at"], unique=False)
    op.create_table(
        "camera_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("camera_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", _Time(timezone=True), nullable=False),
        sa.Column("ends_at", _Time(timezone=True), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("case_number", sa.String(length=100), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("created_at", _Time(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("path", sa.String(length=300), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("segments", sa.JSON(), nullable=False),
        sa.Column("finished_at", _Time(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_camera_exports_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["camera_id"],
            ["cameras.id"],
            name=op.f("fk_camera_exports_camera_id_cameras"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_exports")),
    )
    with op.batch_alter_table("camera_exports", schema=None) as batch_op:
        batch_op.create_index("ix_camera_exports_agency", ["agency_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("camera_exports", schema=None) as batch_op:
        batch_op.drop_index("ix_camera_exports_agency")
    op.drop_table("camera_exports")
    with op.batch_alter_table("camera_holds", schema=None) as batch_op:
        batch_op.drop_index("ix_camera_holds_camera")
    op.drop_table("camera_holds")
    with op.batch_alter_table("camera_segments", schema=None) as batch_op:
        batch_op.drop_index("ix_camera_segments_camera_start")
    op.drop_table("camera_segments")
    with op.batch_alter_table("camera_events", schema=None) as batch_op:
        batch_op.drop_index("ix_camera_events_camera_time")
    op.drop_table("camera_events")
    op.drop_table("camera_health")
    op.drop_table("cameras")
