"""From a validated launch (or an NRPS member) to Hustings rows: the account, the course, the
enrolment and the placement. Services flush; the caller commits.

Accounts are matched by the LMS identity (platform + ``sub``), never by email: an email the
LMS sends is used for a new account only when no account has it, since another system's say-so
must not hand over an existing Hustings account.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.domain import text
from app.domain.identities import FORMULA_STARTS, IdentityError, normalise_email
from app.extensions import db
from app.lti.roles import course_role
from app.models import (
    Course,
    Enrolment,
    LtiContext,
    LtiPlatform,
    LtiResourceLink,
    LtiUser,
    Quiz,
    Role,
    User,
)
from app.services import accounts

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
CONTEXT = CLAIM + "context"
RESOURCE_LINK = CLAIM + "resource_link"
ROLES = CLAIM + "roles"
CUSTOM = CLAIM + "custom"
DEPLOYMENT = CLAIM + "deployment_id"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
QUIZ_PARAM = "hustings_quiz"


class ProvisionError(ValueError):
    """A launch whose claims Hustings cannot act on, with what to do about it."""


def clean(value: Any, limit: int) -> str:
    """Text from the LMS, NFC, without the characters the text policy refuses, cut to ``limit``."""
    value = str(value or "")
    while (problem := text.find_problem(value, multiline=False)) is not None:
        value = value.replace(problem.char, " ")
    return text.accept(" ".join(value.split()), multiline=False)[:limit]


def display_name(claims: Mapping[str, Any]) -> str:
    name = clean(claims.get("name"), 200)
    if not name:
        name = clean(f"{claims.get('given_name') or ''} {claims.get('family_name') or ''}", 200)
    # Names go into grade files: a leading = + - @ would be read as a formula there.
    return name.lstrip("".join(FORMULA_STARTS)).strip() or "LMS user"


def _placeholder_email(platform: LtiPlatform, sub: str) -> str:
    digest = hashlib.sha256(f"{platform.id}:{sub}".encode()).hexdigest()[:24]
    return f"lti-{platform.id}-{digest}@lti.invalid"


def user_for(platform: LtiPlatform, claims: Mapping[str, Any], role: str) -> User:
    """The account linked to (platform, sub), made on first sight; name kept in step."""
    sub = clean(claims.get("sub") or claims.get("user_id"), 255)
    if not sub:
        raise ProvisionError("The LMS sent no user id (sub); anonymous launches are not supported.")
    link = db.session.scalar(
        select(LtiUser).where(LtiUser.platform_id == platform.id, LtiUser.sub == sub)
    )
    name = display_name(claims)
    if link is not None:
        user = link.user
        if name != "LMS user":
            user.name = name
    else:
        try:
            email = normalise_email(clean(claims.get("email"), 254))
        except IdentityError:
            email = ""
        if not email or accounts.find_user_by_email(email) is not None:
            email = _placeholder_email(platform, sub)
        user = User(email=email, name=name, role=Role.STUDENT, password_hash=None)
        db.session.add(user)
        db.session.flush()
        db.session.add(LtiUser(platform_id=platform.id, sub=sub, user_id=user.id))
    if role == Role.INSTRUCTOR and user.role != Role.INSTRUCTOR:
        user.role = Role.INSTRUCTOR
    db.session.flush()
    return user


def context_for(platform: LtiPlatform, claims: Mapping[str, Any], deployment_id: str) -> LtiContext:
    """The Hustings course of the LMS context, made on first launch; service URLs refreshed."""
    context = claims.get(CONTEXT) or {}
    context_id = clean(context.get("id"), 255)
    if not context_id:
        raise ProvisionError(
            "The launch came from outside a course (no context). Add Hustings to a course in "
            "the LMS and launch it from there."
        )
    row = db.session.scalar(
        select(LtiContext).where(
            LtiContext.platform_id == platform.id, LtiContext.context_id == context_id
        )
    )
    title = clean(context.get("title") or context.get("label"), 200) or "LMS course"
    if row is None:
        course = Course(
            title=title, code=clean(context.get("label"), 40), join_code=accounts.new_join_code()
        )
        db.session.add(course)
        db.session.flush()
        row = LtiContext(
            platform_id=platform.id,
            context_id=context_id,
            course_id=course.id,
            deployment_id=deployment_id,
            title=title,
        )
        db.session.add(row)
    row.title = title
    ags = claims.get(AGS) or {}
    if ags.get("lineitems"):
        row.lineitems_url = str(ags["lineitems"])
    if isinstance(ags.get("scope"), list):
        row.ags_scopes = [str(s) for s in ags["scope"]]
    nrps = claims.get(NRPS) or {}
    if nrps.get("context_memberships_url"):
        row.memberships_url = str(nrps["context_memberships_url"])
    db.session.flush()
    return row


def enrol_as(course_id: int, user: User, role: str) -> Enrolment:
    """Enrol with the LMS's role; a role the LMS changed is changed here too."""
    enrolment = db.session.scalar(
        select(Enrolment).where(Enrolment.course_id == course_id, Enrolment.user_id == user.id)
    )
    if enrolment is None:
        enrolment = Enrolment(course_id=course_id, user_id=user.id, role=role)
        db.session.add(enrolment)
    enrolment.role = role
    db.session.flush()
    return enrolment


