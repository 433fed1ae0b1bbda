"""Articles from saved web pages: the article's paragraphs, what was left out, and the metadata.

Telling an article from the rest of a news page (menus, cookie banners, comments, teasers of
other stories) is done by trafilatura, a maintained extraction library. Hustings adds what its
own use needs on top:

- paragraph structure: text separated by ``<br>`` is split where a sentence ends, so
  "paragraph 4" means what the author's fourth paragraph is;
- a second pass over trafilatura's output for the clutter it keeps by default (captions and
  photo credits, bylines, "Read more" promos, newsletter and subscription boxes, the headline
  repeated as the first paragraph), each moved to the list of removed blocks with a reason;
- the removed blocks of the page, in page order, with the paragraph they stood after, so that
  the review step can put one back where it was;
- warnings instead of silence when the result is short compared with the page's prose, or looks
  like a caption or a menu rather than an article.

When trafilatura finds nothing, Hustings' own cleaner (app.domain.banks.articles) reads the page
and a
warning says so. Pure: no Flask, no database.
"""

from __future__ import annotations

import codecs
import re
import statistics
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import lxml.html
import trafilatura
from lxml import etree

from app.domain.banks.articles import clean_article, split_sentences
from app.domain.text import find_problem

__all__ = [
    "MAX_PAGE_BYTES",
    "Extraction",
    "PageDecodeError",
    "RemovedBlock",
    "decode_page",
    "extract_article",
]

MAX_PAGE_BYTES = 5 * 1024 * 1024  # saved news pages run to 1.5 MB; leave room for heavy ones
MAX_REMOVED_BLOCKS = 150
MIN_REMOVED_WORDS = 4  # shorter page text (menu items, buttons) is not worth listing
_TERMINAL = re.compile(r"[.!?…][”’\"')\]]*\Z")
_OPENERS = "“‘\"'(["


@dataclass(frozen=True)
class RemovedBlock:
    """A block of page text that is not in the article; ``after`` paragraphs precede it."""

    text: str
    reason: str
    after: int


@dataclass(frozen=True)
class PageMetadata:
    """What the page says about itself; None where it says nothing (nothing is guessed)."""

    title: str | None = None
    author: str | None = None
    publication: str | None = None
    date: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Extraction:
    """The article's paragraphs, the blocks left out, the page's metadata, and any warnings."""

    paragraphs: tuple[str, ...]
    removed: tuple[RemovedBlock, ...] = ()
    metadata: PageMetadata = field(default_factory=PageMetadata)
    warnings: tuple[str, ...] = ()
    page_words: int = 0
    method: str = "trafilatura"

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


class PageDecodeError(ValueError):
    """Bytes that are not text in the encoding they declare (or UTF-8 when they declare none)."""


# --------------------------------------------------------------------------- decoding

_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE
)


def decode_page(data: bytes, what: str = "The file") -> str:
    """The text of a saved page: BOM, then UTF-8, then the charset the page declares.

    Pages saved by browsers are UTF-8 or declare their encoding in a ``<meta>`` tag; bytes that
    are neither are refused with the byte and line that cannot be read, rather than guessed.
    """
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise _decode_error(data, exc, encoding, what) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        declared = _META_CHARSET.search(data[:8192])
        if declared is None:
            raise _decode_error(data, utf8_error, "utf-8", what) from None
        name = declared.group(1).decode("ascii", "replace").lower()
        try:
            codec = codecs.lookup(name)
        except LookupError:
            raise PageDecodeError(
                f"{what} declares the character set {name!r}, which Hustings does not know. "
                "Save the page as UTF-8 and try again."
            ) from None
        if codec.name == "utf-8":
            raise _decode_error(data, utf8_error, "utf-8", what) from None
        if codec.name in ("latin-1", "iso8859-1", "ascii"):
            codec = codecs.lookup("cp1252")  # what browsers read for these labels (WHATWG)
        try:
            return data.decode(codec.name)
        except UnicodeDecodeError as exc:
            raise _decode_error(data, exc, codec.name, what) from None


def _decode_error(
    data: bytes, exc: UnicodeDecodeError, encoding: str, what: str
) -> PageDecodeError:
    line = data.count(b"\n", 0, exc.start) + 1
    return PageDecodeError(
        f"{what} is not {encoding.upper()} text (byte {exc.start + 1}, line {line} cannot be "
        "read). Save it as UTF-8 and try again."
    )


# --------------------------------------------------------------------------- page text

