"""Account and course services. They flush, never commit: the caller owns the transaction."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, field

from argon2.exceptions import HashingError
from sqlalchemy import bindparam, select, update

from app.extensions import db
from app.models import Course, Enrolment, LoginSession, Role, User, utcnow
from app.passwords import hash_password, needs_rehash, verify_password
from app.roster import RosterProblem, RosterRow, canonical_email

log = logging.getLogger(__name__)

JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I confusion


class AccountError(ValueError):
    """A user-facing reason why an account operation was refused."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == canonical_email(email)))


def create_user(
    *,
    email: str,
    name: str,
    password: str | None,
    role: str = Role.STUDENT,
    student_number: str | None = None,
) -> User:
    email = canonical_email(email)
    if find_user_by_email(email) is not None:
        raise AccountError(f"an account with the email {email} already exists")
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        student_number=student_number,
        password_hash=hash_password(password) if password else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    user = find_user_by_email(email)
    ok = verify_password(user.password_hash if user else None, password)
    if ok and user is not None and needs_rehash(user.password_hash or ""):
        # Hashed with weaker parameters than today's: upgrade while we know the password.
        # A failed upgrade (parameters argon2 refuses) must not refuse a correct password.
        try:
            user.password_hash = hash_password(password)
        except HashingError:
            log.exception("could not rehash the password of %s", user.email)
    return user if ok else None


def start_login_session(user: User) -> str:
    """Record a login; the returned token goes in the signed cookie, only its hash in the DB."""
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(user_id=user.id, token_hash=_token_hash(token)))
    db.session.flush()
    return token


# Runs on every request of a logged-in user: built once.
_USER_BY_TOKEN = (
    select(User)
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(LoginSession.token_hash == bindparam("token_hash"), LoginSession.revoked_at.is_(None))
)


def user_for_session_token(token: str) -> User | None:
    return db.session.scalar(_USER_BY_TOKEN, {"token_hash": _token_hash(token)})


def end_login_session(token: str) -> None:
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.token_hash == _token_hash(token), LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def change_password(user: User, new_password: str) -> None:
    """Set a new password and end every session of the user, stolen cookies included."""
    user.password_hash = hash_password(new_password)
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    db.session.flush()


def new_join_code() -> str:
    while True:
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(8))
        if db.session.scalar(select(Course.id).where(Course.join_code == code)) is None:
            return code


def create_course(instructor: User, title: str, code: str = "") -> Course:
    course = Course(title=title.strip(), code=code.strip(), join_code=new_join_code())
    db.session.add(course)
    db.session.flush()
    db.session.add(Enrolment(course_id=course.id, user_id=instructor.id, role=Role.INSTRUCTOR))
    db.session.flush()
    return course


def find_course_by_join_code(join_code: str) -> Course | None:
    code = "".join(join_code.split()).upper()
    return db.session.scalar(select(Course).where(Course.join_code == code))


def enrol(course: Course, user: User, *, section: str | None = None) -> Enrolment:
    """Enrol a student; idempotent for someone already enrolled."""
    existing = db.session.scalar(
        select(Enrolment).where(Enrolment.course_id == course.id, Enrolment.user_id == user.id)
    )
    if existing is not None:
        return existing
    if user.role != Role.STUDENT:
        raise AccountError("instructor accounts cannot join a course as students")
    enrolment = Enrolment(course_id=course.id, user_id=user.id, role=Role.STUDENT, section=section)
    db.session.add(enrolment)
    db.session.flush()
    return enrolment


def sign_up_student(
    *, course: Course, email: str, name: str, password: str, student_number: str | None
) -> User:
    """Create a student, or claim an account the roster import created without a password.

    Claiming a roster account requires the student id on the roster, when there is one, so a
    classmate who knows the join code and an email cannot take the account over.
    """
    user = find_user_by_email(email)
    if user is None:
        user = create_user(email=email, name=name, password=password, student_number=student_number)
    elif user.password_hash is None and user.role == Role.STUDENT:
        if user.student_number and user.student_number != (student_number or ""):
            raise AccountError(
                "this email is on a course roster with a student id; enter that student id"
            )
        user.password_hash = hash_password(password)
        user.name = user.name or name
    else:
        raise AccountError("an account with this email already exists; log in instead")
    enrol(course, user)
    return user


@dataclass
class RosterResult:
    created: list[User] = field(default_factory=list)
    enrolled: list[User] = field(default_factory=list)
    already: list[User] = field(default_factory=list)
    problems: list[RosterProblem] = field(default_factory=list)


def import_roster(course: Course, rows: list[RosterRow]) -> RosterResult:
    """Create or enrol the students of valid rows; rows that conflict are reported, not applied."""
    result = RosterResult()
    emails = [r.email for r in rows]
    existing = (
        {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
        if emails
        else {}
    )
    enrolled_ids = set(
        db.session.scalars(select(Enrolment.user_id).where(Enrolment.course_id == course.id))
    )
    for row in rows:
        user = existing.get(row.email)
        if user is not None and user.role != Role.STUDENT:
            result.problems.append(
                RosterProblem(row.line, f"{row.email} is an instructor account, not a student")
            )
            continue
        if (
            user is not None
            and row.student_number
            and user.student_number
            and user.student_number != row.student_number
        ):
            result.problems.append(
                RosterProblem(
                    row.line,
                    f"{row.email} already has student id {user.student_number}, "
                    f"not {row.student_number}; correct the roster or the account",
                )
            )
            continue
        if user is None:
            user = User(
                email=row.email,
                name=row.name,
                role=Role.STUDENT,
                student_number=row.student_number,
            )
            db.session.add(user)
            db.session.flush()
            result.created.append(user)
        elif user.student_number is None and row.student_number:
            user.student_number = row.student_number
        if user.id in enrolled_ids:
            result.already.append(user)
            continue
        db.session.add(
            Enrolment(course_id=course.id, user_id=user.id, role=Role.STUDENT, section=row.section)
        )
        enrolled_ids.add(user.id)
        if user not in result.created:
            result.enrolled.append(user)
    db.session.flush()
    return result
