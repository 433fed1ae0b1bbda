"""Question types on pages: each type's template of macros and its attempt-page script.

Templates call ``question_type(name)`` for the macros of ``templates/question_types/<name>.html``
(take, preview, review, instructor_answer, instructor_key, attributes) instead of testing the
type themselves; ``question_type_scripts(names)`` lists the scripts a page with those types
loads before attempt.js. The names come from the registry (app.domain.question_types).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, current_app

from app.domain import question_types
from app.domain.question_types.numeric import format_number

SCRIPT_REGISTRY = "js/question_types/_registry.js"


def template_of(name: str) -> str:
    return f"question_types/{question_types.get(name).name}.html"


def script_of(name: str) -> str:
    return f"js/question_types/{question_types.get(name).name}.js"


def macros(name: str) -> Any:
    """The macros of a type's template (a module Jinja builds once and caches)."""
    return current_app.jinja_env.get_template(template_of(name)).module


def scripts(names: Iterable[str] | None = None) -> list[str]:
    """Static paths of the registry script and of the scripts of these types (default: all)."""
    wanted = set(question_types.NAMES if names is None else names)
    return [SCRIPT_REGISTRY] + [script_of(n) for n in question_types.NAMES if n in wanted]


def install(app: Flask) -> None:
    app.jinja_env.globals["question_type"] = macros
    app.jinja_env.globals["question_type_scripts"] = scripts
    app.jinja_env.globals["question_type_labels"] = question_types.labels()
    app.jinja_env.filters["number"] = format_number
