"""Names and Role Provisioning Services: the LMS course's members become Hustings enrolments
before they first launch (so accommodations can be set ahead)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pylti1p3.names_roles import NamesRolesProvisioningService

from app.extensions import db
from app.lti import platforms, provision
from app.lti.grades import ServiceConnector, http_session
from app.lti.roles import course_role
from app.models import LtiContext, utcnow


class RosterSyncError(ValueError):
    """Why the roster could not be read from the LMS."""


@dataclass
class RosterSync:
    students: int = 0
    instructors: int = 0
    skipped: list[str] = field(default_factory=list)


def sync_roster(context: LtiContext) -> RosterSync:
    """Read every member of the LMS course and enrol them with their LMS role.

    Members who are inactive, or neither teach nor learn, are skipped (and listed)."""
    if not context.memberships_url:
        raise RosterSyncError(
            "The LMS has not offered its roster (Names and Role Provisioning Services) in any "
            "launch of this course yet; turn the service on for the tool and launch once."
        )
    connector = ServiceConnector(platforms.registration_for(context.platform), http_session())
    service = NamesRolesProvisioningService(
        connector, {"context_memberships_url": context.memberships_url}
    )
    try:
        members = service.get_members()
    except Exception as exc:  # pylti1p3 raises its own and requests' errors
        raise RosterSyncError(f"The LMS refused the roster request: {exc}") from exc
    result = RosterSync()
    for member in members:
        label = provision.clean(member.get("name") or member.get("user_id"), 200)
        if member.get("status", "Active") != "Active":
            result.skipped.append(f"{label}: {str(member.get('status')).lower()} in the LMS")
            continue
        role = course_role(str(r) for r in member.get("roles") or [])
        if role is None:
            result.skipped.append(f"{label}: neither instructor nor learner")
            continue
        try:
            user = provision.user_for(context.platform, provision.member_claims(dict(member)), role)
        except provision.ProvisionError as exc:
            result.skipped.append(f"{label}: {exc}")
            continue
        provision.enrol_as(context.course_id, user, role)
        if role == "instructor":
            result.instructors += 1
        else:
            result.students += 1
    context.roster_synced_at = utcnow()
    db.session.flush()
    return result
