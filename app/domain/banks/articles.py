"""Articles: clean pasted web text into paragraphs, split sentences, read and write source files.

Pure code (standard library plus PyYAML, no Flask) so that the importer, the bank loader and the
tests all agree on what "paragraph 4, sentence 2" of an article is. Cleaning removes web debris
(link addresses, share widgets, "Read more" promo boxes) but never rewords the author: the only
edits are whitespace, and re-inserting the space a removed link swallowed.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date as _date
from html.parser import HTMLParser
from typing import NoReturn

import yaml

__all__ = [
    "SourceDocument",
    "SourceFileError",
    "clean_article",
    "document_from_article",
    "parse_source_file",
    "render_source_file",
    "sniff_format",
    "split_sentences",
    "valid_source_id",
]

FORMATS = ("text", "markdown", "html")
METADATA_KEYS = ("id", "title", "publication", "date", "url", "author")
_REQUIRED_KEYS = ("id", "title", "publication")

# --------------------------------------------------------------------------------------------
# Sentences
# --------------------------------------------------------------------------------------------

# Words after which a full stop does not end a sentence (compared lower-case, final dot removed).
_ABBREVIATIONS = frozenset(
    {"mr", "mrs", "ms", "dr", "st", "prof", "rev", "sr", "jr", "e.g", "i.e", "etc", "vs", "cf"}
)
_OPENING_QUOTES = "“‘\"'"
_SENTENCE_END = re.compile(r"(?<![.!?])[.!?]++[”’\"')\]]*+(\s+)")


def split_sentences(paragraph: str) -> tuple[str, ...]:
    """Split a paragraph into sentences, deterministically, so `p4.s2` references stay stable.

    A sentence ends at `.`, `!` or `?` (plus any closing quotes or brackets) followed by whitespace
    and then an upper-case letter or an opening quote. A full stop after a common abbreviation
    (Mr, Dr, e.g., etc.) or a single capital initial ("John F. Kennedy") does not end one.
    """
    text = paragraph.strip()
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        after = match.end()
        if after >= len(text):
            break
        nxt = text[after]
        if not (nxt.isupper() or nxt in _OPENING_QUOTES):
            continue
        if match.group(0).startswith(".") and match.group(0).rstrip().endswith("."):
            word_start = match.start()
            while word_start > start and not text[word_start - 1].isspace():
                word_start -= 1
            word = text[word_start : match.start()].lstrip(_OPENING_QUOTES + "([")
            if word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper()):
                continue
        sentences.append(text[start : match.start(1)])
        start = after
    if start < len(text):
        sentences.append(text[start:])
    return tuple(sentences)


# --------------------------------------------------------------------------------------------
# Source documents
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceDocument:
    """A cleaned article: metadata plus numbered paragraphs that questions cite as `p1`..`pn`."""

    id: str
    title: str
    publication: str
    date: str | None
    url: str | None
    author: str | None
    paragraphs: tuple[str, ...]

    def sentences(self, paragraph_number: int) -> tuple[str, ...]:
        """Sentences of paragraph `paragraph_number` (1-based, as cited); IndexError if absent."""
        if not 1 <= paragraph_number <= len(self.paragraphs):
            raise IndexError(
                f"source {self.id!r} has no paragraph {paragraph_number} "
                f"(it has {len(self.paragraphs)})"
            )
        return split_sentences(self.paragraphs[paragraph_number - 1])

    @property
    def author_line(self) -> str:
        """The line shown under the article, e.g. "The Guardian, 2016-09-24 — author not given"."""
        where = ", ".join(part for part in (self.publication, self.date, self.url) if part)
        who = f"by {self.author}" if self.author else "author not given"
        return f"{where} — {who}"


class SourceFileError(ValueError):
    """A source file that cannot be read; carries the 1-based line so editors can jump to it."""

    def __init__(self, line: int, message: str, filename: str = "<source>") -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message
        self.filename = filename


_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
_DATE_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?\Z")
_STR_TAG = "tag:yaml.org,2002:str"
_NULL_TAG = "tag:yaml.org,2002:null"


def valid_source_id(value: str) -> bool:
    """True for an id a source file may carry (and so a file name it may be written under)."""
    return bool(_ID_RE.match(value))


def _normalise_space(text: str) -> str:
    """Collapse every run of whitespace (including no-break spaces) to one space, and trim."""
    return " ".join(text.split())


def _check_metadata(
    meta: dict[str, str | None], lines: dict[str, int], err: Callable[[int, str], NoReturn]
) -> None:
    """Validate metadata values that are strings or null; `err(line, message)` raises."""
    for key in _REQUIRED_KEYS:
        if key not in meta:
            err(1, f"front matter: missing required key {key!r}")
        if not (meta[key] or "").strip():
            err(lines[key], f"front matter: {key!r} must not be empty")
    if not _ID_RE.match(meta["id"] or ""):
        err(lines["id"], "front matter: 'id' may hold only lower-case letters, digits, - and _")
    date = meta.get("date")
    if date is not None:
        match = _DATE_RE.match(date)
        try:
            if not match:
                raise ValueError
            year, month, day = (int(g) if g else 1 for g in match.groups())
            _date(year, month, day)
        except ValueError:
            message = f"front matter: 'date' must be YYYY, YYYY-MM or YYYY-MM-DD: {date!r}"
            err(lines["date"], message)
    url = meta.get("url")
    if url is not None and not re.match(r"https?://\S+\Z", url):
        err(lines["url"], f"front matter: 'url' must be an http(s) address, not {url!r}")


def parse_source_file(text: str, *, filename: str = "<source>") -> SourceDocument:
    """Read a cleaned source file: YAML front matter between `---` lines, then paragraphs.

    Front matter is composed with PyYAML's safe loader and only plain scalars are accepted, so
    an unquoted date (`2016-09-25`) or a number is an error with its line rather than a silently
    converted value, and no tag or object can be constructed. Paragraphs are blocks separated by
    blank lines; lines inside a block are joined (hand-wrapped files read the same).
    Raises only SourceFileError.
    """

    def err(line: int, message: str) -> NoReturn:
        raise SourceFileError(line, message, filename)

    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[0].rstrip() != "---":
        err(1, "a source file must start with a '---' line (YAML front matter)")
    close = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if close is None:
        err(1, "front matter is not closed by a '---' line")
    front = "\n".join(lines[1:close])
    try:
        node = yaml.compose(front, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        err((mark.line + 2) if mark else 1, f"front matter: {exc.problem or exc}")
    except (yaml.YAMLError, RecursionError) as exc:
        err(1, f"front matter: invalid YAML ({type(exc).__name__})")
    if not isinstance(node, yaml.MappingNode):
        err(2 if node is None else node.start_mark.line + 2, "front matter must be a mapping")
    meta: dict[str, str | None] = {}
    key_lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 2
        if not (isinstance(key_node, yaml.ScalarNode) and key_node.tag == _STR_TAG):
            err(line, "front matter: keys must be plain names")
        key = key_node.value
        if key not in METADATA_KEYS:
            err(line, f"front matter: unknown key {key!r} (allowed: {', '.join(METADATA_KEYS)})")
        if key in meta:
            err(line, f"front matter: duplicate key {key!r}")
        if isinstance(value_node, yaml.ScalarNode) and value_node.tag == _STR_TAG:
            meta[key] = value_node.value
        elif isinstance(value_node, yaml.ScalarNode) and value_node.tag == _NULL_TAG:
            meta[key] = None
        else:
            err(
                value_node.start_mark.line + 2,
                f'front matter: {key!r} must be a string or null (quote it: "...")',
            )
        key_lines[key] = line
    _check_metadata(meta, key_lines, err)

    paragraphs: list[str] = []
    block: list[str] = []
    for line in [*lines[close + 1 :], ""]:
        if line.strip():
            block.append(line)
        elif block:
            paragraphs.append(_normalise_space(" ".join(block)))
            block = []
    if not paragraphs:
        err(close + 1, "the source has no paragraphs after the front matter")
    return SourceDocument(
        id=meta["id"] or "",
        title=meta["title"] or "",
        publication=meta["publication"] or "",
        date=meta.get("date"),
        url=meta.get("url"),
        author=meta.get("author"),
        paragraphs=tuple(paragraphs),
    )


def _yaml_scalar(value: str | None) -> str:
    """One metadata value as a double-quoted YAML scalar on one line (or `null`)."""
    if value is None:
        return "null"
    return yaml.safe_dump(value, default_style='"', allow_unicode=True, width=sys.maxsize).rstrip(
        "\n"
    )


def render_source_file(doc: SourceDocument) -> str:
    """Write `doc` as a source file that `parse_source_file` reads back to an equal document.

    Raises ValueError for a paragraph that would not survive the trip (empty, or with line
    breaks or untrimmed/doubled whitespace): cleaned paragraphs never have those.
    """
    out = ["---"]
    for key in METADATA_KEYS:
        out.append(f"{key}: {_yaml_scalar(getattr(doc, key))}")
    out.append("---")
    for number, paragraph in enumerate(doc.paragraphs, start=1):
        if not paragraph or _normalise_space(paragraph) != paragraph:
            raise ValueError(f"paragraph {number} is empty or has unnormalised whitespace")
        out.extend(["", paragraph])
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# Cleaning
# --------------------------------------------------------------------------------------------

_LINK = re.compile(r"<(?:https?://|www\.|mailto:)[^<>\s]*>", re.IGNORECASE)
_SHARE_NAMES = frozenset(
    {"facebook", "twitter", "pinterest", "linkedin", "whatsapp", "email", "messenger", "reddit"}
)
_TERMINAL = re.compile(r"[.!?][”’\"')\]]*\Z")
_NO_SPACE_BEFORE = ".,;:!?)]}”’…"
_NO_SPACE_AFTER = "([{“‘"
_GLUE_WINDOW = 8  # words of link text looked at for a word glued onto its first word
_HEADLINE_MAX_LINES = 3


def _is_link_only(line: str) -> bool:
    """True for a line that holds nothing but link addresses."""
    return bool(line.strip()) and not _LINK.sub("", line).strip()


def _unglue(word: str) -> str | None:
    """Split "ofLabour" → "of Labour"; None for words that are not glued ("McDonnell", "iPhone")."""
    lead = len(word) - len(word.lstrip(_NO_SPACE_AFTER + "\"'"))
    core = word[lead:]
    pos = 0
    while pos < len(core) and core[pos].isalpha() and core[pos].islower():
        pos += 1
    if pos == len(core) or not core[pos].isupper():
        return None
    if pos >= 2 or core[:pos] == "a":
        return f"{word[: lead + pos]} {word[lead + pos :]}"
    return None


def _mend_before_link(text: str) -> str:
    """Re-insert the space lost in front of a link's text (only called at a link boundary).

    Copying a web page drops the space between a word and the link text that follows it
    ("the face ofLabour <…>"); the glued word is within the last few words before the address.
    """
    words = text.split(" ")
    for index in range(len(words) - 1, max(-1, len(words) - 1 - _GLUE_WINDOW), -1):
        fixed = _unglue(words[index])
        if fixed:
            words[index] = fixed
            break
    return " ".join(words)


def _assemble(pieces: list[list[str]]) -> str:
    """Join a paragraph's pieces (separated by removed links) into one normalised string."""
    texts = [_normalise_space(" ".join(lines)) for lines in pieces]
    for index in range(len(texts) - 1):
        texts[index] = _mend_before_link(texts[index])
    result = ""
    for text in texts:
        if not text:
            continue
        if not result or text[0] in _NO_SPACE_BEFORE or result[-1] in _NO_SPACE_AFTER:
            result += text
        else:
            result += " " + text
    return result


