"""Outbox messages are kept compressed in a new `packed` column (`paperfeed.mailwire`).

A digest run writes every message it composes: ~24 KB of MIME text each, 2.4 GB for 100 k
subscribers, a large share of the run's time. Kept as their bodies before base64, zstd-
compressed, they are ~1/5 of that. Rows written before keep their text in `message` and are
read as before; new rows leave `message` empty.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("digest_outbox")}
    if "packed" not in columns:
        op.add_column("digest_outbox", sa.Column("packed", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    # An earlier paperfeed reads `message` only: packed rows are unpacked into it first.
    from paperfeed.mailwire import unpacked_wire

    outbox = sa.table(
        "digest_outbox",
        sa.column("id", sa.Integer),
        sa.column("message", sa.Text),
        sa.column("packed", sa.LargeBinary),
    )
    conn = op.get_bind()
    last = -1
    while True:  # a few hundred rows at a time: an outbox can hold many gigabytes unpacked
        query = (
            sa.select(outbox.c.id, outbox.c.packed)
            .where(outbox.c.packed.is_not(None), outbox.c.id > last)
            .order_by(outbox.c.id)
            .limit(500)
        )
        rows = conn.execute(query).all()
        if not rows:
            break
        for oid, packed in rows:
            text = unpacked_wire(packed)
            conn.execute(outbox.update().where(outbox.c.id == oid).values(message=text))
        last = rows[-1][0]
    with op.batch_alter_table("digest_outbox") as batch:
        batch.drop_column("packed")
