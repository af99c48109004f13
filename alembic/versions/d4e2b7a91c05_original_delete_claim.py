"""photojob.original_delete_claimed_at: when an app worker claimed the original's deletion

The deletion of an original is claimed before it is sent and confirmed after; a claim that
was never confirmed (the worker died in between) is taken again after a minute. Rows of
earlier versions had ``original_deleted`` set at the claim: they keep it.

Revision ID: d4e2b7a91c05
Revises: c31f0a7d9b42
Create Date: 2026-11-30 00:10:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "d4e2b7a91c05"
down_revision: str | Sequence[str] | None = "c31f0a7d9b42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("photojob", schema=None) as batch_op:
        batch_op.add_column(sa.Column("original_delete_claimed_at", sa.Float(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("photojob", schema=None) as batch_op:
        batch_op.drop_column("original_delete_claimed_at")
