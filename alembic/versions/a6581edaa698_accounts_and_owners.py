"""Accounts, sessions and sign-in failures; profiles and photo jobs get an owner

The profile and photo jobs kept from before accounts get no owner (``owner_id`` NULL).
Every query of the app filters by owner, so they are never shown again; their files
stay in the service until an operator deletes them (README, "Accounts").

Revision ID: a6581edaa698
Revises: 8ecb42c67bf0
Create Date: 2026-11-29 20:23:10.602444

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "a6581edaa698"
down_revision: str | Sequence[str] | None = "8ecb42c67bf0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("password_changed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_username"), ["username"], unique=True)

    op.create_table(
        "signinfailure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("signinfailure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signinfailure_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_signinfailure_key"), ["key"], unique=False)

    op.create_table(
        "authsession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("seen_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("authsession", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_authsession_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_authsession_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_authsession_token_hash"), ["token_hash"], unique=True)

    with op.batch_alter_table("photojob", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_photojob_owner_id"), ["owner_id"], unique=False)
        batch_op.create_foreign_key("fk_photojob_owner_id_account", "account", ["owner_id"], ["id"])

    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_profile_owner_id"), ["owner_id"], unique=True)
        batch_op.create_foreign_key("fk_profile_owner_id_account", "account", ["owner_id"], ["id"])


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.drop_constraint("fk_profile_owner_id_account", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_profile_owner_id"))
        batch_op.drop_column("owner_id")

    with op.batch_alter_table("photojob", schema=None) as batch_op:
        batch_op.drop_constraint("fk_photojob_owner_id_account", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_photojob_owner_id"))
        batch_op.drop_column("owner_id")

    with op.batch_alter_table("authsession", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authsession_token_hash"))
        batch_op.drop_index(batch_op.f("ix_authsession_expires_at"))
        batch_op.drop_index(batch_op.f("ix_authsession_account_id"))

    op.drop_table("authsession")
    with op.batch_alter_table("signinfailure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signinfailure_key"))
        batch_op.drop_index(batch_op.f("ix_signinfailure_at"))

    op.drop_table("signinfailure")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_username"))

    op.drop_table("account")
