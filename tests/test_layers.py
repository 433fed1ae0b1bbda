"""The layers of app/ hold: imports run web and CLI -> services -> domain, never back up."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _offending(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in sorted((APP / folder).rglob("*.py")):
        for name in sorted(_imports(path)):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                found.append(f"{path.relative_to(APP.parent)} imports {name}")
    return found


def test_the_domain_is_pure() -> None:
    forbidden = (
        "flask", "flask_login", "flask_wtf", "flask_sqlalchemy", "flask_migrate", "flask_limiter",
        "sqlalchemy", "app.services", "app.web", "app.cli", "app.lti", "app.models",
        "app.extensions", "app.database", "app.authz", "app.config",
    )  # fmt: skip
    assert _offending("domain", forbidden) == []


def test_services_never_import_the_web_or_the_cli() -> None:
    assert _offending("services", ("app.web", "app.cli", "flask_wtf")) == []


def test_the_models_take_only_plain_constants_from_the_domain() -> None:
    used = {n for n in _imports(APP / "models.py") if n.startswith("app.domain")}
    assert used <= {"app.domain.skills", "app.domain.skills.SKILLS"}


@pytest.mark.parametrize("blueprint", sorted(p.name for p in (APP / "web").iterdir() if p.is_dir()))
def test_no_blueprint_imports_another_blueprints_code(blueprint: str) -> None:
    others = tuple(
        f"app.web.{p.name}"
        for p in (APP / "web").iterdir()
        if p.is_dir() and p.name not in (blueprint, "__pycache__")
    )
    assert _offending(f"web/{blueprint}", others) == []
