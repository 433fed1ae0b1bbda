"""Emails, names and student ids are checked where they enter (issue 22 point 10; issue 16)."""

from __future__ import annotations

import pytest

from app.domain.identities import (
    IdentityError,
    normalise_email,
    normalise_name,
    normalise_student_number,
)


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("amira\u200b@example.test", "ZERO WIDTH SPACE"),
        ("amira@example.test.", "cannot end with a period"),
        ("amira@example.test\u202e", "right-to-left override"),
        ("am\x00ira@example.test", "NUL"),
        ("=cmd@example.test", "formula"),
        ("+44@example.test", "formula"),
        ("-x@example.test", "formula"),
        ("@x@example.test", "formula"),
        ("not-an-email", "not a valid address"),
        ("", "empty"),
    ],
)
def test_look_alike_and_formula_emails_are_refused(typed, why):
    with pytest.raises(IdentityError, match=why):
        normalise_email(typed)


def test_emails_fold_to_one_spelling():
    assert normalise_email("  Amira@Example.TEST ") == "amira@example.test"
    assert normalise_email("ａｍｉｒａ＠ｅｘａｍｐｌｅ．ｔｅｓｔ") == "amira@example.test"


def test_names_are_nfc_single_line_and_clean():
    assert normalise_name("  Chloe\u0301   Martin ") == "Chloé Martin"
    assert normalise_name("داوود") == "داوود"  # right-to-left letters are ordinary text
    for bad in ("A\x00B", "A\u202eB", "A\nB", "   ", "x" * 201):
        with pytest.raises(IdentityError):
            normalise_name(bad)


@pytest.mark.parametrize("bad", ["=1+1", "+123", "-123", "@S1", "S\n1", "S\x001"])
def test_student_ids_an_lms_cannot_match_are_refused(bad):
    with pytest.raises(IdentityError):
        normalise_student_number(bad)


def test_student_ids_keep_their_spelling():
    assert normalise_student_number(" S0012 ") == "S0012"
    assert normalise_student_number("") is None
    assert normalise_student_number(None) is None
