"""Receipt mails: the receipt_mails table (grassroots.receipt_mail), one row per receipt and address.

Revision ID: 0007_receipt_mails
Revises: 0010_case_exemplary
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_receipt_mails"
down_revision = "0010_case_exemplary"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "receipt_mails",
        sa.Column("submission_id", sa.Integer, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("district", sa.Text, nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.Text),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"], name="fk_receipt_mails_submission_id_submissions"),
        sa.PrimaryKeyConstraint("submission_id", "email", name="pk_receipt_mails"),
    )


def downgrade() -> None:
    op.drop_table("receipt_mails")
