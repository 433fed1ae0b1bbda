"""question exclusions: pairs of questions that must not share an attempt

Revision ID: b4e2c81f9a10
Revises: b3f1c2d4e5a6
Create Date: 2026-12-05 13:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4e2c81f9a10'
down_revision = 'b3f1c2d4e5a6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('question_exclusion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('first_key', sa.String(length=120), nullable=False),
    sa.Column('second_key', sa.String(length=120), nullable=False),
    sa.Column('declared_by', sa.String(length=120), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.CheckConstraint('first_key < second_key', name=op.f('ck_question_exclusion_sorted')),
    sa.ForeignKeyConstraint(['bank_id'], ['bank.id'], name=op.f('fk_question_exclusion_bank_id_bank'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_exclusion')),
    sa.UniqueConstraint('first_key', 'second_key', 'bank_id', name=op.f('uq_question_exclusion_first_key_second_key_bank_id'))
    )
    with op.batch_alter_table('question_exclusion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_exclusion_bank_id'), ['bank_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_exclusion_first_key'), ['first_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_exclusion_second_key'), ['second_key'], unique=False)


def downgrade():
    with op.batch_alter_table('question_exclusion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_exclusion_second_key'))
        batch_op.drop_index(batch_op.f('ix_question_exclusion_first_key'))
        batch_op.drop_index(batch_op.f('ix_question_exclusion_bank_id'))

    op.drop_table('question_exclusion')
