"""The indexes in tests/security/README.md and tests/reliability/README.md name real tests, so
a renamed or deleted test cannot silently leave an issue-10 item unproven."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent
READMES = [TESTS / "security" / "README.md", TESTS / "reliability" / "README.md"]


def references(text: str) -> list[tuple[str, str]]:
    """(file, test) pairs; ``::name`` alone means the file named last before it."""
    out: list[tuple[str, str]] = []
    current = ""
    for match in re.finditer(r"`(tests/[\w/]+\.py)?::(test_\w+)", text):
        current = match.group(1) or current
        out.append((current, match.group(2)))
    return out


@pytest.mark.parametrize("readme", READMES, ids=lambda p: p.parent.name)
def test_every_test_the_index_names_exists(readme: Path) -> None:
    refs = references(readme.read_text())
    assert len(refs) > 15
    missing = []
    for file, name in refs:
        path = TESTS.parent / file
        if not path.exists() or not re.search(rf"^def {name}\(", path.read_text(), re.M):
            missing.append(f"{file}::{name}")
    assert not missing, missing


def test_every_new_test_is_in_an_index() -> None:
    named = {name for readme in READMES for _, name in references(readme.read_text())}
    unlisted = []
    for folder in ("security", "reliability"):
        for path in (TESTS / folder).glob("test_*.py"):
            if path.name == Path(__file__).name:
                continue
            for name in re.findall(r"^def (test_\w+)\(", path.read_text(), re.M):
                if name not in named:
                    unlisted.append(f"{path.name}::{name}")
    assert not unlisted, f"add these to the README index: {unlisted}"
