"""The class's common misreadings: wrong answers counted by the misreading their option catches.

Pure (stdlib only). Each wrong option of a single- or multiple-response question may carry a
`misreading` label (app.domain.banks.schema.MISREADINGS). A wrong single-choice answer counts once,
under
its option's label; in a multiple-response answer every wrong option ticked counts once. Wrong
answers whose option has no label count as "unlabelled", so that shares are of all wrong answers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.domain.banks.schema import MISREADINGS

UNLABELLED = ""

# Short names for tables and the sentence an instructor reads first.
MISREADING_NAMES: dict[str, str] = {
    "too-literal": "Too literal",
    "over-generalises": "Over-generalises",
    "wrong-speaker": "Wrong speaker (whose view?)",
    "reverses-claim": "Reverses the claim",
    "outside-knowledge": "Outside knowledge",
    "half-answer": "Half of the answer",
    "fact-opinion": "Confuses fact and opinion",
    "wrong-passage": "Wrong passage",
}
# What "x % of wrong answers …" says for each label.
MISREADING_SENTENCES: dict[str, str] = {
    "too-literal": "read a figure of speech literally",
    "over-generalises": "stretched the text's claim beyond what it says",
    "wrong-speaker": "took someone else's view for the author's",
    "reverses-claim": "turned the text's claim into its opposite",
    "outside-knowledge": "answered from outside knowledge instead of the text",
    "half-answer": "gave only half of the answer",
    "fact-opinion": "confused fact and opinion",
    "wrong-passage": "took a detail from the wrong part of the text",
}
assert set(MISREADING_NAMES) == set(MISREADINGS) == set(MISREADING_SENTENCES)


@dataclass(frozen=True)
class Answer:
    """One submitted answer to a single/multiple question, as the dashboard query returns it."""

    student_id: int
    question_key: str
    spec: Mapping[str, Any]
    value: Any


@dataclass
class Tally:
    """Wrong answers by label, for the class, one question, or one student."""

    wrong: int = 0
    labels: Counter[str] = field(default_factory=Counter)

    def share(self, label: str) -> float:
        return self.labels[label] / self.wrong if self.wrong else 0.0

    def ranked(self) -> list[tuple[str, int]]:
        """Labels by count, most common first (unlabelled last), ties by name."""
        return sorted(self.labels.items(), key=lambda kv: (kv[0] == UNLABELLED, -kv[1], kv[0]))

    def top(self) -> str | None:
        labelled = [(label, n) for label, n in self.ranked() if label != UNLABELLED]
        return labelled[0][0] if labelled else None


@dataclass
class MisreadingReport:
    overall: Tally = field(default_factory=Tally)
    by_question: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_student: dict[int, Tally] = field(default_factory=lambda: defaultdict(Tally))
    answers: int = 0  # answers looked at (right or wrong)
    labelled_options: int = 0  # how many wrong options of the questions seen carry a label

    def headline(self) -> str | None:
        """The sentence an instructor reads first, or None when no wrong answer is labelled."""
        label = self.overall.top()
        if label is None:
            return None
        share = round(100 * self.overall.share(label))
        return f"{share} % of wrong answers {MISREADING_SENTENCES[label]}."


def wrong_labels(spec: Mapping[str, Any], value: Any) -> list[str]:
    """The labels of the wrong options this answer chose ("" for a wrong option without one)."""
    options = {o["id"]: o for o in spec.get("options") or ()}
    if spec.get("type") == "single":
        chosen = [value] if isinstance(value, str) else []
    elif spec.get("type") == "multiple":
        chosen = [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
    else:
        return []
    return [
        str(options[c].get("misreading") or UNLABELLED)
        for c in dict.fromkeys(chosen)
        if c in options and not options[c].get("correct")
    ]


def tally(answers: Iterable[Answer]) -> MisreadingReport:
    report = MisreadingReport()
    seen_specs: set[str] = set()
    for answer in answers:
        report.answers += 1
        if answer.question_key not in seen_specs:
            seen_specs.add(answer.question_key)
            report.labelled_options += sum(
                1
                for o in answer.spec.get("options") or ()
                if not o.get("correct") and o.get("misreading")
            )
        for label in wrong_labels(answer.spec, answer.value):
            for target in (
                report.overall,
                report.by_question[answer.question_key],
                report.by_student[answer.student_id],
            ):
                target.wrong += 1
                target.labels[label] += 1
    return report