def _share_run_end(lines: list[str], start: int) -> int:
    """Index after a share widget ("Facebook" + address, "Twitter" + address, …) at `start`.

    At least two name/address pairs are needed, so a paragraph that merely ends with the word
    "Twitter" before a link is left alone. Returns `start` when there is no widget.
    """
    index, pairs = start, 0
    while (
        index + 1 < len(lines)
        and lines[index].strip().lower() in _SHARE_NAMES
        and _is_link_only(lines[index + 1])
    ):
        index += 2
        pairs += 1
    return index if pairs >= 2 else start


def _caption_end(lines: list[str], start: int) -> int:
    """Index after the media headline + address that follows a share widget, else `start`."""
    for end in range(start, min(start + 3, len(lines))):
        if _is_link_only(lines[end]):
            caption = lines[start:end]
            if not caption or any(not line.strip() for line in caption):
                return start
            if _TERMINAL.search(caption[-1].strip()) or len(" ".join(caption).split()) > 20:
                return start
            following = lines[end + 1].lstrip() if end + 1 < len(lines) else ""
            if following and not (following[0].isupper() or following[0] in _OPENING_QUOTES):
                return start
            return end + 1
        if not lines[end].strip():
            return start
    return start


def _drop_headline(piece: list[str], whole_paragraph: bool) -> None:
    """Remove a promo box's headline lines from the end of the paragraph being built."""
    if whole_paragraph and len(piece) <= _HEADLINE_MAX_LINES:
        piece.clear()
        return
    for _ in range(_HEADLINE_MAX_LINES):
        if not piece or _TERMINAL.search(piece[-1].strip()):
            return
        piece.pop()


