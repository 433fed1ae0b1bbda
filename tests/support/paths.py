"""Where things are, so a test file can move without counting ``parents[n]``."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
BANKS = ROOT / "question_banks"
PAGES = TESTS / "pages"  # saved news pages, the extraction corpus
FIXTURES = TESTS / "fixtures"  # small bank and source files
# Material kept beside the repository (shared articles, GIFT conformance data); tests that
# read it skip when it is absent.
SHARED = ROOT.parent / "shared"
