"""Every registered question type is whole: its module's parts, its template's macros, its
script; and nothing outside the registry keeps a list of types of its own."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from jinja2 import Environment, FileSystemLoader, nodes

from app.domain import question_types
from app.domain.banks import schema
from app.domain.question_types.base import QuestionType

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "templates"
SCRIPTS = ROOT / "app" / "static" / "js" / "question_types"
NAMES = sorted(question_types.NAMES)


def test_the_registry_holds_every_type_module_and_nothing_else() -> None:
    modules = {p.stem for p in (ROOT / "app" / "domain" / "question_types").glob("*.py")} - {
        "__init__",
        "base",
    }
    assert {m for m in modules if not m.startswith("_")} == set(question_types.NAMES)
    assert schema.QUESTION_TYPES == question_types.NAMES


@pytest.mark.parametrize("name", NAMES)
def test_each_type_module_defines_every_part(name: str) -> None:
    kind = question_types.get(name)
    assert isinstance(kind, QuestionType)
    assert kind.name == name and kind.label and kind.bank_keys
    for part in question_types.REQUIRED_PARTS:
        method = getattr(type(kind), part)
        assert not getattr(method, "__isabstractmethod__", False), f"{name} lacks {part}"
        assert inspect.getmodule(method).__name__.startswith("app.domain.question_types")


def test_writing_a_bank_file_is_a_required_part() -> None:
    """ "Download as YAML" asks each type for its keys: a type without them could not be
    written back, so the guard above fails for it."""
    assert "bank_write" in question_types.REQUIRED_PARTS
    assert "check" in question_types.REQUIRED_PARTS


def test_each_type_writes_only_its_own_bank_keys() -> None:
    from app.domain.banks.schema import load_bank_file
    from app.domain.banks.writer import QuestionWriter

    bank, problems = load_bank_file(ROOT / "tests" / "fixtures" / "all_types.yaml")
    assert bank is not None, problems
    assert {q.type for q in bank.questions} == set(NAMES)
    for question in bank.questions:
        kind = question_types.get(question.type)
        written = kind.bank_write(QuestionWriter(question.spec.get("source")), question.spec)
        assert written, question.type
        assert set(written) <= set(kind.bank_keys), (question.type, set(written))


def test_a_type_that_lacks_a_part_cannot_be_made() -> None:
    class Incomplete(QuestionType):
        name = "incomplete"
        label = "Incomplete"
        bank_keys = ("x",)

    with pytest.raises(TypeError, match="abstract"):
        Incomplete()  # type: ignore[abstract]


def _macros(path: Path) -> set[str]:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True)
    tree = env.parse(path.read_text(encoding="utf-8"))
    return {m.name for m in tree.find_all(nodes.Macro)}


@pytest.mark.parametrize("name", NAMES)
def test_each_type_has_a_template_with_every_macro(name: str) -> None:
    path = TEMPLATES / "question_types" / f"{name}.html"
    assert path.is_file(), f"{name} has no template {path.name}"
    missing = set(question_types.TEMPLATE_MACROS) - _macros(path)
    assert not missing, f"templates/question_types/{name}.html lacks {sorted(missing)}"


@pytest.mark.parametrize("name", NAMES)
def test_each_type_has_a_script_that_registers_a_reader_and_writer(name: str) -> None:
    path = SCRIPTS / f"{name}.js"
    assert path.is_file(), f"{name} has no script {path.name}"
    text = path.read_text(encoding="utf-8")
    shared = re.search(rf'types\.register\("{name}", types\.(\w+)\);', text)
    if shared:  # a reader several types share, defined in _registry.js
        registry = (SCRIPTS / "_registry.js").read_text(encoding="utf-8")
        start = registry.index(f"types.{shared.group(1)} = {{")
        text = registry[start : registry.index("\n  };", start)]
    else:
        assert f'types.register("{name}", {{' in text
    assert re.search(r"\bread: function \(fs, name\)", text)
    assert re.search(r"\bapply: function \(fs, name, value\)", text)


def test_no_page_or_script_tests_a_type_by_name() -> None:
    """Templates, scripts and the attempt code dispatch through the registry only."""
    names = "|".join(question_types.NAMES)
    pattern = re.compile(rf"""(type|kind)['"\]]*\s*(===?|!=|in)\s*\(?\s*['"]({names})['"]""")
    checked = [
        *TEMPLATES.glob("student/*.html"),
        TEMPLATES / "library" / "question.html",
        TEMPLATES / "builder" / "preview.html",
        TEMPLATES / "dashboards" / "attempt.html",
        TEMPLATES / "marking" / "response.html",
        ROOT / "app" / "static" / "js" / "attempt.js",
        ROOT / "app" / "domain" / "attempt_view.py",
        ROOT / "app" / "domain" / "grading.py",
        ROOT / "app" / "domain" / "banks" / "gift.py",
        ROOT / "app" / "services" / "demo.py",
        ROOT / "bench" / "fixture.py",
    ]
    found = [
        f"{path.relative_to(ROOT)}: {m.group(0)}"
        for path in checked
        for m in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_labels_and_option_types_come_from_the_registry() -> None:
    assert question_types.labels()["numeric"] == "Numeric"
    assert question_types.choice_types() == ("single", "multiple")
    assert [t.name for t in question_types.gift_readers()][-1] == "short"
    with pytest.raises(ValueError, match="unknown question type 'nope'"):
        question_types.get("nope")
