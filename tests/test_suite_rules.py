"""Rules of the test suite itself: shared code lives in tests/support, and no test leans on a
view module's private state (the app offers a public way, e.g. ``clear_page_cache``)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
VIEW_PACKAGES = ("app.web", "app.blueprints")


def _modules() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts)


def _is_conftest(module: str) -> bool:
    return module == "conftest" or module.endswith(".conftest")


def conftest_imports(tree: ast.AST) -> list[str]:
    """Imports of a conftest module, in any spelling (also through importlib or pytest)."""
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = [module, *(f"{module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.Call) and _called(node) in ("import_module", "importorskip"):
            first = node.args[0] if node.args else None
            names = [str(first.value)] if isinstance(first, ast.Constant) else []
        if any(_is_conftest(name.lstrip(".")) for name in names):
            found.append(f"line {getattr(node, 'lineno', 0)}: imports {names[-1]}")
    return found


def _called(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _is_view_module(module: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in VIEW_PACKAGES)


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


def private_view_access(tree: ast.AST) -> list[str]:
    """Uses of an underscore name of a module under app/web (or the old app/blueprints)."""
    aliases: dict[str, str] = {}  # local name -> module it is bound to
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if _is_view_module(a.name) and a.asname:
                    aliases[a.asname] = a.name
                elif _is_view_module(a.name):
                    aliases["app"] = "app"  # `import app.web.x` binds the name `app`
        elif isinstance(node, ast.ImportFrom) and node.module and _is_view_module(node.module):
            for a in node.names:
                if _private(a.name):
                    found.append(f"line {node.lineno}: from {node.module} import {a.name}")
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.ImportFrom) and node.module in ("app", "app.web"):
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            call = node.value
            if _called(call) in ("import_module", "importorskip") and call.args:
                arg = call.args[0]
                if isinstance(arg, ast.Constant) and _is_view_module(str(arg.value)):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            aliases[target.id] = str(arg.value)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            base = _dotted(node.value)
            if base is None:
                continue
            head, _, rest = base.partition(".")
            module = aliases.get(head)
            full = f"{module}.{rest}" if module and rest else module or base
            if _is_view_module(full) or (module == "app" and _is_view_module(base)):
                found.append(f"line {node.lineno}: {base}.{node.attr}")
        elif isinstance(node, ast.Call) and _called(node) in ("setattr", "getattr", "delattr"):
            args = node.args
            if len(args) >= 2 and isinstance(args[1], ast.Constant):
                base = _dotted(args[0]) or ""
                module = aliases.get(base.partition(".")[0], base)
                if _private(str(args[1].value)) and _is_view_module(module):
                    found.append(f"line {node.lineno}: {_called(node)}({base}, {args[1].value!r})")
    return found


def test_no_module_imports_a_conftest() -> None:
    offences = {
        str(p.relative_to(TESTS)): found
        for p in _modules()
        if (found := conftest_imports(ast.parse(p.read_text(encoding="utf-8"))))
    }
    assert offences == {}, "move shared code to tests/support and import it from there"


def test_no_test_touches_private_state_of_a_view_module() -> None:
    offences = {
        str(p.relative_to(TESTS)): found
        for p in _modules()
        if p.name != Path(__file__).name
        and (found := private_view_access(ast.parse(p.read_text(encoding="utf-8"))))
    }
    assert offences == {}, "give the view a public, documented function instead"


def test_the_guards_see_what_they_guard_against() -> None:
    """Each spelling the guards must catch is caught, and public use is not."""
    caught_conftest = [
        "from tests.attempts.conftest import build",
        "from tests.conftest import TEST_CONFIG",
        "from .conftest import x",
        "import tests.library.conftest",
        "from tests.library import conftest",
        "pytest.importorskip('tests.conftest')",
    ]
    for source in caught_conftest:
        assert conftest_imports(ast.parse(source)), source
    assert not conftest_imports(ast.parse("from tests.support.quiz_setup import build"))

    caught_private = [
        "from app.web.student import views\nviews._FRAGMENTS.clear()",
        "from app.web.student import views as v\nv._Fragments(1, 2)",
        "import app.web.student.views\napp.web.student.views._FRAGMENTS.clear()",
        "from app.web.student.views import _FRAGMENTS",
        "from app.web import student\nstudent.views._FRAGMENTS.clear()",
        "views = pytest.importorskip('app.web.student.views')\nviews._x",
        "from app.web.student import views\nmonkeypatch.setattr(views, '_FRAGMENTS', None)",
        "from app.blueprints.student import views\nviews._FRAGMENTS",
    ]
    for source in caught_private:
        assert private_view_access(ast.parse(source)), source
    fine = [
        "from app.web.student import views\nviews.clear_page_cache()",
        "from app.services import attempts\nattempts._SPECS",  # a service, not a view
        "self._data.clear()",
        "from app.web.student import views\nviews.__name__",
    ]
    for source in fine:
        assert not private_view_access(ast.parse(source)), source


def test_no_module_imports_a_test_module() -> None:
    """A helper two test files need belongs in tests/support, not in one of them."""
    offences = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            if any(n.startswith("tests.") and n.rsplit(".", 1)[-1].startswith("test_")
                   for n in names):  # fmt: skip
                offences.setdefault(str(path.relative_to(TESTS)), []).append(node.lineno)
    assert offences == {}
