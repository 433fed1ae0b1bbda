"""LTI role URIs → a Hustings course role. Pure: standard library only."""

from __future__ import annotations

from collections.abc import Iterable

# Context roles (LTI 1.3 §A.2.3) and their short forms; institution roles do not make anyone an
# instructor of a course.
_TEACHING = ("Instructor", "TeachingAssistant", "ContentDeveloper", "Administrator")
_LEARNING = ("Learner",)
_CONTEXT_PREFIX = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
_TA_PREFIX = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#"


def _context_role(uri: str) -> str | None:
    if uri.startswith(_TA_PREFIX):
        return "Instructor"  # sub-roles of Instructor (TeachingAssistant, Grader, …)
    if uri.startswith(_CONTEXT_PREFIX):
        return uri[len(_CONTEXT_PREFIX) :]
    if "/" not in uri and "#" not in uri:
        return uri  # the simple names LTI allows in the roles claim
    return None


def course_role(roles: Iterable[str]) -> str | None:
    """``instructor`` for anyone who teaches the context, ``student`` for a learner, else None.

    Teaching wins when both are present (a TA enrolled as a learner too grades, not takes)."""
    names = {name for name in (_context_role(r) for r in roles) if name}
    if names & set(_TEACHING):
        return "instructor"
    if names & set(_LEARNING):
        return "student"
    return None
