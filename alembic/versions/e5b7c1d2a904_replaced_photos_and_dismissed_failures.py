"""Photos taken out of a slot kept for their undo window; dismissed photo job failures

``replacedphoto`` holds each photo replaced by a newer one or removed, until its undo
window ends and its file is deleted (a restart still deletes what was due).
``photojob.dismissed`` hides a failure the person dismissed.

Revision ID: e5b7c1d2a904
Revises: d4e2b7a91c05
Create Date: 2026-11-30 00:15:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "e5b7c1d2a904"
down_revision: str | Sequence[str] | None = "d4e2b7a91c05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "replacedphoto",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("slot", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("handle", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("replaced_by_handle", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("due_at", sa.Float(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("replacedphoto", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_replacedphoto_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_replacedphoto_slot"), ["slot"], unique=False)
        batch_op.create_index(batch_op.f("ix_replacedphoto_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_replacedphoto_state"), ["state"], unique=False)
    with op.batch_alter_table("photojob", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dismissed", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("photojob", schema=None) as batch_op:
        batch_op.drop_column("dismissed")
    op.drop_table("replacedphoto")