def _clean_block(lines: list[str]) -> list[str]:
    """Turn one blank-line-separated block into paragraphs, dropping widgets and promo boxes.

    A widget or promo box inside a block also ends a paragraph: on the page it sat between two.
    """
    paragraphs: list[str] = []
    pieces: list[list[str]] = [[]]

    def flush() -> None:
        text = _assemble(pieces)
        if text:
            paragraphs.append(text)
        pieces[:] = [[]]

    index = 0
    while index < len(lines):
        line = lines[index]
        after_share = _share_run_end(lines, index)
        if after_share > index:
            flush()
            index = _caption_end(lines, after_share)
            continue
        if (
            line.strip().lower().rstrip(":") == "read more"
            and index + 1 < len(lines)
            and _is_link_only(lines[index + 1])
        ):
            _drop_headline(pieces[-1], whole_paragraph=len(pieces) == 1)
            flush()
            index += 2
            continue
        parts = _LINK.split(line)
        pieces[-1].append(parts[0])
        pieces.extend([part] for part in parts[1:])
        index += 1
    flush()
    return paragraphs


def _clean_text(raw: str) -> list[str]:
    """Clean plain pasted text: blocks are separated by blank lines, lines are hard-wrapped."""
    paragraphs: list[str] = []
    block: list[str] = []
    for line in [*raw.split("\n"), ""]:
        if line.strip():
            block.append(line)
        elif block:
            paragraphs.extend(_clean_block(block))
            block = []
    return paragraphs


