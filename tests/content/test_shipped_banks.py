"""The real question banks: valid, lint-clean, complete, and faithful to the text.

These tests read the shipped content (two-coups.yaml, kamikaze.yaml, comparison.yaml and the cleaned
sources they cite) and check the promises made for the first course: counts per bank, skill and
type; evidence references that exist; and quotations in prompts and explanations that really are
in the paragraphs the question cites (a wrong quotation is the first sign of a wrong key).
"""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path

import pytest

from app.domain.banks.lint import lint_banks
from app.domain.banks.schema import SKILLS, load_bank_paths
from tests.support.paths import BANKS

BANKS_DIR = BANKS

ARTICLE_BANKS = {
    # bank id -> (source id, question id prefix)
    "two-coups-reading": ("two-coups", "tc-"),
    "kamikaze-reading": ("kamikaze", "km-"),
}
COMPARISON_BANK = "two-coups-kamikaze-comparison"
ALL_TYPES = {
    "single",
    "multiple",
    "truefalse",
    "short",
    "matching",
    "ordering",
    "evidence",
    "essay",
}
ARTICLE_SKILLS = set(SKILLS) - {"comparison"}

MIN_QUESTIONS_PER_ARTICLE = 48
MIN_COMPARISON_QUESTIONS = 22
MIN_PER_SKILL = 4
MIN_EVIDENCE_PER_ARTICLE = 2
MIN_ESSAY_PER_ARTICLE = 2
MIN_QUOTED_WORDS = 3

# The questions a politics instructor asks first (the issue names them); their ids must stay.
FIRST_QUESTIONS = {
    "tc-fantasy-labour": "what the author means by 'Fantasy Labour'",
    "tc-labour-labels": "'New Labour', 'Lost Labour' and 'Fantasy Labour'",
    "km-liability": "why being the MPs' candidate was a liability",
    "km-kamikaze": "what 'kamikaze mission' implies",
    "km-more-desperate": "why it turned out 'much more desperate than that'",
    "tc-corbynistas-who": "who the Corbynistas are",
    "tc-corbynistas-evidence": "what evidence the first author gives about the Corbynistas",
    "tc-two-coups": "the two coups of the opening",
    "tc-triumvirate": "the power triumvirate",
    "km-learn-from-him": "why moderates should 'learn from him'",
}


@pytest.fixture(scope="module")
def loaded():
    banks, problems = load_bank_paths([BANKS_DIR])
    return banks, problems


@pytest.fixture(scope="module")
def banks(loaded):
    banks, problems = loaded
    assert not [p for p in problems if p.severity == "error"], "\n".join(map(str, problems))
    by_id = {bank.id: bank for bank in banks}
    assert set(by_id) >= set(ARTICLE_BANKS) | {COMPARISON_BANK}
    return by_id


def _questions(banks, bank_id):
    return banks[bank_id].questions


# --------------------------------------------------------------------------- validity and lint


def test_banks_load_without_problems(loaded):
    _, problems = loaded
    assert problems == [], "\n".join(map(str, problems))


def test_no_unjustified_lint_warnings(banks):
    """Every accepted warning is ignored in the file itself, with a `lint_reason`."""
    warnings = lint_banks(list(banks.values()))
    assert [str(w) for w in warnings] == []


def test_every_lint_ignore_has_a_reason_in_the_file(banks):
    # The validator already rejects lint_ignore without lint_reason; this guards the content: a
    # suppressed warning must be visible, with its reason, to whoever reviews the bank file.
    for bank in banks.values():
        text = Path(bank.path).read_text(encoding="utf-8")
        assert text.count("lint_ignore:") == text.count("lint_reason:")


# --------------------------------------------------------------------------- counts


