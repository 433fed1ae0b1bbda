"""Banks written as YAML text, for the linter and parser tests: a header with one article, and
single-choice questions to append to it."""

from __future__ import annotations

from app.domain.banks.schema import Bank, parse_bank

HEADER = """\
version: 1
bank:
  id: lint-bank
  title: "Lint bank"
sources:
  - id: art
    title: "Art"
    publication: "Paper"
    text: |
      One. Two.

      Three.

      Four.

      Five.
questions:
"""


def single(
    qid: str,
    options: list[tuple[str, bool]],
    prompt: str = "Which one?",
    extra: str = "",
    evidence: str = "[p1]",
    skill: str = "literal",
) -> str:
    lines = [
        f"  - id: {qid}",
        "    type: single",
        f'    prompt: "{prompt}"',
        f"    skill: {skill}",
        "    difficulty: easy",
        f"    evidence: {evidence}",
        '    explanation: "Because."',
    ]
    if extra:
        lines.append(extra)
    lines.append("    options:")
    lines += [f'      - {{text: "{text}", correct: {str(ok).lower()}}}' for text, ok in options]
    return "\n".join(lines) + "\n"


def bank_of(*questions: str) -> Bank:
    bank, problems = parse_bank(HEADER + "".join(questions), filename="lint.yaml")
    assert bank is not None, [str(p) for p in problems]
    return bank
