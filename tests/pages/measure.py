"""Measure article extraction on the saved pages in this folder: ``python -m tests.pages.measure``.

For each page of ``cases.yaml`` it counts the clutter passages kept, the article paragraphs lost,
whether the page came out exactly right (every paragraph, in order, nothing else), and where the
article's first paragraph landed. ``--holdout`` measures the pages of ``holdout/`` instead (kept
out of tuning), ``--method`` compares other extractors on the same pages.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from app.domain.banks.articles import clean_article
from app.domain.banks.extraction import decode_page, extract_article

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Case:
    name: str
    path: Path
    paragraphs: tuple[str, ...]
    clutter: tuple[str, ...]
    metadata: dict[str, str]
    neutral: tuple[str, ...] = ()  # paragraphs that may be kept or left out


@dataclass(frozen=True)
class Score:
    clutter_kept: tuple[str, ...]
    lost: tuple[str, ...]
    right: bool
    first_offset: int | None  # index of the paragraph holding the article's first one


def load_cases(folder: Path = HERE) -> list[Case]:
    data = yaml.safe_load((folder / "cases.yaml").read_text(encoding="utf-8"))
    return [
        Case(
            name=name,
            path=folder / name,
            paragraphs=tuple(spec["paragraphs"]),
            clutter=tuple(spec.get("clutter") or ()),
            metadata=dict(spec.get("metadata") or {}),
            neutral=tuple(spec.get("neutral") or ()),
        )
        for name, spec in data.items()
    ]


def _space(text: str) -> str:
    return " ".join(text.split())


def score(paragraphs: list[str] | tuple[str, ...], case: Case) -> Score:
    neutral = tuple(_space(n) for n in case.neutral)
    found = [_space(p) for p in paragraphs if not (neutral and _space(p).startswith(neutral))]
    whole = "\n".join(found)
    clutter = tuple(c for c in case.clutter if _space(c) in whole)
    lost = tuple(p for p in case.paragraphs if _space(p) not in whole)
    right = len(found) == len(case.paragraphs) and all(
        got.startswith(_space(want)) for got, want in zip(found, case.paragraphs, strict=True)
    )
    first = _space(case.paragraphs[0])
    offset = next((i for i, p in enumerate(found) if first in p), None)
    return Score(clutter, lost, right, offset)


def hustings(raw: str) -> list[str]:
    return list(extract_article(raw).paragraphs)


def old_cleaner(raw: str) -> list[str]:
    return clean_article(raw, "html")


def trafilatura_defaults(raw: str) -> list[str]:
    import trafilatura

    text = trafilatura.extract(raw) or ""
    return [line for line in text.split("\n") if line.strip()]


def readability_lxml(raw: str) -> list[str]:
    from readability import Document

    return clean_article(Document(raw).summary(), "html")


def justext_paragraphs(raw: str) -> list[str]:
    import justext

    found = justext.justext(raw.encode("utf-8"), justext.get_stoplist("English"))
    return [p.text for p in found if not p.is_boilerplate]


METHODS: dict[str, Callable[[str], list[str]]] = {
    "hustings": hustings,
    "old": old_cleaner,
    "trafilatura": trafilatura_defaults,
    "readability": readability_lxml,
    "justext": justext_paragraphs,
}


def measure(method: str, folder: Path, verbose: bool) -> str:
    cases = load_cases(folder)
    extract = METHODS[method]
    clutter = clutter_total = lost = lost_total = right = 0
    offsets: list[int] = []
    lines = []
    fields = fields_right = 0
    for case in cases:
        raw = decode_page(case.path.read_bytes())
        result = score(extract(raw), case)
        if method == "hustings":
            found = extract_article(raw).metadata
            fields += len(case.metadata)
            fields_right += sum(getattr(found, k) == v for k, v in case.metadata.items())
        clutter += len(result.clutter_kept)
        clutter_total += len(case.clutter)
        lost += len(result.lost)
        lost_total += len(case.paragraphs)
        right += result.right
        if result.first_offset is not None:
            offsets.append(result.first_offset)
        if verbose and not result.right:
            lines.append(
                f"  {case.name}: clutter {list(result.clutter_kept)} lost {list(result.lost)} "
                f"first at {result.first_offset}"
            )
    median = statistics.median(offsets) if offsets else "-"
    lines.insert(
        0,
        f"{method:12} clutter kept {clutter}/{clutter_total}  paragraphs lost "
        f"{lost}/{lost_total}  pages right {right}/{len(cases)}  first paragraph median "
        f"offset {median} ({len(offsets)} found)"
        + (f"  metadata fields right {fields_right}/{fields}" if fields else ""),
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--holdout", action="store_true", help="measure holdout/ instead")
    parser.add_argument("--method", choices=[*METHODS, "all"], default="all")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="list what each page got wrong"
    )
    args = parser.parse_args(argv)
    folder = HERE / "holdout" if args.holdout else HERE
    methods = list(METHODS) if args.method == "all" else [args.method]
    for method in methods:
        try:
            print(measure(method, folder, args.verbose))
        except ImportError as exc:
            print(f"{method:12} not installed ({exc.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
