"""Bank linter: warnings about weak items that are valid but test-wise exploitable or unclear.

Pure module over validated `Bank`s. Every warning has a code (documented in
question_banks/README.md) that a question can accept with `lint_ignore` plus `lint_reason`.
"""

from __future__ import annotations

import difflib
import html
import re
from collections import Counter
from collections.abc import Sequence

from app.banks.schema import BANK_LEVEL, SKILLS, Bank, Problem, Question

LINT_CODES: dict[str, str] = {
    "L000": "lint_ignore names an unknown code",
    "L001": "the key is in the same position in every single-choice question of the bank",
    "L002": "the correct option is clearly the longest",
    "L003": "an 'all/none of the above' option",
    "L004": "near-duplicate options",
    "L005": "negative stem without emphasis",
    "L006": "no evidence reference",
    "L007": "reading skills never used in the bank",
    "L008": "evidence key covers most of the source",
    "L009": "every option of a multiple-response question is correct",
}

POSITION_BIAS_MIN_QUESTIONS = 4
LONGEST_RATIO = 1.3
NEAR_DUPLICATE_RATIO = 0.9
UNUSED_SKILLS_MIN_QUESTIONS = 9
BROAD_KEY_SHARE = 0.5

_ABOVE_RE = re.compile(r"\b(?:all|none|both|neither)\s+of\s+(?:the\s+)?(?:above|these)\b", re.I)
_NEGATIVE_RE = re.compile(r"\b(?:not|except|never|least)\b", re.I)
_EMPHASIS_RE = re.compile(r"<(em|strong|b|i)>(.*?)</\1>", re.I | re.S)
# Quotations from the article and idioms that are not negative questions.
_NOT_A_NEGATIVE_STEM_RE = re.compile(
    r"<q>.*?</q>|“[^”]*”|\"[^\"]*\"|\b(?:whether or not|not only|not just|why not)\b", re.I | re.S
)
_TAG_RE = re.compile(r"<[^>]*>")


def _plain(text: str) -> str:
    return html.unescape(_TAG_RE.sub("", text))


def _normal(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", "", _plain(text).casefold()).split())


def _warning(bank: Bank, line: int, question_id: str | None, code: str, message: str) -> Problem:
    return Problem(bank.path, line, question_id, message, severity="warning", code=code)


def _position_bias(bank: Bank) -> list[Problem]:
    singles = [q for q in bank.questions if q.type == "single"]
    if len(singles) < POSITION_BIAS_MIN_QUESTIONS:
        return []
    positions = {next(i for i, o in enumerate(q.spec["options"]) if o["correct"]) for q in singles}
    if len(positions) != 1 or all("L001" in bank.lint_ignores.get(q.id, ()) for q in singles):
        return []
    letter = chr(ord("a") + positions.pop())
    return [
        _warning(
            bank,
            singles[0].line,
            None,
            "L001",
            f"the key is option {letter} in all {len(singles)} single-choice questions of bank "
            f"`{bank.id}`; vary its position (students spot the pattern when shuffling is off)",
        )
    ]


def _question_warnings(bank: Bank, question: Question) -> list[tuple[str, str]]:
    spec = question.spec
    found: list[tuple[str, str]] = []
    options = spec.get("options") or []
    if options:
        correct = [o for o in options if o["correct"]]
        lengths = sorted(((len(_plain(o["text"])), o["correct"]) for o in options), reverse=True)
        if (
            question.type == "single"
            and lengths[0][1]
            and lengths[0][0] >= LONGEST_RATIO * max(lengths[1][0], 1)
        ):
            found.append(
                (
                    "L002",
                    "the correct option is much longer than the others; test-wise "
                    "students pick the longest",
                )
            )
        for option in options:
            if _ABOVE_RE.search(_plain(option["text"])):
                found.append(
                    (
                        "L003",
                        f"option {option['id']} is '{_plain(option['text'])}': it "
                        "rewards partial knowledge; write a real alternative",
                    )
                )
        for i, first in enumerate(options):
            for second in options[i + 1 :]:
                a, b = _normal(first["text"]), _normal(second["text"])
                if a == b or difflib.SequenceMatcher(None, a, b).ratio() > NEAR_DUPLICATE_RATIO:
                    found.append(
                        ("L004", f"options {first['id']} and {second['id']} are nearly the same")
                    )
        if question.type == "multiple" and len(correct) == len(options):
            found.append(
                (
                    "L009",
                    "every option is correct, so ticking everything earns full "
                    "credit; add wrong options",
                )
            )
    prompt = spec.get("prompt") or ""
    unemphasised = _NOT_A_NEGATIVE_STEM_RE.sub(" ", _EMPHASIS_RE.sub(" ", html.unescape(prompt)))
    for match in _NEGATIVE_RE.finditer(_plain(unemphasised)):
        if not match.group(0).isupper():
            found.append(
                (
                    "L005",
                    f"negative stem ('{match.group(0)}') without emphasis; write it "
                    f"as <strong>{match.group(0).upper()}</strong> or rephrase",
                )
            )
            break
    has_key = question.type == "evidence" and spec.get("key")
    if not spec.get("evidence") and not has_key:
        found.append(
            (
                "L006",
                "no evidence reference: add `evidence:` with the passages that hold the answer",
            )
        )
    if question.type == "evidence" and spec.get("key"):
        found.extend(_broad_key(bank, spec))
    return found


def _broad_key(bank: Bank, spec: dict) -> list[tuple[str, str]]:
    source = next((s for s in bank.sources if s.id == spec.get("source")), None)
    if source is None:
        return []
    if spec.get("select") == "sentence":
        available = sum(len(source.sentences(n)) for n in range(1, len(source.paragraphs) + 1))
    else:
        available = len(source.paragraphs)
    if available >= 4 and len(spec["key"]) > BROAD_KEY_SHARE * available:
        return [
            (
                "L008",
                f"the key holds {len(spec['key'])} of {available} passages of "
                f"`{source.id}`; picking at random scores well",
            )
        ]
    return []


def _unused_skills(bank: Bank) -> list[Problem]:
    if len(bank.questions) < UNUSED_SKILLS_MIN_QUESTIONS:
        return []
    used = Counter(q.spec.get("skill") for q in bank.questions)
    unused = [
        tag
        for tag in SKILLS
        if tag not in used and not (tag == "comparison" and len(bank.sources) < 2)
    ]
    if not unused:
        return []
    return [
        _warning(
            bank,
            bank.line,
            None,
            "L007",
            f"(info) bank `{bank.id}` tests no question on: {', '.join(unused)}",
        )
    ]


def lint_banks(banks: Sequence[Bank]) -> list[Problem]:
    """Warnings (severity "warning", codes L001…) for validated banks, sorted by file and line;
    codes a question lists in `lint_ignore` are not reported for it."""
    problems: list[Problem] = []
    for bank in banks:
        bank_ignored = bank.lint_ignores.get(BANK_LEVEL, ())
        problems.extend(
            p for p in (*_position_bias(bank), *_unused_skills(bank)) if p.code not in bank_ignored
        )
        for question in bank.questions:
            ignored = bank.lint_ignores.get(question.id, ())
            for code in ignored:
                if code not in LINT_CODES:
                    problems.append(
                        _warning(
                            bank,
                            question.line,
                            question.id,
                            "L000",
                            f"`lint_ignore` names unknown code {code}",
                        )
                    )
            for code, message in _question_warnings(bank, question):
                if code not in ignored:
                    problems.append(_warning(bank, question.line, question.id, code, message))
    return sorted(problems, key=lambda p: (p.file, p.line, p.code or ""))
