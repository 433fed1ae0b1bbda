"""Which articles a quiz shows, and how a page names a passage of one of them. Pure.

Every question names its source: explicitly (``source``, evidence questions) or through its
evidence references (``two-coups:p4``), whatever its type. A quiz shows every article any of its
questions can cite, fixed or drawn, so a student never answers about a text that is not on the
screen. The instructor's chosen order comes first; articles the questions need and the order
leaves out follow, in the order the questions first cite them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

_REF_SLUG = re.compile(r"([a-z0-9][a-z0-9_-]*):p\d")


def question_sources(spec: Mapping[str, Any]) -> list[str]:
    """The articles one question cites: its own ``source`` first, then its evidence's, deduped."""
    out: list[str] = []
    own = spec.get("source")
    if isinstance(own, str) and own:
        out.append(own)
    for ref in spec.get("evidence") or ():
        m = _REF_SLUG.match(ref) if isinstance(ref, str) else None
        if m and m.group(1) not in out:
            out.append(m.group(1))
    for ref in spec.get("key") or ():  # evidence keys are refs of the article picked from
        m = _REF_SLUG.match(ref) if isinstance(ref, str) else None
        if m and m.group(1) not in out:
            out.append(m.group(1))
    return out


def needed_sources(
    specs: Iterable[Mapping[str, Any]], bank_sources: Iterable[str] = ()
) -> list[str]:
    """Every article the given questions (and the banks questions are drawn from) cite."""
    out: list[str] = []
    for spec in specs:
        for slug in question_sources(spec):
            if slug not in out:
                out.append(slug)
    for slug in bank_sources:
        if slug not in out:
            out.append(slug)
    return out


def articles_to_show(chosen: Sequence[str], needed: Iterable[str]) -> list[str]:
    """The instructor's order first, then what the questions need and the order leaves out."""
    out: list[str] = []
    for slug in [*chosen, *needed]:
        if slug not in out:
            out.append(slug)
    return out


def short_name(slug: str) -> str:
    """A compact name for an article in references: ``two-coups`` → "Two coups"."""
    words = re.sub(r"[-_]+", " ", slug).strip()
    return words[:1].upper() + words[1:] if words else slug


def ref_label(ref: str, *, article: str | None = None) -> str:
    """``"two-coups:p4.s2"`` → "Two coups, ¶4, sentence 2" (the article named when given)."""
    m = re.fullmatch(r"([a-z0-9][a-z0-9_-]*):p(\d{1,6})(?:\.s(\d{1,6}))?", ref)
    if m is None:
        return ref
    label = f"¶{m.group(2)}" + (f", sentence {m.group(3)}" if m.group(3) else "")
    name = article if article is not None else short_name(m.group(1))
    return f"{name}, {label}" if name else label
