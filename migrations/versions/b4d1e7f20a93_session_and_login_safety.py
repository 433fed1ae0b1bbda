"""response.saved_by (which page saved an answer) and login_throttle (failed logins shared by
every worker)

Revision ID: b4d1e7f20a93
Revises: 7c1e5a9b2d40
Create Date: 2026-12-05 13:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b4d1e7f20a93'
down_revision = '7c1e5a9b2d40'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('saved_by', sa.String(length=32), nullable=True))
    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )


def downgrade():
    op.drop_table('login_throttle')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('saved_by')
