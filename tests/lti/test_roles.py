"""The role mapping, without an app."""

from __future__ import annotations

import pytest

from app.lti.roles import course_role

M = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
INST = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#"


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ([M + "Instructor"], "instructor"),
        (["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"],
         "instructor"),
        ([M + "TeachingAssistant"], "instructor"),
        ([M + "ContentDeveloper"], "instructor"),
        ([M + "Learner"], "student"),
        (["Learner"], "student"),
        (["Instructor"], "instructor"),
        ([M + "Learner", M + "Instructor"], "instructor"),
        ([INST + "Instructor"], None),  # an institution role teaches no particular course
        ([INST + "Student", M + "Mentor"], None),
        ([], None),
        (["http://evil.example/membership#Instructor"], None),
    ],
)  # fmt: skip
def test_course_role(roles: list[str], expected: str | None) -> None:
    assert course_role(roles) == expected
