"""The registry of question types: every place that depends on a question's type asks here.

A type is a module of this package holding one ``QuestionType`` subclass (its bank schema,
student view, answer cleaning, key, grader, review data, GIFT mapping), with a template of
macros in ``templates/question_types/<name>.html`` and a reader/writer for the attempt page in
``app/static/js/question_types/<name>.js``. Adding a type is one module, one template, one
script, one line in ``_MODULES`` below and its tests (docs/dev/architecture.md).
"""

from __future__ import annotations

from importlib import import_module

from app.domain.question_types.base import (
    REQUIRED_PARTS,
    TEMPLATE_MACROS,
    Grade,
    InvalidAnswer,
    QuestionType,
)

__all__ = [
    "NAMES",
    "REQUIRED_PARTS",
    "TEMPLATE_MACROS",
    "TYPES",
    "Grade",
    "InvalidAnswer",
    "QuestionType",
    "choice_types",
    "get",
    "labels",
]

# The registered types, in the order lists and menus show them.
_MODULES = (
    "single",
    "multiple",
    "truefalse",
    "short",
    "matching",
    "ordering",
    "evidence",
    "essay",
    "numeric",
)


def _load() -> dict[str, QuestionType]:
    types: dict[str, QuestionType] = {}
    for module_name in _MODULES:
        question_type = import_module(f"{__name__}.{module_name}").TYPE
        if question_type.name != module_name:
            raise RuntimeError(f"{module_name}.py registers a type named {question_type.name!r}")
        types[question_type.name] = question_type
    return types


TYPES: dict[str, QuestionType] = _load()
NAMES: tuple[str, ...] = tuple(TYPES)


def get(name: object) -> QuestionType:
    """The type called `name`; ValueError for an unknown one (specs are checked when loaded)."""
    try:
        return TYPES[name]  # type: ignore[index]
    except (KeyError, TypeError):
        raise ValueError(f"unknown question type {name!r}") from None


def labels() -> dict[str, str]:
    """Type name → what instructors read (`Single choice`, `Numeric`...)."""
    return {name: t.label for name, t in TYPES.items()}


def choice_types() -> tuple[str, ...]:
    """Types whose answers are picks among options (the option tables of item analysis)."""
    return tuple(name for name, t in TYPES.items() if t.has_options)


def gift_readers() -> list[QuestionType]:
    """Types that read GIFT answer blocks, in the order they are offered a block."""
    readers = [t for t in TYPES.values() if t.gift_rank is not None]
    return sorted(readers, key=lambda t: t.gift_rank or 0)
