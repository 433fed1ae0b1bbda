"""Which articles a quiz shows: every one its questions cite, whatever their type."""

from __future__ import annotations

from app.domain.quiz_articles import (
    articles_to_show,
    needed_sources,
    question_sources,
    ref_label,
    short_name,
)


def test_a_non_evidence_question_cites_the_articles_of_its_evidence():
    spec = {"type": "single", "source": None, "evidence": ["two-coups:p11"]}
    assert question_sources(spec) == ["two-coups"]


def test_a_comparison_question_cites_both_articles_in_order_of_first_mention():
    spec = {
        "type": "single",
        "evidence": ["two-coups:p2", "kamikaze:p3", "two-coups:p4", "kamikaze:p12.s1"],
    }
    assert question_sources(spec) == ["two-coups", "kamikaze"]


def test_own_source_leads_and_evidence_keys_count():
    spec = {"type": "evidence", "source": "kamikaze", "evidence": [], "key": ["two-coups:p1"]}
    assert question_sources(spec) == ["kamikaze", "two-coups"]


def test_malformed_or_missing_references_are_ignored():
    assert question_sources({}) == []
    assert question_sources({"evidence": ["p4", 7, None, "Bad:p1", ":p2"]}) == []


def test_needed_sources_joins_questions_and_draw_banks_without_repeats():
    specs = [{"evidence": ["a:p1"]}, {"evidence": ["b:p2", "a:p3"]}]
    assert needed_sources(specs, ["c", "a"]) == ["a", "b", "c"]


def test_the_instructors_order_leads_and_nothing_cited_is_dropped():
    assert articles_to_show(["b"], ["a", "b", "c"]) == ["b", "a", "c"]
    assert articles_to_show([], ["a"]) == ["a"]
    assert articles_to_show(["a", "a"], []) == ["a"]


def test_references_name_the_article_and_the_paragraph():
    assert short_name("two-coups") == "Two coups"
    assert ref_label("two-coups:p4") == "Two coups, ¶4"
    assert ref_label("kamikaze:p3.s2") == "Kamikaze, ¶3, sentence 2"
    assert ref_label("two-coups:p4", article="A tale") == "A tale, ¶4"
    assert ref_label("not a ref") == "not a ref"