def requested_quiz(claims: Mapping[str, Any]) -> int | None:
    custom = claims.get(CUSTOM) or {}
    value = str(custom.get(QUIZ_PARAM, "")).strip()
    return int(value) if value.isdigit() else None


def resource_link_for(
    context: LtiContext, claims: Mapping[str, Any], *, instructor: bool = False
) -> LtiResourceLink | None:
    """The placement launched, linked to its quiz on first launch; None while it has no quiz.

    A quiz named in the link's custom parameters must belong to the context's course: a copied
    LMS course keeps the parameters but gets a new Hustings course, and a link must never open
    another course's quiz: an instructor then chooses one (None), a student is refused."""
    link_claim = claims.get(RESOURCE_LINK) or {}
    link_id = clean(link_claim.get("id"), 255)
    if not link_id:
        raise ProvisionError("The launch names no resource link; launch Hustings from a link.")
    row = db.session.scalar(
        select(LtiResourceLink).where(
            LtiResourceLink.context_id == context.id, LtiResourceLink.resource_link_id == link_id
        )
    )
    if row is None:
        quiz_id = requested_quiz(claims)
        if quiz_id is None:
            return None
        quiz = db.session.get(Quiz, quiz_id)
        if quiz is None or quiz.course_id != context.course_id:
            if instructor:
                return None
            raise ProvisionError(
                "This link opens a quiz of another Hustings course (the LMS course may have "
                "been copied). Your instructor can choose a quiz of this course for the link."
            )
        row = LtiResourceLink(context_id=context.id, resource_link_id=link_id, quiz_id=quiz.id)
        db.session.add(row)
    row.title = clean(link_claim.get("title"), 300)
    ags = claims.get(AGS) or {}
    if ags.get("lineitem"):
        row.lineitem_url = str(ags["lineitem"])
    db.session.flush()
    return row


def link_quiz(context: LtiContext, link_id: str, quiz: Quiz, title: str = "") -> LtiResourceLink:
    """Point a placement at a quiz of the context's course (an instructor's choice)."""
    if quiz.course_id != context.course_id:
        raise ProvisionError("Choose a quiz of this course.")
    row = db.session.scalar(
        select(LtiResourceLink).where(
            LtiResourceLink.context_id == context.id, LtiResourceLink.resource_link_id == link_id
        )
    )
    if row is None:
        row = LtiResourceLink(context_id=context.id, resource_link_id=link_id, quiz_id=quiz.id)
        db.session.add(row)
    row.quiz_id = quiz.id
    row.title = row.title or title
    db.session.flush()
    return row


@dataclass
class Launched:
    user: User
    context: LtiContext
    role: str
    link: LtiResourceLink | None


def provision(
    platform: LtiPlatform, claims: Mapping[str, Any], *, deep_linking: bool = False
) -> Launched:
    """Everything a launch sets up, in the caller's transaction."""
    roles = claims.get(ROLES) or []
    role = course_role(r for r in roles if isinstance(r, str))
    if role is None:
        raise ProvisionError(
            "Your role in this LMS course is neither instructor nor learner, so Hustings has "
            "nothing to show you here."
        )
    if deep_linking and role != Role.INSTRUCTOR:
        raise ProvisionError("Only the course's instructors can add Hustings quizzes to it.")
    deployment_id = clean(claims.get(DEPLOYMENT), 255)
    user = user_for(platform, claims, role)
    context = context_for(platform, claims, deployment_id)
    enrol_as(context.course_id, user, role)
    link = (
        None
        if deep_linking
        else resource_link_for(context, claims, instructor=role == Role.INSTRUCTOR)
    )
    return Launched(user=user, context=context, role=role, link=link)


def member_claims(member: Mapping[str, Any]) -> dict[str, Any]:
    """An NRPS member in the shape of launch claims, so both paths provision alike."""
    return {
        "sub": member.get("user_id"),
        "name": member.get("name"),
        "given_name": member.get("given_name"),
        "family_name": member.get("family_name"),
        "email": member.get("email"),
        ROLES: member.get("roles") or [],
    }
