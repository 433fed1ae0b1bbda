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

from app.domain.banks.schema import BANK_LEVEL, SKILLS, Bank, Problem, Question

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
    "L010": "the keys' length rank among their options is the same in most questions",
    "L011": "extreme words (always, never, only…) appear only in distractors",
    "L012": "correct options are listed first in every multiple-response question",
    "L013": "the hedged option is always the key",
    "L014": "an item quotes another item's key (and no exclusion is declared)",
}

POSITION_BIAS_MIN_QUESTIONS = 4
LONGEST_RATIO = 1.3
NEAR_DUPLICATE_RATIO = 0.9
UNUSED_SKILLS_MIN_QUESTIONS = 9
BROAD_KEY_SHARE = 0.5
# Bank-level patterns (L010–L013): from this many questions of the kind, and above this share.
PATTERN_MIN_QUESTIONS = 6
PATTERN_SHARE = 0.5
EXTREME_MIN_OPTIONS = 5
HEDGE_MIN_QUESTIONS = 4
MULTIPLE_MIN_QUESTIONS = 3
QUOTED_KEY_MIN_WORDS = 2

_EXTREME_RE = re.compile(
    r"\b(?:always|never|only|entirely|completely|all|every|none|nothing|must|certain(?:ly)?|"
    r"proves?|no one|nobody|whatever|wholly|totally)\b",
    re.I,
)
_HEDGE_RE = re.compile(
    r"\b(?:may|might|could|can|some|often|mostly|largely|partly|perhaps|probably|suggests?|"
    r"likely|tends?|grudging|mixed)\b",
    re.I,
)
_ORDINALS = {1: "longest", 2: "second-longest", 3: "third-longest"}

