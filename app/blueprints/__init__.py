"""Every blueprint of the app, registered in this order by ``create_app``."""

from flask import Blueprint

from app.blueprints import (
    auth,
    builder,
    courses,
    dashboards,
    exports,
    grading,
    library,
    misreadings,
    student,
)

BLUEPRINTS: list[Blueprint] = [
    auth.bp,
    courses.bp,
    builder.bp,
    grading.bp,
    student.bp,
    dashboards.bp,
    exports.bp,
    library.bp,
    misreadings.bp,
]