_MD_HEADING = re.compile(r"\s{0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*\Z")
_MD_RULE = re.compile(r"\s{0,3}(?:[-=*_]\s*){3,}\Z")
_MD_LIST = re.compile(r"\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+(.*)\Z")
_MD_QUOTE = re.compile(r"\s{0,3}>\s?")
_MD_REF_DEF = re.compile(r"\s{0,3}\[[^\]]+\]:\s*\S+.*\Z")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\[\]]*)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)")
_MD_REF_LINK = re.compile(r"\[([^\[\]]+)\]\[[^\[\]]*\]")
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.{1,300}?)(?<=\S)\1")  # bounded: no quadratic scan
_MD_EM = re.compile(r"(?<![\w*])\*(?=\S)([^*]{1,300}?)(?<=\S)\*(?![\w*])")
_MD_CODE = re.compile(r"`+([^`]*)`+")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>])")


def _markdown_inline(line: str) -> str:
    """Strip inline Markdown (links to their text, images, emphasis, code marks, escapes)."""
    line = _MD_IMAGE.sub("", line)
    line = _MD_LINK.sub(r"\1", line)
    line = _MD_REF_LINK.sub(r"\1", line)
    line = _MD_STRONG.sub(r"\2", line)
    line = _MD_EM.sub(r"\1", line)
    line = _MD_CODE.sub(r"\1", line)
    return _MD_ESCAPE.sub(r"\1", line)


