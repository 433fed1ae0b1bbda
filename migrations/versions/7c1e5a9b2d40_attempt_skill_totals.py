"""attempt skill totals: per-attempt points by reading skill, backfilled

Revision ID: 7c1e5a9b2d40
Revises: 30dd6cbd6495
Create Date: 2026-11-23 02:50:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text  # noqa: F401  (autogenerate renders JSONB(astext_type=Text()))


# revision identifiers, used by Alembic.
revision = '7c1e5a9b2d40'
down_revision = '30dd6cbd6495'
branch_labels = None
depends_on = None

# The reading skills of the bank format at this revision (app.domain.banks.schema.SKILLS); a skill
# added later comes with its own migration.
SKILLS = ['literal', 'vocabulary', 'inference', 'argument', 'evidence', 'rhetoric', 'perspective', 'fact-opinion', 'comparison']


def _skill_columns(skill):
    name = skill.replace("-", "_")
    return f"{name}_earned", f"{name}_possible", f"{name}_answers"


def upgrade():
    op.create_table('attempt_skill_totals',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('literal_earned', sa.Float(), nullable=False),
    sa.Column('literal_possible', sa.Float(), nullable=False),
    sa.Column('literal_answers', sa.Integer(), nullable=False),
    sa.Column('vocabulary_earned', sa.Float(), nullable=False),
    sa.Column('vocabulary_possible', sa.Float(), nullable=False),
    sa.Column('vocabulary_answers', sa.Integer(), nullable=False),
    sa.Column('inference_earned', sa.Float(), nullable=False),
    sa.Column('inference_possible', sa.Float(), nullable=False),
    sa.Column('inference_answers', sa.Integer(), nullable=False),
    sa.Column('argument_earned', sa.Float(), nullable=False),
    sa.Column('argument_possible', sa.Float(), nullable=False),
    sa.Column('argument_answers', sa.Integer(), nullable=False),
    sa.Column('evidence_earned', sa.Float(), nullable=False),
    sa.Column('evidence_possible', sa.Float(), nullable=False),
    sa.Column('evidence_answers', sa.Integer(), nullable=False),
    sa.Column('rhetoric_earned', sa.Float(), nullable=False),
    sa.Column('rhetoric_possible', sa.Float(), nullable=False),
    sa.Column('rhetoric_answers', sa.Integer(), nullable=False),
    sa.Column('perspective_earned', sa.Float(), nullable=False),
    sa.Column('perspective_possible', sa.Float(), nullable=False),
    sa.Column('perspective_answers', sa.Integer(), nullable=False),
    sa.Column('fact_opinion_earned', sa.Float(), nullable=False),
    sa.Column('fact_opinion_possible', sa.Float(), nullable=False),
    sa.Column('fact_opinion_answers', sa.Integer(), nullable=False),
    sa.Column('comparison_earned', sa.Float(), nullable=False),
    sa.Column('comparison_possible', sa.Float(), nullable=False),
    sa.Column('comparison_answers', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempt.id'], name=op.f('fk_attempt_skill_totals_attempt_id_attempt'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['quiz_id'], ['quiz.id'], name=op.f('fk_attempt_skill_totals_quiz_id_quiz'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_attempt_skill_totals_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'quiz_id', 'attempt_id', name=op.f('pk_attempt_skill_totals')),
    sa.UniqueConstraint('attempt_id', name=op.f('uq_attempt_skill_totals_attempt_id')),
    sqlite_with_rowid=False,
    )
    _backfill()


def _backfill():
    """One row per submitted, non-preview attempt, from its responses (as
    app.services.skill_totals.row_for computes it): per skill, the points earned and possible and the
    number of answers, leaving out answers still waiting for a person."""
    attempt = sa.table(
        'attempt',
        sa.column('id', sa.Integer()),
        sa.column('quiz_id', sa.Integer()),
        sa.column('user_id', sa.Integer()),
        sa.column('number', sa.Integer()),
        sa.column('score', sa.Float()),
        sa.column('state', sa.String()),
        sa.column('is_preview', sa.Boolean()),
    )
    response = sa.table(
        'response',
        sa.column('attempt_id', sa.Integer()),
        sa.column('question_version_id', sa.Integer()),
        sa.column('score', sa.Float()),
        sa.column('max_points', sa.Float()),
        sa.column('state', sa.String()),
    )
    version = sa.table('question_version', sa.column('id', sa.Integer()), sa.column('skill', sa.String()))
    names = ['user_id', 'quiz_id', 'attempt_id', 'number', 'score']
    sums = []
    for skill in SKILLS:
        names.extend(_skill_columns(skill))
        mine = version.c.skill == skill
        sums += [
            sa.func.coalesce(sa.func.sum(sa.case((mine, sa.func.coalesce(response.c.score, 0.0)))), 0.0),
            sa.func.coalesce(sa.func.sum(sa.case((mine, response.c.max_points))), 0.0),
            sa.func.count(sa.case((mine, 1))),
        ]
    counted = sa.or_(response.c.state != 'needs_grading', response.c.score.is_not(None))
    rows = (
        sa.select(attempt.c.user_id, attempt.c.quiz_id, attempt.c.id, attempt.c.number, attempt.c.score, *sums)
        .select_from(attempt)
        .outerjoin(response, sa.and_(response.c.attempt_id == attempt.c.id, counted))
        .outerjoin(version, version.c.id == response.c.question_version_id)
        .where(attempt.c.state == 'submitted', attempt.c.is_preview.is_(sa.false()))
        .group_by(attempt.c.id, attempt.c.user_id, attempt.c.quiz_id, attempt.c.number, attempt.c.score)
    )
    totals = sa.table('attempt_skill_totals', *(sa.column(n) for n in names))
    op.execute(totals.insert().from_select(names, rows))


def downgrade():
    op.drop_table('attempt_skill_totals')
