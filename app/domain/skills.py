"""The reading skills a question may test: one vocabulary for banks, scores and the database.

A module of its own, with nothing but the constant, so that the models (which keep a column per
skill) can use it without importing the bank format.
"""

from __future__ import annotations

SKILLS: dict[str, str] = {
    "literal": "literal comprehension",
    "vocabulary": "vocabulary in context",
    "inference": "inference",
    "argument": "argument structure (claim, reasons, evidence)",
    "evidence": "evaluating evidence",
    "rhetoric": "rhetoric and tone",
    "perspective": "perspective and bias",
    "fact-opinion": "fact versus opinion",
    "comparison": "comparison across texts",
}
