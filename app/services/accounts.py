"""Account and course services. They flush, never commit: the caller owns the transaction."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from argon2.exceptions import HashingError
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import joinedload

from app.domain.identities import (
    IdentityError,
    canonical_email,
    normalise_email,
    normalise_name,
    normalise_student_number,
)
from app.domain.passwords import hash_password, needs_rehash, verify_password
from app.domain.roster import RosterProblem, RosterRow
from app.extensions import db
from app.models import (
    Course,
    Enrolment,
    Invitation,
    LoginSession,
    PasswordReset,
    Role,
    User,
    utcnow,
)

INVITATION_LINK_LIFETIME = timedelta(days=14)

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
    try:
        email = normalise_email(email)
        name = normalise_name(name)
        student_number = normalise_student_number(student_number)
    except IdentityError as exc:
        raise AccountError(str(exc)) from exc
    if find_user_by_email(email) is not None:
        raise AccountError(f"an account with the email {email} already exists")
    user = User(
        email=email,
        name=name,
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
) -> User | None:
    """Create a student and enrol them; None when the email already has an account.

    The caller answers the same either way (and tells the owner of an existing account by
    email), so sign-up cannot be used to learn which emails have accounts. An account a roster
    import created, still without a password, is claimed here only through a course that
    invited it, with the student id the roster gave (when it gave one).
    """
    try:
        email = normalise_email(email)
        name = normalise_name(name)
        student_number = normalise_student_number(student_number)
    except IdentityError as exc:
        raise AccountError(str(exc)) from exc
    user = find_user_by_email(email)
    if user is None:
        user = create_user(email=email, name=name, password=password, student_number=student_number)
        enrol(course, user)
        return user
    invitation = _pending_invitation(course, user)
    claimable = (
        user.password_hash is None
        and user.role == Role.STUDENT
        and invitation is not None
        and invitation.created_account
        and (invitation.roster_student_number or None) in (None, student_number)
    )
    if not claimable:
        hash_password(password)  # the same work as creating an account: no timing tell
        return None
    user.password_hash = hash_password(password)
    accept_invitation(invitation)
    return user


def _pending_invitation(course: Course, user: User) -> Invitation | None:
    return db.session.scalar(
        select(Invitation).where(
            Invitation.course_id == course.id,
            Invitation.user_id == user.id,
            Invitation.accepted_at.is_(None),
            Invitation.declined_at.is_(None),
        )
    )


# --- invitations ----------------------------------------------------------------------------


@dataclass
class RosterResult:
    invited: list[Invitation] = field(default_factory=list)
    already: int = 0
    problems: list[RosterProblem] = field(default_factory=list)


def import_roster(course: Course, rows: list[RosterRow], inviter: User) -> RosterResult:
    """Invite the students of valid rows; nobody is enrolled without accepting.

    An instructor learns nothing about accounts outside their courses: a row is answered the
    same whether its email is new, belongs to another course's student, or to an instructor;
    the roster shows what the file said (name, student id) until the student accepts.
    """
    result = RosterResult()
    emails = [r.email for r in rows]
    if not emails:
        return result
    existing = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(emails)))}
    members = set(
        db.session.scalars(
            select(Enrolment.user_id).where(
                Enrolment.course_id == course.id,
                Enrolment.user_id.in_([u.id for u in existing.values()]),
            )
        )
    )
    invitations = {
        i.user_id: i
        for i in db.session.scalars(
            select(Invitation).where(
                Invitation.course_id == course.id,
                Invitation.user_id.in_([u.id for u in existing.values()]),
            )
        )
    }
    for row in rows:
        user = existing.get(row.email)
        if user is not None and user.id in members:
            result.already += 1
            continue
        created = user is None
        if user is None:
            user = User(
                email=row.email, name=row.name, role=Role.STUDENT, student_number=row.student_number
            )
            db.session.add(user)
            db.session.flush()
        invitation = invitations.get(user.id)
        if invitation is None:
            invitation = Invitation(course_id=course.id, user_id=user.id, created_account=created)
            db.session.add(invitation)
        invitation.invited_by_id = inviter.id
        invitation.roster_name = row.name
        invitation.roster_student_number = row.student_number
        invitation.section = row.section
        invitation.declined_at = None  # imported again: the instructor asks again
        result.invited.append(invitation)
    db.session.flush()
    return result


def pending_invitations_of(user: User) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .options(joinedload(Invitation.course))
            .where(
                Invitation.user_id == user.id,
                Invitation.accepted_at.is_(None),
                Invitation.declined_at.is_(None),
            )
            .order_by(Invitation.created_at)
        )
    )


def pending_invitations_of_course(course: Course) -> list[Invitation]:
    return list(
        db.session.scalars(
            select(Invitation)
            .options(joinedload(Invitation.user))
            .where(Invitation.course_id == course.id, Invitation.accepted_at.is_(None))
            .order_by(Invitation.roster_name)
        )
    )


def accept_invitation(invitation: Invitation) -> Enrolment:
    """Enrol the invited student with the roster's section; the roster's id fills a blank one."""
    user = invitation.user
    if user.role != Role.STUDENT:
        raise AccountError("instructor accounts cannot join a course as students")
    course = db.session.get(Course, invitation.course_id)
    assert course is not None
    enrolment = enrol(course, user, section=invitation.section)
    if user.student_number is None and invitation.roster_student_number:
        user.student_number = invitation.roster_student_number
    invitation.accepted_at = utcnow()
    invitation.token_hash = None
    db.session.flush()
    return enrolment


def join_with_code(course: Course, user: User) -> Enrolment:
    """Join with the course's code; an invitation from that course counts as accepted."""
    invitation = _pending_invitation(course, user)
    if invitation is not None and user.role == Role.STUDENT:
        return accept_invitation(invitation)
    return enrol(course, user)