@pytest.mark.parametrize("bank_id", sorted(ARTICLE_BANKS))
def test_article_bank_counts(banks, bank_id):
    source_id, prefix = ARTICLE_BANKS[bank_id]
    questions = _questions(banks, bank_id)
    assert len(questions) >= MIN_QUESTIONS_PER_ARTICLE
    assert [s.id for s in banks[bank_id].sources] == [source_id]
    assert all(q.id.startswith(prefix) for q in questions)

    skills = Counter(q.spec["skill"] for q in questions)
    for skill in ARTICLE_SKILLS:
        assert skills[skill] >= MIN_PER_SKILL, f"{bank_id}: only {skills[skill]} {skill} questions"

    types = Counter(q.type for q in questions)
    assert set(types) == ALL_TYPES, f"{bank_id}: missing types {ALL_TYPES - set(types)}"
    assert types["evidence"] >= MIN_EVIDENCE_PER_ARTICLE
    assert types["essay"] >= MIN_ESSAY_PER_ARTICLE

    difficulties = Counter(q.spec["difficulty"] for q in questions)
    assert all(difficulties[d] >= 3 for d in ("easy", "medium", "hard")), difficulties


def test_comparison_bank_counts(banks):
    bank = banks[COMPARISON_BANK]
    questions = bank.questions
    assert len(questions) >= MIN_COMPARISON_QUESTIONS
    assert {s.id for s in bank.sources} == {"two-coups", "kamikaze"}
    assert all(q.id.startswith("cmp-") for q in questions)
    assert all(q.spec["skill"] == "comparison" for q in questions)
    # ">= 3 comparison questions per article": every comparison question needs both articles.
    for q in questions:
        cited = {ref.split(":", 1)[0] for ref in q.spec["evidence"]}
        assert cited == {"two-coups", "kamikaze"}, f"{q.id} cites only {cited}"
    types = Counter(q.type for q in questions)
    assert set(types) == ALL_TYPES, f"missing types {ALL_TYPES - set(types)}"


def test_ids_unique_across_banks(banks):
    ids = [q.id for bank in banks.values() for q in bank.questions]
    assert len(ids) == len(set(ids))


def test_instructors_first_questions_are_present(banks):
    ids = {q.id for bank in banks.values() for q in bank.questions}
    missing = {qid: what for qid, what in FIRST_QUESTIONS.items() if qid not in ids}
    assert not missing


# --------------------------------------------------------------------------- item quality


def _all_questions(banks):
    for bank in banks.values():
        for question in bank.questions:
            yield bank, question


def test_every_question_teaches(banks):
    for _, q in _all_questions(banks):
        spec = q.spec
        assert spec["explanation"].strip(), q.id
        assert spec["evidence"], f"{q.id}: no evidence reference"
        if q.type in ("single", "multiple"):
            assert len(spec["options"]) >= 4, q.id
            for option in spec["options"]:
                assert option["feedback"].strip(), f"{q.id} option {option['id']}: no feedback"
        elif q.type == "truefalse":
            assert spec["feedback_true"].strip() and spec["feedback_false"].strip(), q.id
        elif q.type == "short":
            assert len(spec["accepted"]) >= 2, f"{q.id}: give several accepted answers"
            assert spec["feedback_wrong"].strip(), q.id
        elif q.type == "matching":
            assert len(spec["pairs"]) >= 3 and spec["distractors"], q.id
        elif q.type == "ordering":
            assert len(spec["items"]) >= 4, q.id
        elif q.type == "evidence":
            assert spec["key"] and spec["feedback_for"], q.id
            key_paragraphs = {ref.split(".s")[0] for ref in spec["key"]}
            cited_paragraphs = {ref.split(".s")[0] for ref in spec["evidence"]}
            assert key_paragraphs <= cited_paragraphs, f"{q.id}: key not in evidence"
        elif q.type == "essay":
            rubric = spec["rubric"]
            assert 3 <= len(rubric) <= 4, f"{q.id}: rubric needs 3-4 criteria"
            assert round(sum(c["points"] for c in rubric), 2) == spec["points"], q.id
            assert all(c["description"].strip() for c in rubric), q.id
            assert len(spec["model_answer"].split()) >= 60, f"{q.id}: model answer too thin"