_SKIP_TAGS = frozenset(
    {
        "head",
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "math",
        "iframe",
        "object",
        "canvas",
        "video",
        "audio",
        "select",
        "option",
        "textarea",
        "button",
        "input",
    }
)
_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    }
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _space(text: str) -> str:
    return " ".join(text.split())


def _hidden(element: etree._Element) -> bool:
    return (
        element.get("hidden") is not None
        or element.get("aria-hidden") == "true"
        or bool(_HIDDEN_STYLE.search(element.get("style") or ""))
    )


_FURNITURE_TAGS = frozenset({"nav", "aside", "footer", "form", "header"})
_FURNITURE_MARKS = re.compile(
    r"comment|reply|replies|related|recommend|sidebar|footer|\bnav|menu|newsletter|promo|"
    r"teaser|consent|cookie|popular|most-read|trending|share|social|subscribe|paywall|regwall|"
    r"advert|\bad-|gallery|slide",
    re.IGNORECASE,
)


def page_blocks(root: etree._Element) -> tuple[list[str], list[bool]]:
    """The visible text of a page as blocks in page order (block elements and ``<br>`` split).

    Also, for each block, whether it sits in what the page marks as furniture (navigation,
    comments, related stories, promotions: by tag, class or id), so that the prose a page
    holds can be counted without its comment threads.
    """
    blocks: list[str] = []
    furniture: list[bool] = []
    buffer: list[str] = []
    depth = 0  # open elements marked as furniture

    def flush() -> None:
        text = _space("".join(buffer))
        if text:
            blocks.append(text)
            furniture.append(depth > 0)
        buffer.clear()

    def marked(element: etree._Element, tag: str) -> bool:
        if tag in _FURNITURE_TAGS:
            return True
        marks = f"{element.get('class') or ''} {element.get('id') or ''}"
        return bool(marks.strip()) and bool(_FURNITURE_MARKS.search(marks))

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag.lower() if isinstance(element.tag, str) else None
        if event == "start":
            if tag is None or tag in _SKIP_TAGS or _hidden(element):
                walker.skip_subtree()  # no "end" event follows: take the tail here
                if tag is not None and (tag in _BLOCK_TAGS or tag == "br"):
                    flush()
                buffer.append(element.tail or "")
                continue
            if tag in _BLOCK_TAGS or tag == "br":
                flush()
            if marked(element, tag):
                element.set("data-hustings-furniture", "1")
                depth += 1
            buffer.append(element.text or "")
        else:
            if tag is not None and tag in _BLOCK_TAGS:
                flush()
            if element.attrib.pop("data-hustings-furniture", None):
                flush()
                depth -= 1
            buffer.append(element.tail or "")
    flush()
    return blocks, furniture


# --------------------------------------------------------------------------- trafilatura output


def _segments(element: etree._Element) -> list[tuple[str, int]]:
    """Text pieces of an extracted element, each with the number of line breaks before it."""
    pieces: list[tuple[str, int]] = []
    current: list[str] = []
    breaks = 0

    def walk(node: etree._Element) -> None:
        nonlocal breaks
        current.append(node.text or "")
        for child in node:
            if child.tag == "lb":
                text = _space("".join(current))
                if text:
                    pieces.append((text, breaks))
                    breaks = 0
                current.clear()
                breaks += 1
            else:
                walk(child)
            current.append(child.tail or "")

    walk(element)
    text = _space("".join(current))
    if text:
        pieces.append((text, breaks))
    return pieces


def _join_lines(pieces: list[tuple[str, int]]) -> list[str]:
    """Paragraphs from ``<br>``-separated pieces.

    A line break is an author's choice in HTML, so each one separates paragraphs, except where
    the next line plainly continues the sentence (it starts in lower case, or the line before
    ends with a comma, a semicolon or a dash).
    """
    paragraphs: list[str] = []
    for text, breaks in pieces:
        if paragraphs and breaks < 2:
            previous = paragraphs[-1]
            continues = text[0].islower() or previous[-1] in ",;–—-"
            if breaks == 0 or continues:
                paragraphs[-1] = f"{previous} {text}"
                continue
        paragraphs.append(text)
    return paragraphs