def decline_invitation(invitation: Invitation) -> None:
    invitation.declined_at = utcnow()
    invitation.token_hash = None
    db.session.flush()


def new_invitation_link(invitation: Invitation, now: datetime | None = None) -> str:
    """A fresh token for the invitation link; the previous link stops working."""
    token = secrets.token_urlsafe(32)
    invitation.token_hash = _token_hash(token)
    invitation.token_expires_at = (now or utcnow()) + INVITATION_LINK_LIFETIME
    db.session.flush()
    return token


def invitation_for_token(token: str, now: datetime | None = None) -> Invitation | None:
    """The pending invitation a link names, or None when it is unknown, replaced or expired."""
    if not token or len(token) > 100:
        return None
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == _token_hash(token))
    )
    if invitation is None or not invitation.pending or invitation.token_expires_at is None:
        return None
    if invitation.token_expires_at <= (now or utcnow()):
        return None
    return invitation


def claim_invited_account(invitation: Invitation, password: str) -> User:
    """Set the first password of an account the import created, and accept the invitation."""
    user = invitation.user
    if not invitation.created_account or user.password_hash is not None:
        raise AccountError("this account already has a password; log in to accept")
    user.password_hash = hash_password(password)
    accept_invitation(invitation)
    return user


def count_pending_invitations(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Invitation)
            .where(
                Invitation.user_id == user.id,
                Invitation.accepted_at.is_(None),
                Invitation.declined_at.is_(None),
            )
        )
        or 0
    )


# --- password resets ------------------------------------------------------------------------

# Emailed links are short-lived; a link an instructor hands over in person gets a working day.
RESET_LINK_LIFETIME = {"email": timedelta(hours=1), "instructor": timedelta(hours=24)}
RESETS_PER_HOUR = 3  # per account and channel: a flood of reset emails is refused quietly


def issue_password_reset(
    user: User, channel: str, *, issued_by: User | None = None, now: datetime | None = None
) -> str | None:
    """A one-time reset token (only its hash is stored); None past the hourly limit.

    Issuing a link ends every earlier unused one of the account.
    """
    now = now or utcnow()
    recent = db.session.scalar(
        select(func.count())
        .select_from(PasswordReset)
        .where(
            PasswordReset.user_id == user.id,
            PasswordReset.channel == channel,
            PasswordReset.created_at > now - timedelta(hours=1),
        )
    )
    if (recent or 0) >= RESETS_PER_HOUR:
        return None
    _end_reset_links(user, now)
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=_token_hash(token),
            channel=channel,
            issued_by_id=issued_by.id if issued_by else None,
            created_at=now,
            expires_at=now + RESET_LINK_LIFETIME[channel],
        )
    )
    db.session.flush()
    return token


def _end_reset_links(user: User, now: datetime) -> None:
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )


def reset_for_token(token: str, now: datetime | None = None) -> PasswordReset | None:
    """The reset a link names, or None when it is unknown, used, replaced or expired."""
    if not token or len(token) > 100:
        return None
    reset = db.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == _token_hash(token))
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= (now or utcnow()):
        return None
    return reset


def use_password_reset(
    reset: PasswordReset, new_password: str, now: datetime | None = None
) -> User:
    """Set the new password, spend the link (and any other), end every session of the user."""
    user = reset.user
    change_password(user, new_password)
    _end_reset_links(user, now or utcnow())
    db.session.flush()
    return user
