"""Typed models and the invariants the database enforces for them.

Domain rules that can live in the schema do: one response per question per attempt, one open
attempt per student and quiz, attempt numbers unique per student and quiz, foreign keys (on SQLite
too). Timestamps are stored as UTC.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.skills import SKILLS
from app.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Role(enum.StrEnum):
    INSTRUCTOR = "instructor"
    STUDENT = "student"


class AttemptState(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


# --- accounts and courses -------------------------------------------------------------------


class User(db.Model):
    __tablename__ = "user"
    __table_args__ = (CheckConstraint("role in ('instructor', 'student')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    student_number: Mapped[str | None] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16), default=Role.STUDENT)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enrolments: Mapped[list[Enrolment]] = relationship(back_populates="user")

    # Flask-Login's user protocol. The id it stores in the cookie is the login token, not the
    # user id, so ending the login (logout, password change) makes a copied cookie worthless.
    login_token = None  # set per request by the user loader; not a column
    is_authenticated = True  # Flask-Login protocol
    is_active = True
    is_anonymous = False

    def get_id(self) -> str | None:
        return self.login_token

    @property
    def is_instructor(self) -> bool:
        return self.role == Role.INSTRUCTOR

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class LoginSession(db.Model):
    """A server-side record of each login, so a copied cookie dies at logout."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class Course(db.Model):
    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(40), default="")
    join_code: Mapped[str] = mapped_column(String(16), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    enrolments: Mapped[list[Enrolment]] = relationship(
        back_populates="course", cascade="all, delete-orphan"
    )
    quizzes: Mapped[list[Quiz]] = relationship(
        back_populates="course", order_by="Quiz.id", cascade="all, delete-orphan"
    )


class Enrolment(db.Model):
    __tablename__ = "enrolment"
    __table_args__ = (
        UniqueConstraint("course_id", "user_id"),
        CheckConstraint("role in ('instructor', 'student')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    section: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship(back_populates="enrolments")
    user: Mapped[User] = relationship(back_populates="enrolments")


# --- sources and banks ----------------------------------------------------------------------


class Source(db.Model):
    """An article, cleaned but not reworded, split into numbered paragraphs."""

    __tablename__ = "source"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    publication: Mapped[str] = mapped_column(String(200), default="")
    date: Mapped[str | None] = mapped_column(String(32))
    url: Mapped[str | None] = mapped_column(String(2000))
    author: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    paragraphs: Mapped[list[Paragraph]] = relationship(
        back_populates="source", order_by="Paragraph.position", cascade="all, delete-orphan"
    )

    @property
    def byline(self) -> str:
        parts = [p for p in (self.publication, self.date) if p]
        parts.append(self.author or "author not given")
        return ", ".join(parts)


class Paragraph(db.Model):
    __tablename__ = "paragraph"
    __table_args__ = (UniqueConstraint("source_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    sentences: Mapped[list[str]] = mapped_column(JSONType, default=list)

    source: Mapped[Source] = relationship(back_populates="paragraphs")

    @property
    def anchor(self) -> str:
        return f"p{self.position}"


class Bank(db.Model):
    __tablename__ = "bank"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    path: Mapped[str] = mapped_column(String(500), default="")
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    questions: Mapped[list[Question]] = relationship(back_populates="bank", order_by="Question.id")


class BankSource(db.Model):
    __tablename__ = "bank_source"

    bank_id: Mapped[int] = mapped_column(
        ForeignKey("bank.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"), primary_key=True)


class Question(db.Model):
    """A question's stable identity; its content lives in immutable versions."""

    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id"), index=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    latest_version: Mapped[int] = mapped_column(Integer, default=1)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    bank: Mapped[Bank] = relationship(back_populates="questions")
    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question", order_by="QuestionVersion.version"
    )


class QuestionVersion(db.Model):
    """One immutable version of a question: attempts point here, so old answers keep meaning."""

    __tablename__ = "question_version"
    __table_args__ = (UniqueConstraint("question_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"))
    version: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(20))
    skill: Mapped[str] = mapped_column(String(30), index=True)
    difficulty: Mapped[str] = mapped_column(String(10))
    points: Mapped[float] = mapped_column(Float)
    source_slug: Mapped[str | None] = mapped_column(String(100))
    spec: Mapped[dict[str, Any]] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    question: Mapped[Question] = relationship(back_populates="versions")


# The join condition pairing a question with its current (latest) version.
CURRENT_VERSION = and_(
    QuestionVersion.question_id == Question.id,
    QuestionVersion.version == Question.latest_version,
)


# --- quizzes ----------------------------------------------------------------------------------


class Quiz(db.Model):
    __tablename__ = "quiz"
    __table_args__ = (
        CheckConstraint(
            "grading_method in ('highest', 'last', 'average', 'first')", name="grading_method"
        ),
        CheckConstraint("mode in ('graded', 'practice')", name="mode"),
        CheckConstraint("attempts_allowed >= 0", name="attempts_allowed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    mode: Mapped[str] = mapped_column(String(10), default="graded")
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer)
    attempts_allowed: Mapped[int] = mapped_column(Integer, default=1)  # 0 means unlimited
    grading_method: Mapped[str] = mapped_column(String(10), default="highest")
    review_policy: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    shuffle_questions: Mapped[bool] = mapped_column(Boolean, default=False)
    shuffle_options: Mapped[bool] = mapped_column(Boolean, default=True)
    questions_per_page: Mapped[int] = mapped_column(Integer, default=0)  # 0: all on one page
    canvas_assignment_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship(back_populates="quizzes")
    slots: Mapped[list[QuizSlot]] = relationship(
        back_populates="quiz", order_by="QuizSlot.position", cascade="all, delete-orphan"
    )
    sources: Mapped[list[QuizSource]] = relationship(
        order_by="QuizSource.position", cascade="all, delete-orphan"
    )


class QuizSource(db.Model):
    """The articles shown in the reading pane, in order (two for comparison quizzes)."""

    __tablename__ = "quiz_source"

    quiz_id: Mapped[int] = mapped_column(
        ForeignKey("quiz.id", ondelete="CASCADE"), primary_key=True
    )
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    source: Mapped[Source] = relationship()


class QuizSlot(db.Model):
    """A place in a quiz: a chosen question, or a random draw by bank, skill and difficulty."""

    __tablename__ = "quiz_slot"
    __table_args__ = (
        UniqueConstraint("quiz_id", "position"),
        CheckConstraint(
            "(question_id IS NOT NULL) OR (draw_bank_id IS NOT NULL)", name="question_or_draw"
        ),
        CheckConstraint("draw_count >= 1", name="draw_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    page: Mapped[int] = mapped_column(Integer, default=1)
    points: Mapped[float | None] = mapped_column(Float)  # None: the question's own points
    question_id: Mapped[int | None] = mapped_column(ForeignKey("question.id"))
    draw_bank_id: Mapped[int | None] = mapped_column(ForeignKey("bank.id"))
    draw_skill: Mapped[str | None] = mapped_column(String(30))
    draw_difficulty: Mapped[str | None] = mapped_column(String(10))
    draw_type: Mapped[str | None] = mapped_column(String(20))
    draw_count: Mapped[int] = mapped_column(Integer, default=1)

    quiz: Mapped[Quiz] = relationship(back_populates="slots")
    question: Mapped[Question | None] = relationship()


class Accommodation(db.Model):
    """Per-student adjustments for one quiz. The deadline rule is in ``app.domain.deadlines``."""

    __tablename__ = "accommodation"
    __table_args__ = (
        UniqueConstraint("quiz_id", "user_id"),
        CheckConstraint("time_multiplier >= 1", name="time_multiplier"),
        CheckConstraint("extra_minutes >= 0", name="extra_minutes"),
        CheckConstraint("extra_attempts >= 0", name="extra_attempts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    time_multiplier: Mapped[float] = mapped_column(Float, default=1.0)
    extra_minutes: Mapped[int] = mapped_column(Integer, default=0)
    extra_attempts: Mapped[int] = mapped_column(Integer, default=0)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(500), default="")

    user: Mapped[User] = relationship()


# --- attempts ---------------------------------------------------------------------------------


class Attempt(db.Model):
    __tablename__ = "attempt"
    __table_args__ = (
        UniqueConstraint("quiz_id", "user_id", "number"),
        CheckConstraint("state in ('in_progress', 'submitted')", name="state"),
        # At most one open attempt per student and quiz, whatever races happen.
        Index(
            "uq_attempt_one_open",
            "quiz_id",
            "user_id",
            unique=True,
            sqlite_where=text("state = 'in_progress'"),
            postgresql_where=text("state = 'in_progress'"),
        ),
        Index("ix_attempt_quiz_state", "quiz_id", "state"),
        Index("ix_attempt_open_deadline", "state", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default=AttemptState.IN_PROGRESS)
    is_preview: Mapped[bool] = mapped_column(Boolean, default=False)
    seed: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by: Mapped[str | None] = mapped_column(String(16))  # student, timer, sweeper
    score: Mapped[float | None] = mapped_column(Float)  # effective total, kept in step
    auto_score: Mapped[float | None] = mapped_column(Float)
    score_override: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float, default=0.0)
    needs_grading: Mapped[bool] = mapped_column(Boolean, default=False)
    flagged: Mapped[str | None] = mapped_column(String(500))

    quiz: Mapped[Quiz] = relationship()
    user: Mapped[User] = relationship()
    responses: Mapped[list[Response]] = relationship(
        back_populates="attempt", order_by="Response.position", cascade="all, delete-orphan"
    )


class Response(db.Model):
    """A student's answer to one question of one attempt (created empty at attempt start)."""

    __tablename__ = "response"
    __table_args__ = (
        UniqueConstraint("attempt_id", "question_version_id"),
        UniqueConstraint("attempt_id", "position"),
        Index("ix_response_qv_state", "question_version_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    page: Mapped[int] = mapped_column(Integer, default=1)
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("quiz_slot.id", ondelete="SET NULL"))
    question_version_id: Mapped[int] = mapped_column(ForeignKey("question_version.id"))
    max_points: Mapped[float] = mapped_column(Float)
    layout: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # shuffled orders
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)  # last accepted client sequence
    # The page (tab) that saved the stored answer: a save based on an older version is stale
    # unless the newer version is this page's own (a save whose reply was lost).
    saved_by: Mapped[str | None] = mapped_column(String(32))
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="unanswered")
    auto_score: Mapped[float | None] = mapped_column(Float)
    manual_score: Mapped[float | None] = mapped_column(Float)
    override_score: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float | None] = mapped_column(Float)  # effective: override, manual, auto
    feedback: Mapped[list[str]] = mapped_column(JSONType, default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    rubric_scores: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Criterion → the level the grader clicked (its points), for levelled rubrics; the points
    # awarded (rubric_scores) may differ when the grader adjusted them.
    rubric_levels: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The student's own "flag for review" mark while answering: a note to themselves (the
    # navigator and the submit page list flagged questions first), never graded.
    flagged: Mapped[bool] = mapped_column(Boolean, server_default=false())

    attempt: Mapped[Attempt] = relationship(back_populates="responses")
    question_version: Mapped[QuestionVersion] = relationship()


class Highlight(db.Model):
    """A passage the student marked in an article while answering their attempt.

    A reading aid, never graded and shown to no one but the student (on the quiz page and in
    their review). Offsets count characters of the paragraph's text as the page shows it
    (``app.domain.highlights.paragraph_text``); ``quote`` keeps the marked words, so a
    highlight whose paragraph has changed since is recognised and left out, never moved."""

    __tablename__ = "highlight"
    __table_args__ = (
        CheckConstraint("start_offset >= 0 AND end_offset > start_offset", name="offsets"),
        CheckConstraint("paragraph >= 1", name="paragraph"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempt.id", ondelete="CASCADE"), index=True
    )
    source_slug: Mapped[str] = mapped_column(String(100))
    paragraph: Mapped[int] = mapped_column(Integer)
    start_offset: Mapped[int] = mapped_column(Integer)
    end_offset: Mapped[int] = mapped_column(Integer)
    quote: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AttemptSkillTotals(db.Model):
    """A submitted attempt's points per reading skill; kept in step by
    ``app.services.skill_totals``.

    Why it exists: mastery for a whole course sums these rows, one per attempt, instead of
    every response (about twenty per attempt). Per skill: points earned and possible and the
    number of answers counted; an answer still waiting for a person counts in none of them.
    Rows exist for submitted, non-preview attempts only. ``quiz_id``, ``user_id``, ``number``
    and ``score`` repeat the attempt's, so "the attempt that counts" is found among a
    student's rows for a quiz (neighbours in the key) without ranking the course's attempts;
    ``score`` only changes when the row is rewritten. The key starts with the student, so
    SQLite sums each student's rows in key order, without sorting them.
    """

    __tablename__ = "attempt_skill_totals"
    __table_args__ = ({"sqlite_with_rowid": False},)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    quiz_id: Mapped[int] = mapped_column(
        ForeignKey("quiz.id", ondelete="CASCADE"), primary_key=True
    )
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempt.id", ondelete="CASCADE"), primary_key=True, unique=True
    )
    number: Mapped[int] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    literal_earned: Mapped[float] = mapped_column(Float, default=0.0)
    literal_possible: Mapped[float] = mapped_column(Float, default=0.0)
    literal_answers: Mapped[int] = mapped_column(Integer, default=0)
    vocabulary_earned: Mapped[float] = mapped_column(Float, default=0.0)
    vocabulary_possible: Mapped[float] = mapped_column(Float, default=0.0)
    vocabulary_answers: Mapped[int] = mapped_column(Integer, default=0)
    inference_earned: Mapped[float] = mapped_column(Float, default=0.0)
    inference_possible: Mapped[float] = mapped_column(Float, default=0.0)
    inference_answers: Mapped[int] = mapped_column(Integer, default=0)
    argument_earned: Mapped[float] = mapped_column(Float, default=0.0)
    argument_possible: Mapped[float] = mapped_column(Float, default=0.0)
    argument_answers: Mapped[int] = mapped_column(Integer, default=0)
    evidence_earned: Mapped[float] = mapped_column(Float, default=0.0)
    evidence_possible: Mapped[float] = mapped_column(Float, default=0.0)
    evidence_answers: Mapped[int] = mapped_column(Integer, default=0)
    rhetoric_earned: Mapped[float] = mapped_column(Float, default=0.0)
    rhetoric_possible: Mapped[float] = mapped_column(Float, default=0.0)
    rhetoric_answers: Mapped[int] = mapped_column(Integer, default=0)
    perspective_earned: Mapped[float] = mapped_column(Float, default=0.0)
    perspective_possible: Mapped[float] = mapped_column(Float, default=0.0)
    perspective_answers: Mapped[int] = mapped_column(Integer, default=0)
    fact_opinion_earned: Mapped[float] = mapped_column(Float, default=0.0)
    fact_opinion_possible: Mapped[float] = mapped_column(Float, default=0.0)
    fact_opinion_answers: Mapped[int] = mapped_column(Integer, default=0)
    comparison_earned: Mapped[float] = mapped_column(Float, default=0.0)
    comparison_possible: Mapped[float] = mapped_column(Float, default=0.0)
    comparison_answers: Mapped[int] = mapped_column(Integer, default=0)


def _skill_columns(skill: str) -> tuple[str, str, str]:
    name = skill.replace("-", "_")
    return f"{name}_earned", f"{name}_possible", f"{name}_answers"


# Reading skill → its (earned, possible, answers) columns in ``attempt_skill_totals``.
SKILL_COLUMNS: dict[str, tuple[str, str, str]] = {skill: _skill_columns(skill) for skill in SKILLS}


class GradeChange(db.Model):
    """Audit trail: every change to a score after submission, with who, when and why."""

    __tablename__ = "grade_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempt.id", ondelete="CASCADE"), index=True
    )
    response_id: Mapped[int | None] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(20))  # manual, override, regrade, attempt_override
    old_score: Mapped[float | None] = mapped_column(Float)
    new_score: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    changed_by: Mapped[User | None] = relationship()


# --- LTI 1.3 (the LMS side: platforms, their courses, links and grade passback) ----------------


class LtiPlatform(db.Model):
    """An LMS registration: the issuer and the client id it gave Hustings, and its endpoints."""

    __tablename__ = "lti_platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    login_url: Mapped[str] = mapped_column(String(2000))
    token_url: Mapped[str] = mapped_column(String(2000))
    jwks_url: Mapped[str] = mapped_column(String(2000))
    # Origins that may frame Hustings for this platform besides the issuer's and login URL's
    # (Canvas frames tools from each school's own domain), space-separated.
    frame_origins: Mapped[str] = mapped_column(Text, default="")
    jwks_cache: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    jwks_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    deployments: Mapped[list[LtiDeployment]] = relationship(
        back_populates="platform", order_by="LtiDeployment.id", cascade="all, delete-orphan"
    )


class LtiDeployment(db.Model):
    """A deployment id of a platform; launches from any other deployment are refused."""

    __tablename__ = "lti_deployment"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    platform: Mapped[LtiPlatform] = relationship(back_populates="deployments")


class LtiToolKey(db.Model):
    """Hustings' own signing keys. One is active; rotated ones stay published until retired."""

    __tablename__ = "lti_tool_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(100), unique=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # no longer signs
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # no longer published


class LtiContext(db.Model):
    """An LMS course (context) and the Hustings course it is linked to."""

    __tablename__ = "lti_context"
    __table_args__ = (UniqueConstraint("platform_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    context_id: Mapped[str] = mapped_column(String(255))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(300), default="")
    memberships_url: Mapped[str | None] = mapped_column(String(2000))
    lineitems_url: Mapped[str | None] = mapped_column(String(2000))
    ags_scopes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    roster_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    platform: Mapped[LtiPlatform] = relationship()
    course: Mapped[Course] = relationship()


class LtiUser(db.Model):
    """An LMS identity (issuer + sub, never the email alone) and the account it logs in as."""

    __tablename__ = "lti_user"
    __table_args__ = (UniqueConstraint("platform_id", "sub"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platform.id", ondelete="CASCADE"))
    sub: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class LtiResourceLink(db.Model):
    """A placement of a quiz in an LMS course, with the line item its grades go to."""

    __tablename__ = "lti_resource_link"
    __table_args__ = (UniqueConstraint("context_id", "resource_link_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("lti_context.id", ondelete="CASCADE"))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    lineitem_url: Mapped[str | None] = mapped_column(String(2000))
    score_maximum: Mapped[float | None] = mapped_column(Float)  # as last told to the LMS
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    context: Mapped[LtiContext] = relationship()
    quiz: Mapped[Quiz] = relationship()


class LtiLaunchState(db.Model):
    """Short-lived OIDC state: nonces (deleted when used), used states, deep-link launches."""

    __tablename__ = "lti_launch_state"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class LtiGradeSync(db.Model):
    """The outbox of grade passback: one row per placement and student, sent when pending.

    The score is read when the row is sent, so many changes in a row post once, and a retry
    posts the score as it is then."""

    __tablename__ = "lti_grade_sync"
    __table_args__ = (
        UniqueConstraint("resource_link_id", "user_id"),
        CheckConstraint("status in ('pending', 'sent', 'failed')", name="status"),
        Index("ix_lti_grade_sync_due", "status", "next_try_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_link_id: Mapped[int] = mapped_column(
        ForeignKey("lti_resource_link.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_score: Mapped[float | None] = mapped_column(Float)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    resource_link: Mapped[LtiResourceLink] = relationship()
    user: Mapped[User] = relationship()


class LoginThrottle(db.Model):
    """Failed logins counted per key (account and address, address, account) in the database,
    so that every worker and instance of a deployment shares the count without Redis."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- invitations and password resets --------------------------------------------------------


class Invitation(db.Model):
    """A course's invitation to a student, from a roster import: enrolment needs consent.

    The roster's name, student id and section are kept here, so the instructor sees what they
    imported, not what another course knows about the account. ``token_hash`` is the hash of
    the current invitation link (the instructor hands it out, or it is emailed); a new link
    replaces the old one.
    """

    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    roster_name: Mapped[str] = mapped_column(String(200))
    roster_student_number: Mapped[str | None] = mapped_column(String(64))
    section: Mapped[str | None] = mapped_column(String(64))
    # The import created the account (no password yet): only then may the link set a password.
    created_account: Mapped[bool] = mapped_column(Boolean, default=False)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def pending(self) -> bool:
        return self.accepted_at is None and self.declined_at is None


class PasswordReset(db.Model):
    """A one-time password-reset link: only its hash is stored; it expires and is used once."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # "email" (asked for on the forgot-password page) or "instructor" (issued from a roster).
    channel: Mapped[str] = mapped_column(String(16))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class QuestionExclusion(db.Model):
    """Two questions that give each other away and must not share an attempt.

    Kept by stable question key (not id), sorted so each pair is stored one way, because a bank may
    name a question of another bank that is loaded later. Rows belong to the bank whose question
    declared them and are replaced whenever that bank is loaded."""

    __tablename__ = "question_exclusion"
    __table_args__ = (
        UniqueConstraint("first_key", "second_key", "bank_id"),
        CheckConstraint("first_key < second_key", name="sorted"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id", ondelete="CASCADE"), index=True)
    first_key: Mapped[str] = mapped_column(String(120), index=True)
    second_key: Mapped[str] = mapped_column(String(120), index=True)
    declared_by: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(Text, default="")


class LintIgnore(db.Model):
    """Linter warnings a bank file accepts (`lint_ignore` with its `lint_reason`), for the whole
    bank (`question_key` "") or one question. Not versioned, like exclusions: no attempt depends
    on them. Kept so that "Download as YAML" writes everything the file had; rows belong to the
    bank and are replaced whenever it is loaded."""

    __tablename__ = "lint_ignore"
    __table_args__ = (UniqueConstraint("bank_id", "question_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("bank.id", ondelete="CASCADE"), index=True)
    question_key: Mapped[str] = mapped_column(String(120), default="")
    codes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")


class SourceNote(db.Model):
    """A background note beside an article: what a first-year reader needs, with its sources.

    Written by the course's authors (question_banks/notes/), never part of the article itself."""

    __tablename__ = "source_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
