"""banks and questions keep their lint_ignore and lint_reason (for "Download as YAML")

Revision ID: f2a8c4d1e9b3
Revises: e5c9a1f3b7d2
Create Date: 2026-12-06 03:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'f2a8c4d1e9b3'
down_revision = 'e5c9a1f3b7d2'
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade():
    for table in ('bank', 'question'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('lint_ignore', _JSON, server_default=sa.text("'[]'"), nullable=False)
            )
            batch_op.add_column(
                sa.Column('lint_reason', sa.Text(), server_default='', nullable=False)
            )


def downgrade():
    for table in ('question', 'bank'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('lint_reason')
            batch_op.drop_column('lint_ignore')