def test_single_choice_keys_are_not_guessable(banks):
    for bank in banks.values():
        singles = [q for q in bank.questions if q.type == "single"]
        positions = Counter(
            next(i for i, o in enumerate(q.spec["options"]) if o["correct"]) for q in singles
        )
        # The key sits in every position, and in none more than half the time.
        assert len(positions) >= min(4, len(singles)), (bank.id, positions)
        assert max(positions.values()) <= len(singles) / 2, (bank.id, positions)
        longest_is_key = 0
        for q in singles:
            lengths = [len(o["text"]) for o in q.spec["options"]]
            key = next(i for i, o in enumerate(q.spec["options"]) if o["correct"])
            longest_is_key += lengths[key] == max(lengths) and lengths.count(max(lengths)) == 1
        assert longest_is_key <= len(singles) / 3, (bank.id, longest_is_key)


# --------------------------------------------------------------------------- evidence and quotes


def _source_map(bank):
    return {source.id: source for source in bank.sources}


def _paragraph(bank, ref: str) -> str:
    source_id, local = ref.split(":", 1)
    source = _source_map(bank)[source_id]
    match = re.fullmatch(r"p(\d+)(?:\.s(\d+))?", local)
    assert match, f"malformed reference {ref}"
    number = int(match.group(1))
    assert 1 <= number <= len(source.paragraphs), f"{ref}: no such paragraph"
    if match.group(2):
        sentences = source.sentences(number)
        assert 1 <= int(match.group(2)) <= len(sentences), f"{ref}: no such sentence"
    return source.paragraphs[number - 1]


def test_every_evidence_reference_exists(banks):
    for bank, q in _all_questions(banks):
        refs = list(q.spec["evidence"])
        if q.type == "evidence":
            refs += q.spec["key"] + list(q.spec["feedback_for"])
        for ref in refs:
            _paragraph(bank, ref)


def _normalise(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]*>", "", text)).split())


def quoted_phrases(text: str) -> list[str]:
    """Every phrase in “curly” (nesting-aware) or "straight" double quotation marks."""
    text = _normalise(text)
    phrases: list[str] = []
    opened: list[int] = []
    for i, char in enumerate(text):
        if char == "“":
            opened.append(i)
        elif char == "”" and opened:
            phrases.append(text[opened.pop() + 1 : i])
    phrases += re.findall(r'"([^"]+)"', text)
    return phrases


def test_quoted_phrases_parser():
    text = 'He says “a relative unknown – “a clean skin” – had” and "x y z".'
    assert quoted_phrases(text) == [
        "a clean skin",
        "a relative unknown – “a clean skin” – had",
        "x y z",
    ]


def test_evidence_paragraphs_contain_the_quotations(banks):
    """A question that quotes the article must cite the paragraph that holds the quotation: every
    quoted phrase of three or more words in a prompt or explanation appears verbatim (after
    whitespace normalisation) in one of the question's evidence paragraphs, of either source for
    comparison questions. Shorter quotations (single words such as “Corbynistas”) must at least
    occur in one of the bank's sources."""
    failures = []
    checked = 0
    for bank, q in _all_questions(banks):
        cited = [_normalise(_paragraph(bank, ref)) for ref in q.spec["evidence"]]
        whole = [_normalise(" ".join(s.paragraphs)) for s in bank.sources]
        for field_name in ("prompt", "explanation"):
            for phrase in quoted_phrases(q.spec[field_name]):
                phrase = phrase.strip()
                if len(phrase.split()) >= MIN_QUOTED_WORDS:
                    checked += 1
                    if not any(phrase in paragraph for paragraph in cited):
                        failures.append(
                            f"{q.id} {field_name}: “{phrase}” not in {q.spec['evidence']}"
                        )
                elif not any(phrase.strip(".,;:?!") in text for text in whole):
                    failures.append(f"{q.id} {field_name}: “{phrase}” not in any source")
    assert not failures, "\n".join(failures)
    assert checked >= 100  # the banks quote the articles a lot; a parser bug would find none
