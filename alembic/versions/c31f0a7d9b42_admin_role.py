"""The admin role: account.is_admin, and the first account of an existing database made admin

The first account ever created is the app's administrator. ``firstaccount`` holds one row
(a fixed key) written by the sign-up that created it, so two sign-ups on an empty database
cannot both become admin. On a database that already has accounts, the oldest one (lowest
id) becomes admin here.

Revision ID: c31f0a7d9b42
Revises: a6581edaa698
Create Date: 2026-11-29 22:10:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "c31f0a7d9b42"
down_revision: str | Sequence[str] | None = "a6581edaa698"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "firstaccount",
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("slot"),
    )
    first = op.get_bind().execute(sa.text("SELECT MIN(id) FROM account")).scalar()
    if first is not None:
        op.execute(
            sa.text("UPDATE account SET is_admin = :yes WHERE id = :id").bindparams(yes=True, id=first)
        )
        op.execute(
            sa.text("INSERT INTO firstaccount (slot, account_id) VALUES (1, :id)").bindparams(id=first)
        )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("firstaccount")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("is_admin")
