"""Items that give each other away: pairs of questions that must not share an attempt.

Pure (stdlib only). Banks declare pairs with `excludes:` (question_banks/README.md); the pairs are
symmetric and kept by stable question key, so a bank may name a question of another bank, loaded
before or after it. Draws and fixed quizzes ask this module which questions conflict.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from app.domain.banks.schema import Bank

T = TypeVar("T", bound=Hashable)


@dataclass(frozen=True)
class Exclusion:
    """One declared pair, keys in sorted order so that (a, b) and (b, a) are the same pair."""

    first: str
    second: str
    reason: str
    declared_by: str  # the question whose `excludes` names the other

    @classmethod
    def of(cls, declared_by: str, other: str, reason: str) -> Exclusion:
        first, second = sorted((declared_by, other))
        return cls(first, second, reason, declared_by)


def declared_pairs(banks: Iterable[Bank]) -> list[Exclusion]:
    """Every pair the banks declare, once each (the first declaration's reason wins)."""
    seen: dict[tuple[str, str], Exclusion] = {}
    for bank in banks:
        for question in bank.questions:
            for other, reason in question.excludes:
                pair = Exclusion.of(question.id, other, reason)
                seen.setdefault((pair.first, pair.second), pair)
    return list(seen.values())


def exclusion_map(pairs: Iterable[tuple[T, T]]) -> dict[T, set[T]]:
    """Each item → the items it may not appear with (both directions)."""
    excluded: dict[T, set[T]] = defaultdict(set)
    for first, second in pairs:
        excluded[first].add(second)
        excluded[second].add(first)
    return dict(excluded)


def conflicts(items: Sequence[T], excluded: Mapping[T, set[T]]) -> list[tuple[T, T]]:
    """The declared pairs among ``items``, in the order the items are listed."""
    found: list[tuple[T, T]] = []
    for i, first in enumerate(items):
        for second in items[i + 1 :]:
            if second in excluded.get(first, ()):
                found.append((first, second))
    return found


def draw(
    rng: random.Random,
    candidates: Sequence[T],
    count: int,
    used: set[T],
    excluded: Mapping[T, set[T]],
) -> list[T]:
    """Up to ``count`` candidates, at random, none in ``used`` or excluded by one already used or
    drawn. Without exclusions this is exactly ``rng.sample`` (so layouts drawn before exclusions
    existed are reproduced); with them, candidates are tried in a random order and skipped when
    they clash, which can leave a draw short only when the clashes leave too few questions."""
    pool = [c for c in candidates if c not in used and not (excluded.get(c, set()) & used)]
    if not any(c in excluded for c in pool):
        return rng.sample(pool, min(count, len(pool)))
    picked: list[T] = []
    taken = set(used)
    for candidate in rng.sample(pool, len(pool)):
        if len(picked) == count:
            break
        if excluded.get(candidate, set()) & taken:
            continue
        picked.append(candidate)
        taken.add(candidate)
    return picked
