"""Search: embedding contracts and stored paper vectors (float16 bytes).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "embedding_contracts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("revision", sa.Text, nullable=False),
        sa.Column("dim", sa.Integer, nullable=False),
        sa.Column("normalisation", sa.String(32), nullable=False),
        sa.Column("recipe", sa.Text, nullable=False),
        sa.Column("spec", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "paper_vectors",
        sa.Column("paper_id", sa.String(64), sa.ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "contract_id",
            sa.String(64),
            sa.ForeignKey("embedding_contracts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("text_hash", sa.String(64), nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.Column("embedded_at", sa.DateTime, nullable=False),
        sa.Column("checked_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("paper_id", "contract_id"),
    )
    op.create_index("ix_paper_vectors_contract_embedded", "paper_vectors", ["contract_id", "embedded_at"])


def downgrade() -> None:
    op.drop_index("ix_paper_vectors_contract_embedded", table_name="paper_vectors")
    op.drop_table("paper_vectors")
    op.drop_table("embedding_contracts")