def _markdown_to_text(raw: str) -> str:
    """Rewrite Markdown as plain pasted text: headings and list items become their own blocks."""
    out: list[str] = []
    for line in raw.split("\n"):
        line = _MD_QUOTE.sub("", line, count=1) if _MD_QUOTE.match(line) else line
        if _MD_REF_DEF.match(line) or _MD_RULE.match(line):
            out.append("")
            continue
        heading = _MD_HEADING.match(line)
        item = _MD_LIST.match(line)
        if heading:
            out.extend(["", _markdown_inline(heading.group(1) or ""), ""])
        elif item:
            out.extend(["", _markdown_inline(item.group(1))])
        else:
            out.append(_markdown_inline(line))
    return "\n".join(out)


_HTML_BLOCKS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "dd", "dt", "pre"}
)
_HTML_SKIP = frozenset(
    {
        "script",
        "style",
        "nav",
        "aside",
        "figure",
        "head",
        "noscript",
        "template",
        "svg",
        "iframe",
        "form",
        "button",
        "select",
        "textarea",
        "footer",
        "object",
        "video",
        "audio",
        "canvas",
    }
)


class _HTMLText(HTMLParser):
    """Collects the text of paragraphs, headings and list items, skipping page furniture."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._buffer: list[str] = []
        self._blocks = 0
        self._skip = 0

    def _flush(self) -> None:
        text = _normalise_space("".join(self._buffer))
        if text:
            self.paragraphs.append(text)
        self._buffer = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HTML_SKIP:
            self._skip += 1
        elif tag in _HTML_BLOCKS:
            self._flush()
            self._blocks += 1
        elif tag == "br":
            self._buffer.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HTML_SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _HTML_BLOCKS:
            self._flush()
            self._blocks = max(0, self._blocks - 1)

    def handle_data(self, data: str) -> None:
        if self._blocks and not self._skip:
            self._buffer.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def _clean_html(raw: str) -> list[str]:
    """Clean HTML: text of <p>, <h1>–<h6> and <li>, entities unescaped, furniture dropped."""
    parser = _HTMLText()
    try:
        parser.feed(raw)
        parser.close()
    except (AssertionError, AttributeError, ValueError):  # html.parser on badly broken markup
        return _clean_text(re.sub(r"<[^<>]*>", " ", raw))
    junk = _SHARE_NAMES | {"read more"}
    return [
        text
        for paragraph in parser.paragraphs
        if paragraph.lower() not in junk
        for text in _clean_block([paragraph])
    ]


_SNIFF_HTML = re.compile(
    r"<(?:p|div|h[1-6]|article|html|body|br|span|li|ul|ol|section|main|!doctype)\b[^>]*>",
    re.IGNORECASE,
)
_SNIFF_MARKDOWN = (
    re.compile(r"^\s{0,3}#{1,6}\s+\S", re.MULTILINE),
    re.compile(r"\[[^\[\]\n]+\]\([^()\s]+\)"),
)


def sniff_format(raw: str) -> str:
    """Guess "html", "markdown" or "text" from the markup present (link addresses are not HTML)."""
    if _SNIFF_HTML.search(raw):
        return "html"
    if any(pattern.search(raw) for pattern in _SNIFF_MARKDOWN):
        return "markdown"
    return "text"


def clean_article(raw: str, fmt: str | None = None) -> list[str]:
    """Clean a pasted article into paragraphs, keeping every sentence of the author's verbatim.

    `fmt` is "text", "markdown", "html" or None to sniff. Hard-wrapped lines are unwrapped,
    whitespace runs collapsed, link addresses, share widgets and "Read more" promo boxes
    dropped, and words glued together where a link was removed are separated again.
    """
    if fmt is None:
        fmt = sniff_format(raw)
    if fmt not in FORMATS:
        raise ValueError(f"unknown article format {fmt!r} (expected one of {', '.join(FORMATS)})")
    text = raw.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if fmt == "html":
        return _clean_html(text)
    if fmt == "markdown":
        text = _markdown_to_text(text)
    return _clean_text(text)


def document_from_article(
    raw: str,
    *,
    id: str,
    title: str,
    publication: str,
    date: str | None = None,
    url: str | None = None,
    author: str | None = None,
    fmt: str | None = None,
) -> SourceDocument:
    """Clean `raw` and wrap it with metadata: what `hustings sources import` writes out."""
    return SourceDocument(
        id=id,
        title=title,
        publication=publication,
        date=date,
        url=url,
        author=author,
        paragraphs=tuple(clean_article(raw, fmt)),
    )