def _body_paragraphs(body: etree._Element) -> Iterator[tuple[str, str]]:
    """(kind, text) for each paragraph of trafilatura's XML body, in order."""
    for element in body:
        tag = element.tag
        if tag == "list":
            for item in element.iter("item"):
                for text in _join_lines(_segments(item)):
                    yield "item", text
        elif tag == "quote":
            children = [c for c in element if c.tag in ("p", "list", "head")]
            if children:
                yield from _body_paragraphs(element)
            else:
                for text in _join_lines(_segments(element)):
                    yield "quote", text
        elif tag in ("p", "head"):
            for text in _join_lines(_segments(element)):
                yield ("head" if tag == "head" else "p"), text
        elif tag in ("table", "graphic", "code"):
            continue
        else:
            for text in _join_lines(_segments(element)):
                yield "p", text


# --------------------------------------------------------------------------- clutter

_SHARE_WORDS = frozenset(
    {
        "share",
        "facebook",
        "twitter",
        "x",
        "pinterest",
        "linkedin",
        "whatsapp",
        "email",
        "messenger",
        "reddit",
        "telegram",
        "copy",
        "link",
        "print",
        "bluesky",
        "threads",
        "on",
        "this",
        "article",
        "via",
    }
)
_PROMO = re.compile(
    r"(?:read|see|watch|listen)(?: more| next| also)?\s*[:|–—-]|read more\b|related(?: stories| "
    r"articles| content| coverage| topics)?\s*[:|–—-]|see also\b|more on this story\b|most "
    r"(?:read|viewed|popular)\b|recommended(?: for you| stories| reading)?\b|you may also "
    r"like\b|you might also like\b|also read\b|more from\b|top stories\b|editor'?s picks?\b|"
    r"explore more on these topics\b|more stories\b|don'?t miss\b|trending\b|live updates?\s*:",
    re.IGNORECASE,
)
_FURNITURE = re.compile(
    r"(?:sign up|subscribe|get (?:our|the) |join (?:our|the) |our (?:morning|evening|daily|"
    r"weekly) (?:email|newsletter|briefing)|newsletter|privacy (?:notice|policy)|we use cookies|"
    r"(?:accept|manage|reject) (?:all )?cookies|cookie (?:settings|preferences)|follow us\b|"
    r"share (?:this|on|via)\b|copy link\b|advertisement\b|skip advert|listen to this article|"
    r"download (?:the|our) app|support (?:our|us|independent)|this article is more than|"
    r"reuse this content|comments?\s*\(\d+\)|show comments|sign in to comment|"
    r"(?:reporting|additional reporting|editing|writing) by\b|our standards\s*:|"
    r"thank you for (?:reading|registering)|already a subscriber|create (?:a|your) free account|"
    r"log ?in|register (?:to|with|for|now)\b|printer-friendly|print this|"
    r"email this (?:story|article|page))",
    re.IGNORECASE,
)
_CAPTION = re.compile(
    r"(?:\b(?:photograph|photo|picture|image|illustration|video|composite|graphic|credit|"
    r"image source|image caption|media caption)s?\s*:)|"
    r"\A(?:image|media) (?:source|caption)\s*,|(?:[(/]\s*(?:getty(?: images)?|reuters|"
    r"ap|afp|epa|pa(?: media| wire)?|shutterstock|alamy|bloomberg|dpa|anadolu)(?:\s+via\s+\S+)?"
    r"\s*\)?\s*\Z)|\A©",
    re.IGNORECASE,
)
_BYLINE = re.compile(
    r"\A(?:by\s+[A-Z]|(?:published|updated|last updated|posted|first published|modified)\b|"
    r"\d+\s*min(?:ute)?s?\s+read\b)|\b\d+\s*min(?:ute)?s?\s+read\Z",
    re.IGNORECASE,
)
_ROLE = re.compile(
    r"\b(?:reporter|correspondent|editor|columnist|staff writer|contributor|"
    r"contributing writer|bureau chief)s?\b",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(r"\A[—–-]+\s*\S+(?:\s+\S+){0,4}\Z")
_INBOX = re.compile(r"\b(?:in|to) your inbox\b", re.IGNORECASE)
_GALLERY = re.compile(
    r"\A(?:\d+\s*(?:/|of)\s*\d+|slide \d+|image \d+ of \d+)\b|\bin pictures\Z|"
    r"\A(?:photo|picture|image) gallery\b",
    re.IGNORECASE,
)
_MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|"
    "july|august|september|october|november|december"
)
_DATELINE = re.compile(
    rf"\A(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?(?:\d{{1,2}}\s+(?:{_MONTHS})\.?,?\s+\d{{4}}|"
    rf"(?:{_MONTHS})\.?\s+\d{{1,2}},?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})"
    r"(?:[\s,]+(?:at\s+)?\d{1,2}[.:]\d{2}\s*(?:am|pm)?\s*(?:[A-Z]{2,4}|utc|gmt|bst|cet)?)?\.?\Z",
    re.IGNORECASE,
)


