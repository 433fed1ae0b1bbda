"""Every blueprint of the app, registered in this order by ``create_app``."""

from flask import Blueprint

from app.web import (
    auth,
    builder,
    courses,
    dashboards,
    exports,
    library,
    marking,
    misreadings,
    student,
    studio,
)

BLUEPRINTS: list[Blueprint] = [
    auth.bp,
    courses.bp,
    builder.bp,
    marking.bp,
    student.bp,
    dashboards.bp,
    exports.bp,
    library.bp,
    studio.bp,
    misreadings.bp,
]
