"""reading aids kept with an attempt: flagged questions, highlighted passages

Revision ID: e5c9a1f3b7d2
Revises: lti_1_3
Create Date: 2026-12-06 02:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5c9a1f3b7d2'
down_revision = 'lti_1_3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flagged', sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table('highlight',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('source_slug', sa.String(length=100), nullable=False),
    sa.Column('paragraph', sa.Integer(), nullable=False),
    sa.Column('start_offset', sa.Integer(), nullable=False),
    sa.Column('end_offset', sa.Integer(), nullable=False),
    sa.Column('quote', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('paragraph >= 1', name=op.f('ck_highlight_paragraph')),
    sa.CheckConstraint('start_offset >= 0 AND end_offset > start_offset', name=op.f('ck_highlight_offsets')),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_highlight_attempt_id_attempt'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_highlight'))
    )
    with op.batch_alter_table('highlight', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_highlight_attempt_id'), ['attempt_id'], unique=False)


def downgrade():
    with op.batch_alter_table('highlight', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_highlight_attempt_id'))

    op.drop_table('highlight')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('flagged')