def clutter_reason(text: str, title: str | None = None, author: str | None = None) -> str | None:
    """Why a paragraph of the extraction is not the author's text, or None when it is.

    Only short paragraphs are judged (a caption or a promo is a line or two), so a long
    paragraph that mentions a newsletter or a photograph is never dropped.
    """
    words = text.split()
    if title and _space(text).casefold() == _space(title).casefold():
        return "headline"
    if len(words) > 45:
        return None
    if all(word.strip(":|·•,").lower() in _SHARE_WORDS for word in words):
        return "share buttons"
    if _CAPTION.search(text) or _GALLERY.search(text):
        return "caption"
    if len(words) > 30:
        return None
    if _DATELINE.match(text):
        return "date line"
    if _PROMO.match(text):
        return "link to another story"
    if (_FURNITURE.match(text) and len(words) <= 20) or (
        len(words) <= 12 and _FURNITURE.search(text)
    ):
        return "page furniture"
    if not _TERMINAL.search(text) and (
        (_BYLINE.search(text) and len(words) <= 14)
        or (_ROLE.search(text) and len(words) <= 8)
        or (author and len(words) <= 10 and text.casefold().startswith(author.casefold()))
    ):
        return "byline"
    if _SIGN_OFF.match(text):
        return "sign-off"
    if _INBOX.search(text):
        return "page furniture"
    return None


# --------------------------------------------------------------------------- extraction


def _fallback_paragraphs(raw: str) -> list[str]:
    return [p for p in clean_article(raw, "html") if p]


def _metadata(document: object | None) -> PageMetadata:
    def value(name: str, limit: int) -> str | None:
        found = getattr(document, name, None) if document is not None else None
        if not isinstance(found, str):
            return None
        text = _space(found)[:limit]
        if not text or find_problem(text, multiline=False) is not None:
            return None  # a control or direction-override character: not a usable value
        return unicodedata.normalize("NFC", text)

    url = value("url", 2000)
    if url and not re.match(r"https?://\S+\Z", url):
        url = None
    date = value("date", 10)
    if date and not re.match(r"\d{4}(?:-\d{2}(?:-\d{2})?)?\Z", date):
        date = None
    return PageMetadata(
        title=value("title", 300),
        author=value("author", 200),
        publication=value("sitename", 200),
        date=date,
        url=url,
    )


def _prose_words(blocks: list[str]) -> int:
    """Words in blocks that read like prose (a sentence or more), not menus or buttons."""
    return sum(
        len(block.split())
        for block in blocks
        if len(block.split()) >= 12 and re.search(r"[.!?…][”’\"')\]]*(?:\s|\Z)", block)
    )


def _warnings(paragraphs: list[str], prose_words: int) -> list[str]:
    words = sum(len(p.split()) for p in paragraphs)
    found = f"{len(paragraphs)} paragraph(s), {words} word(s)"
    warnings: list[str] = []
    if prose_words >= 150 and words < 0.35 * prose_words:
        warnings.append(
            f"Only {found} were found, while the page holds about {prose_words} words of "
            "prose: part of the article may be missing. Check the removed blocks below."
        )
    if paragraphs:
        lengths = [len(p.split()) for p in paragraphs]
        sentences = sum(len(split_sentences(p)) for p in paragraphs)
        if words < 60 or sentences < 3:
            warnings.append(
                f"The result is very short ({found}, {sentences} sentence(s)); it may be a "
                "caption or a teaser rather than the article."
            )
        elif statistics.median(lengths) < 8:
            warnings.append(
                f"Most paragraphs are a few words long ({found}): this looks like a menu or a "
                "list of links rather than an article."
            )
    return warnings


