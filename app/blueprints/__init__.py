"""Every blueprint of the app, registered in this order by ``create_app``."""

from flask import Blueprint

from app.blueprints import auth, courses

BLUEPRINTS: list[Blueprint] = [auth.bp, courses.bp]
