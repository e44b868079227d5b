"""production: services and options catalog, charges, pricing and scheduling of pieces, lots

Existing rows get neutral defaults (no charge, no schedule, the local print channel).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "option_types",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("environment", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_option_types")),
        sa.UniqueConstraint("environment", "code", name="uq_option_types_environment_code"),
    )
    op.create_table(
        "options",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("environment", sa.String(length=10), nullable=False),
        sa.Column("type_code", sa.String(length=50), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_options")),
        sa.UniqueConstraint(
            "environment", "type_code", "code", name="uq_options_environment_type_code"
        ),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("environment", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=50), nullable=False, server_default="print_local"),
        sa.Column("profile", sa.String(length=50), nullable=False),
        sa.Column("layout", sa.String(length=50), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("address_page", sa.Boolean(), nullable=False),
        sa.Column("immediate", sa.Boolean(), nullable=False),
        sa.Column("cut_off", sa.String(length=5), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("boxes", sa.JSON(), nullable=False),
        sa.Column("default_options", sa.JSON(), nullable=False),
        sa.Column("output", sa.JSON(), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_services_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
    )
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.create_index("ix_services_environment_code", ["environment", "code"], unique=False)

    op.create_table(
        "charges",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("piece_id", sa.String(length=36), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_charges_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["piece_id"],
            ["mail_pieces.id"],
            name=op.f("fk_charges_piece_id_mail_pieces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charges")),
        sa.UniqueConstraint("piece_id", name="uq_charges_piece_id"),
    )
    with op.batch_alter_table("charges", schema=None) as batch_op:
        batch_op.create_index(
            "ix_charges_account_created", ["account_id", "created_at"], unique=False
        )

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("monthly_limit_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("currency", sa.String(length=3), nullable=False, server_default="SEK")
        )
        batch_op.add_column(
            sa.Column("operator", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("output_date", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("cost_center", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_batches_service_id_services"), "services", ["service_id"], ["id"]
        )

    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=50), nullable=False, server_default="print_local")
        )
        batch_op.add_column(sa.Column("group_key", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(
            sa.Column("sheet_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("files", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("printed_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("posted_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("deposit_proof_sha256", sa.String(length=64), nullable=True))

    with op.batch_alter_table("mail_pieces", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("sheets", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("weight_g", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("price_minor", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("output_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("expected_post_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("tracking_reference", sa.String(length=35), nullable=True))
        batch_op.add_column(sa.Column("annexes", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.create_foreign_key(
            batch_op.f("fk_mail_pieces_service_id_services"), "services", ["service_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("mail_pieces", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_mail_pieces_service_id_services"), type_="foreignkey"
        )
        batch_op.drop_column("annexes")
        batch_op.drop_column("tracking_reference")
        batch_op.drop_column("expected_post_date")
        batch_op.drop_column("output_date")
        batch_op.drop_column("price_minor")
        batch_op.drop_column("weight_g")
        batch_op.drop_column("sheets")
        batch_op.drop_column("service_id")

    with op.batch_alter_table("lots", schema=None) as batch_op:
        batch_op.drop_column("deposit_proof_sha256")
        batch_op.drop_column("posted_at")
        batch_op.drop_column("printed_at")
        batch_op.drop_column("files")
        batch_op.drop_column("sheet_count")
        batch_op.drop_column("group_key")
        batch_op.drop_column("channel")

    with op.batch_alter_table("batches", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_batches_service_id_services"), type_="foreignkey")
        batch_op.drop_column("cost_center")
        batch_op.drop_column("output_date")
        batch_op.drop_column("service_id")

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("operator")
        batch_op.drop_column("currency")
        batch_op.drop_column("monthly_limit_minor")

    with op.batch_alter_table("charges", schema=None) as batch_op:
        batch_op.drop_index("ix_charges_account_created")

    op.drop_table("charges")
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_index("ix_services_environment_code")

    op.drop_table("services")
    op.drop_table("options")
    op.drop_table("option_types")
