"""The review of an extracted article before it is saved: paragraphs and removed blocks.

The instructor sees the numbered paragraphs next to the blocks the extractor left out, and can
delete a paragraph (it joins the removed blocks), put a removed block back where it stood, join
a paragraph with the next one, or split one at a sentence. Each step is a pure function of the
review state, so the page works the same with or without JavaScript and the server checks what
the browser sends. Pure: no Flask, no database.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from app.domain.banks.articles import split_sentences
from app.domain.banks.extraction import RemovedBlock

__all__ = [
    "MAX_REMOVED_CHARS",
    "ReviewError",
    "ReviewState",
    "decode_removed",
    "encode_removed",
    "text_digest",
]

MAX_REMOVED_CHARS = 200_000  # UTF-8 bytes: the removed blocks travel back in one form field
_MAX_BLOCK_CHARS = 20_000


class ReviewError(ValueError):
    """A review step that does not apply (a paragraph or block that is not there)."""


def text_digest(paragraphs: tuple[str, ...] | list[str]) -> str:
    """A short digest of the paragraphs a preview shows, so a step is applied only to them."""
    return hashlib.sha256("\n\n".join(paragraphs).encode("utf-8")).hexdigest()[:20]


def encode_removed(blocks: tuple[RemovedBlock, ...] | list[RemovedBlock]) -> str:
    """The removed blocks as compact JSON for a hidden form field (cut to the field's limit)."""
    kept: list[list[object]] = []
    size = 2
    for block in blocks:
        item = [block.text[:_MAX_BLOCK_CHARS], block.reason[:100], block.after]
        size += len(json.dumps(item, ensure_ascii=False).encode("utf-8")) + 1
        if size > MAX_REMOVED_CHARS:
            break
        kept.append(item)
    return json.dumps(kept, ensure_ascii=False, separators=(",", ":"))


def decode_removed(data: str | None) -> list[RemovedBlock]:
    """Removed blocks sent back by the browser; anything malformed is dropped, never trusted."""
    if not data or len(data) > MAX_REMOVED_CHARS * 2:
        return []
    try:
        items = json.loads(data)
    except (ValueError, RecursionError):
        return []
    if not isinstance(items, list):
        return []
    blocks: list[RemovedBlock] = []
    for item in items:
        if (
            isinstance(item, list)
            and len(item) == 3
            and isinstance(item[0], str)
            and isinstance(item[1], str)
            and isinstance(item[2], int)
            and not isinstance(item[2], bool)
            and item[2] >= 0
            and item[0].strip()
        ):
            blocks.append(RemovedBlock(" ".join(item[0].split()), item[1][:100], item[2]))
    return blocks


@dataclass(frozen=True)
class ReviewState:
    """Paragraphs as they will be saved, and the blocks left out (each with its position)."""

    paragraphs: tuple[str, ...]
    removed: tuple[RemovedBlock, ...] = ()

    def _paragraph(self, number: int) -> str:
        if not 1 <= number <= len(self.paragraphs):
            raise ReviewError(
                f"There is no paragraph {number} (the text has {len(self.paragraphs)})."
            )
        return self.paragraphs[number - 1]

    def _block(self, index: int) -> RemovedBlock:
        if not 0 <= index < len(self.removed):
            raise ReviewError("That removed block is no longer in the list; preview again.")
        return self.removed[index]

    def delete(self, number: int) -> ReviewState:
        """Remove paragraph ``number``; it joins the removed blocks so it can be restored."""
        text = self._paragraph(number)
        paragraphs = self.paragraphs[: number - 1] + self.paragraphs[number:]
        moved = tuple(_shift(b, number, -1) for b in self.removed)
        block = RemovedBlock(text, "deleted in review", number - 1)
        return ReviewState(paragraphs, _insert(moved, block))

    def restore(self, index: int) -> ReviewState:
        """Put removed block ``index`` back as a paragraph where it stood on the page."""
        block = self._block(index)
        at = min(block.after, len(self.paragraphs))
        paragraphs = (*self.paragraphs[:at], block.text, *self.paragraphs[at:])
        rest = self.removed[:index] + self.removed[index + 1 :]
        moved = tuple(
            # blocks that stood after it in the same gap now follow the restored paragraph
            _shift(b, at + 1, +1) if b.after != at or i < index else _shift(b, at, +1)
            for i, b in enumerate(rest)
        )
        return ReviewState(paragraphs, moved)

    def join(self, number: int) -> ReviewState:
        """Join paragraph ``number`` with the one after it."""
        first = self._paragraph(number)
        second = self._paragraph(number + 1)
        joined = f"{first} {second}"
        paragraphs = (*self.paragraphs[: number - 1], joined, *self.paragraphs[number + 1 :])
        moved = tuple(_shift(b, number + 1, -1) for b in self.removed)
        return ReviewState(paragraphs, moved)

    def split(self, number: int, sentence: int) -> ReviewState:
        """Split paragraph ``number`` so that its sentence ``sentence`` starts a new paragraph."""
        sentences = split_sentences(self._paragraph(number))
        if not 2 <= sentence <= len(sentences):
            raise ReviewError(
                f"Paragraph {number} has {len(sentences)} sentence(s); it can be split before "
                "sentence 2 at the earliest."
            )
        first = " ".join(sentences[: sentence - 1])
        second = " ".join(sentences[sentence - 1 :])
        paragraphs = (*self.paragraphs[: number - 1], first, second, *self.paragraphs[number:])
        moved = tuple(_shift(b, number, +1) for b in self.removed)
        return ReviewState(paragraphs, moved)


def _shift(block: RemovedBlock, from_after: int, by: int) -> RemovedBlock:
    """Move a block's position when paragraphs before it are added or taken away."""
    if block.after < from_after:
        return block
    return RemovedBlock(block.text, block.reason, max(0, block.after + by))


def _insert(blocks: tuple[RemovedBlock, ...], block: RemovedBlock) -> tuple[RemovedBlock, ...]:
    index = next((i for i, b in enumerate(blocks) if b.after > block.after), len(blocks))
    return (*blocks[:index], block, *blocks[index:])
