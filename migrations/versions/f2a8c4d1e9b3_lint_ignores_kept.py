"""lint ignores kept in the library: a bank's and its questions' lint_ignore and lint_reason

Revision ID: f2a8c4d1e9b3
Revises: e5c9a1f3b7d2
Create Date: 2026-12-06 03:20:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = 'f2a8c4d1e9b3'
down_revision = 'e5c9a1f3b7d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lint_ignore',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('question_key', sa.String(length=120), nullable=False),
    sa.Column('codes', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['bank.id'], name=op.f('fk_lint_ignore_bank_id_bank'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lint_ignore')),
    sa.UniqueConstraint('bank_id', 'question_key', name=op.f('uq_lint_ignore_bank_id_question_key'))
    )
    with op.batch_alter_table('lint_ignore', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lint_ignore_bank_id'), ['bank_id'], unique=False)


def downgrade():
    with op.batch_alter_table('lint_ignore', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lint_ignore_bank_id'))

    op.drop_table('lint_ignore')