_ABOVE_RE = re.compile(r"\b(?:all|none|both|neither)\s+of\s+(?:the\s+)?(?:above|these)\b", re.I)
_NEGATIVE_RE = re.compile(r"\b(?:not|except|never|least)\b", re.I)
_EMPHASIS_RE = re.compile(r"<(em|strong|b|i)>(.*?)</\1>", re.I | re.S)
# Quotations from the article and idioms that are not negative questions.
_NOT_A_NEGATIVE_STEM_RE = re.compile(
    r"<q>.*?</q>|“[^”]*”|\"[^\"]*\""
    r"|\b(?:whether or not|not only|not just|why not|at least|not least)\b",
    re.I | re.S,
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


def _key_length_rank(bank: Bank) -> list[Problem]:
    """L010: where the key sits in its options when they are sorted by length."""
    ranks: Counter[int] = Counter()
    for q in bank.questions:
        if q.type != "single":
            continue
        lengths = [len(_plain(o["text"])) for o in q.spec["options"]]
        key = next(i for i, o in enumerate(q.spec["options"]) if o["correct"])
        ranks[1 + sum(length > lengths[key] for length in lengths)] += 1
    total = sum(ranks.values())
    if total < PATTERN_MIN_QUESTIONS:
        return []
    rank, count = ranks.most_common(1)[0]
    if count <= PATTERN_SHARE * total:
        return []
    spread = ", ".join(
        f"{_ORDINALS.get(r, f'{r}th-longest')} {n}" for r, n in sorted(ranks.items())
    )
    return [
        _warning(
            bank,
            bank.line,
            None,
            "L010",
            f"the key is the {_ORDINALS.get(rank, f'{rank}th-longest')} option in {count} of "
            f"{total} single-choice questions ({round(100 * count / total)} %; {spread}): a "
            "test-wise student picks by length; vary the keys' length",
        )
    ]


def _extreme_words(bank: Bank) -> list[Problem]:
    """L011: absolute words ("never", "only", "all") that mark an option as wrong."""
    extreme = [
        o
        for q in bank.questions
        if q.type in ("single", "multiple")
        for o in q.spec["options"]
        if _EXTREME_RE.search(_plain(o["text"]))
    ]
    if len(extreme) < EXTREME_MIN_OPTIONS or any(o["correct"] for o in extreme):
        return []
    return [
        _warning(
            bank,
            bank.line,
            None,
            "L011",
            f"extreme words (always, never, only, all…) appear in {len(extreme)} options, every "
            "one a distractor: a test-wise student rules them out unread; use them in some keys "
            "too, or soften the distractors",
        )
    ]


def _keys_first(bank: Bank) -> list[Problem]:
    """L012: in every multiple-response question the correct options come before the wrong."""
    multiples = [q for q in bank.questions if q.type == "multiple"]
    if len(multiples) < MULTIPLE_MIN_QUESTIONS:
        return []
    for q in multiples:
        flags = [o["correct"] for o in q.spec["options"]]
        if flags != sorted(flags, reverse=True):
            return []
    return [
        _warning(
            bank,
            multiples[0].line,
            None,
            "L012",
            f"in all {len(multiples)} multiple-response questions the correct options are listed "
            "first: with shuffling off, ticking the top options scores well; mix the order",
        )
    ]


def _hedged_key(bank: Bank) -> list[Problem]:
    """L013: the one cautious option ("may", "largely", "some") is always the key."""
    hedged = []
    for q in bank.questions:
        if q.type != "single":
            continue
        marked = [o for o in q.spec["options"] if _HEDGE_RE.search(_plain(o["text"]))]
        if len(marked) == 1:
            hedged.append(marked[0]["correct"])
    if len(hedged) < HEDGE_MIN_QUESTIONS or not all(hedged):
        return []
    return [
        _warning(
            bank,
            bank.line,
            None,
            "L013",
            f"in {len(hedged)} of {len(hedged)} single-choice questions with one hedged option "
            "(may, largely, some…) the hedged option is the key: test-wise students pick the "
            "cautious answer; hedge some distractors too",
        )
    ]


def _quoted_keys(banks: Sequence[Bank]) -> list[Problem]:
    """L014: a prompt or option that contains another item's key, unless the pair is excluded."""
    keys: dict[str, list[str]] = {}
    for bank in banks:
        for q in bank.questions:
            phrases: list[str] = []
            if q.type == "short":
                phrases = [_normal(a["text"]) for a in q.spec["accepted"] if a["credit"] == 1]
            elif q.type == "single":
                phrases = [_normal(o["text"]) for o in q.spec["options"] if o["correct"]]
            keys[q.id] = [
                p
                for p in phrases
                if len(p.split()) >= QUOTED_KEY_MIN_WORDS or any(c.isdigit() for c in p)
            ]
    declared = {
        frozenset((q.id, other))
        for bank in banks
        for q in bank.questions
        for other, _ in q.excludes
    }
    found: list[Problem] = []
    for bank in banks:
        for q in bank.questions:
            texts = [q.spec["prompt"]] + [o["text"] for o in q.spec.get("options") or ()]
            texts += [i["text"] for i in q.spec.get("items") or ()]
            haystack = " | ".join(f" {_normal(t)} " for t in texts)
            for other, phrases in keys.items():
                if other == q.id or frozenset((q.id, other)) in declared:
                    continue
                hit = next((p for p in phrases if f" {p} " in haystack), None)
                if hit is not None:
                    found.append(
                        _warning(
                            bank,
                            q.line,
                            q.id,
                            "L014",
                            f"quotes the key of `{other}` (“{hit}”): a student who meets both "
                            f"in one attempt gets it free; reword, or declare `excludes: "
                            f"{{{other}: ...}}`",
                        )
                    )
    return found


def lint_banks(banks: Sequence[Bank]) -> list[Problem]:
    """Warnings (severity "warning", codes L001…) for validated banks, sorted by file and line;
    codes a question lists in `lint_ignore` are not reported for it."""
    problems: list[Problem] = []
    for bank in banks:
        bank_ignored = bank.lint_ignores.get(BANK_LEVEL, ())
        bank_wide = (
            *_position_bias(bank),
            *_unused_skills(bank),
            *_key_length_rank(bank),
            *_extreme_words(bank),
            *_keys_first(bank),
            *_hedged_key(bank),
        )
        problems.extend(p for p in bank_wide if p.code not in bank_ignored)
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
    by_path = {bank.path: bank for bank in banks}
    for problem in _quoted_keys(banks):
        if problem.code not in by_path[problem.file].lint_ignores.get(
            problem.question_id or "", ()
        ):
            problems.append(problem)
    return sorted(problems, key=lambda p: (p.file, p.line, p.code or ""))
