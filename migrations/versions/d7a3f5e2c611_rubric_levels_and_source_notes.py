"""rubric levels on responses; background notes beside sources

Revision ID: d7a3f5e2c611
Revises: b4e2c81f9a10
Create Date: 2026-12-05 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy import Text  # noqa: F401  (autogenerate renders JSONB(astext_type=Text()))


# revision identifiers, used by Alembic.
revision = 'd7a3f5e2c611'
down_revision = 'b4e2c81f9a10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('source_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['source_id'], ['source.id'], name=op.f('fk_source_note_source_id_source'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_note')),
    sa.UniqueConstraint('source_id', name=op.f('uq_source_note_source_id'))
    )
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rubric_levels', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True))


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('rubric_levels')

    op.drop_table('source_note')