def _place_removed(
    blocks: list[str],
    paragraphs: list[str],
    dropped: list[tuple[int, str, str]],
    metadata: PageMetadata,
) -> list[RemovedBlock]:
    """Page blocks missing from ``paragraphs``, in page order, each after the paragraph it followed.

    Blocks the second pass dropped keep its reason; other page text gets one from
    ``clutter_reason`` where it recognises the kind, else "not part of the article".
    """
    keys = [p.casefold() for p in paragraphs]
    joined = "\n".join(keys)
    pending = {text.casefold(): (after, text, reason) for after, text, reason in dropped}
    removed: list[RemovedBlock] = []
    seen: set[str] = set()
    position = 0  # paragraphs known to precede the current page block
    for block in blocks:
        key = block.casefold()
        if key in pending:
            _after, text, reason = pending.pop(key)
            removed.append(RemovedBlock(text, reason, position))
            seen.add(key)
            continue
        if len(block.split()) < MIN_REMOVED_WORDS:
            continue  # too short to anchor a position or to be worth restoring
        if key in joined:
            for index in range(position, len(keys)):
                if key in keys[index]:
                    position = index + 1
                    break
            continue
        if key in seen or len(removed) >= MAX_REMOVED_BLOCKS:
            if not pending and len(removed) >= MAX_REMOVED_BLOCKS:
                break
            continue
        seen.add(key)
        removed.append(
            RemovedBlock(
                block,
                clutter_reason(block, metadata.title, metadata.author) or "not part of the article",
                position,
            )
        )
    for after, text, reason in pending.values():
        index = next((i for i, r in enumerate(removed) if r.after > after), len(removed))
        removed.insert(index, RemovedBlock(text, reason, after))
    return removed[:MAX_REMOVED_BLOCKS]


def _compact(text: str) -> str:
    return "".join(text.split()).casefold()


def _follow_page_blocks(paragraphs: list[str], blocks: list[str]) -> list[str]:
    """Each paragraph as the page's own blocks when it is a run of them, joined or re-spaced.

    trafilatura's fallback for short or table-laid pages can run several ``<p>`` into one, or
    space inline markup oddly ("the unions ."); the page's blocks have the author's breaks and
    spacing. Lines that continue a sentence (see ``_join_lines``) stay together.
    """
    compact_blocks = [_compact(b) for b in blocks]
    result: list[str] = []
    cursor = 0
    for paragraph in paragraphs:
        target = _compact(paragraph)
        run: list[str] = []
        for start in range(cursor, len(blocks)):
            if not compact_blocks[start] or not target.startswith(compact_blocks[start]):
                continue
            covered, end = "", start
            while end < len(blocks) and target.startswith(covered + compact_blocks[end]):
                covered += compact_blocks[end]
                end += 1
                if covered == target:
                    break
            if covered == target:
                run = blocks[start:end]
                cursor = end
                break
        if not run:
            result.append(paragraph)
            continue
        pieces: list[str] = []
        for text in run:
            if pieces and (text[0].islower() or pieces[-1][-1] in ",;–—-"):
                pieces[-1] = f"{pieces[-1]} {text}"
            else:
                pieces.append(text)
        result.extend(pieces)
    return result


_PULL_QUOTE = re.compile(r"pull-?quote|pullout|pull-out", re.IGNORECASE)
_STANDFIRST = re.compile(
    r"standfirst|\bdek\b|subtitle|sub-?headline|strapline|\bsummary\b|article-description",
    re.IGNORECASE,
)


def _marked_by_the_page(root: etree._Element | None) -> tuple[set[str], set[str]]:
    """Texts the page's own markup marks as pull quotes and as standfirsts (compacted).

    A pull quote repeats a sentence of the article in large type; a standfirst is the
    editor's summary under the headline. Neither is the author's paragraph.
    """
    pull_quotes: set[str] = set()
    standfirsts: set[str] = set()
    if root is None:
        return pull_quotes, standfirsts
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        marks = f"{element.get('class') or ''} {element.get('itemprop') or ''}"
        if not marks.strip():
            continue
        if _PULL_QUOTE.search(marks):
            pull_quotes.add(_compact(element.text_content()))
        elif _STANDFIRST.search(marks):
            standfirsts.add(_compact(element.text_content()))
    for meta in root.xpath(
        "//meta[@name='description' or @property='og:description' or @name='twitter:description']"
    ):
        standfirsts.add(_compact(meta.get("content") or ""))
    pull_quotes.discard("")
    standfirsts.discard("")
    return pull_quotes, standfirsts


def _page_heading(root: etree._Element | None) -> str | None:
    """The page's one ``<h1>`` when its ``<title>`` (or og:title) holds it too.

    trafilatura reads the title from ``<title>``, whose parts ("Opinion | Headline | Site")
    it sometimes splits wrongly; the ``<h1>`` is the headline the page shows.
    """
    if root is None:
        return None
    headings = [_space(h.text_content()) for h in root.xpath("//body//h1")]
    headings = [h for h in headings if h]
    if len(headings) != 1 or len(headings[0].split()) > 30:
        return None
    titles = [_space(t.text_content()) for t in root.xpath("//title")]
    titles += [_space(m.get("content") or "") for m in root.xpath("//meta[@property='og:title']")]
    heading = headings[0]
    if not any(heading.casefold() in t.casefold() for t in titles if t):
        return None
    if find_problem(heading, multiline=False) is not None:
        return None
    return unicodedata.normalize("NFC", heading[:300])


def _leading_headline(paragraphs: list[str], root: etree._Element | None) -> str | None:
    """The first paragraph when it is the page's headline: a short line that the page's
    ``<title>`` or ``<h1>`` holds too (trafilatura keeps it when no ``<h1>`` marks it)."""
    if not paragraphs or root is None:
        return None
    first = paragraphs[0]
    if len(first.split()) > 20 or _TERMINAL.search(first):
        return None
    shown = [_space(t.text_content()) for t in root.xpath("//title|//h1")]
    key = first.casefold()
    return first if any(key in text.casefold() for text in shown if text) else None


def _flatten_layout_tables(root: etree._Element) -> None:
    """Turn tables used for page layout (cells holding paragraphs) into plain blocks.

    Old sites set the whole page in one table; trafilatura then takes the table as a whole,
    menus included. Data tables (cells of plain text) are left alone.
    """
    layout = root.xpath(
        "//table[.//td//br or .//td//p or .//td//div or .//td//table or .//td//font]"
    )
    for table in layout:
        for element in [table, *table.xpath(".//tbody|.//thead|.//tfoot|.//tr|.//td|.//th")]:
            element.tag = "div"


def extract_article(raw: str) -> Extraction:
    """The article of a saved page or pasted HTML, with removed blocks, metadata and warnings."""
    try:
        parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)  # not thread-safe
        root = lxml.html.document_fromstring(raw.encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError):
        root = None
    blocks, furniture = page_blocks(root) if root is not None else ([], [])
    page_words = sum(len(block.split()) for block in blocks)
    document = None
    if root is not None:
        _flatten_layout_tables(root)
        document = trafilatura.bare_extraction(
            root,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            include_formatting=False,
            include_links=False,
            deduplicate=False,
            date_extraction_params={"original_date": True, "extensive_search": False},
        )
    metadata = _metadata(document)
    heading = _page_heading(root)
    if heading is not None and heading != metadata.title:
        metadata = replace(metadata, title=heading)
    body = getattr(document, "body", None)
    found = [text for _kind, text in _body_paragraphs(body)] if body is not None else []
    found = _follow_page_blocks(found, blocks)
    pull_quotes, standfirsts = _marked_by_the_page(root)
    paragraphs: list[str] = []
    dropped: list[tuple[int, str, str]] = []
    for text in found:
        key = _compact(text)
        reason = clutter_reason(text, metadata.title, metadata.author)
        if reason is None and key in pull_quotes:
            reason = "pull quote"
        elif reason is None and key in standfirsts and len(paragraphs) < 2:
            reason = "standfirst"
        if reason is None:
            paragraphs.append(text)
        else:
            dropped.append((len(paragraphs), text, reason))
    headline = _leading_headline(paragraphs, root)
    if headline is not None:
        dropped.insert(0, (0, paragraphs.pop(0), "headline"))
        if heading is None:  # an <h1> names the article better than a line the title holds
            metadata = replace(metadata, title=headline)
    method = "trafilatura"
    notes: list[str] = []
    if not paragraphs:
        paragraphs = _fallback_paragraphs(raw)
        dropped = []
        method = "fallback"
        if paragraphs:
            notes.append(
                "The article could not be told apart from the rest of the page, so every "
                "paragraph of the page was kept: delete what is not the article."
            )
    paragraphs = [_space(p) for p in paragraphs if _space(p)]
    removed = (
        _place_removed(blocks, paragraphs, dropped, metadata) if method == "trafilatura" else []
    )
    article_blocks = [b for b, aside in zip(blocks, furniture, strict=True) if not aside]
    warnings = notes + _warnings(paragraphs, _prose_words(article_blocks))
    return Extraction(
        paragraphs=tuple(paragraphs),
        removed=tuple(removed),
        metadata=metadata,
        warnings=tuple(warnings),
        page_words=page_words,
        method=method,
    )
