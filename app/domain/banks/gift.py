"""Moodle GIFT import and export.

Import follows Moodle's own parser (``question/format/gift/format.php``) step by step, because
instructors expect a file to mean in Hustings what it means in Moodle: questions are separated by
blank lines, escapes are replaced by placeholders before the structure is read, the question type
is guessed from the answer block exactly as Moodle guesses it, and ``// [id:…]`` and
``// [tag:…]`` comments carry the id and tags as in current Moodle.  What GIFT cannot say and
Moodle can ignore travels in one ``// hustings: {json}`` comment line: an essay's rubric (with
its levels), model answer and word limits, and the misreading labels of a choice question's
options, so that a bank exported and imported again keeps them.  The result is question
mappings in the bank YAML form (``question_banks/README.md``) plus a list of problems: what could
not be imported ("error") and what was imported with a loss ("warning").

Export writes canonical specs (``docs/dev/contracts.md``) as GIFT that Moodle imports, with
Moodle's grade steps, so that Moodle scores multiple response questions the way Hustings does.

Pure module: standard library and PyYAML only, no Flask, no database.  HTML is not sanitised here;
the bank schema applies Hustings' allow-list when the bank is loaded.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from app.domain import question_types
from app.domain.banks.schema import MAX_QUESTIONS_PER_BANK

__all__ = [
    "DIFFICULTIES",
    "PLACEHOLDER_EXPLANATION",
    "SKILLS",
    "GiftImport",
    "GiftProblem",
    "export_gift",
    "export_gift_with_report",
    "gift_to_bank_yaml",
    "parse_gift",
    "slugify",
]

SKILLS = (
    "literal",
    "vocabulary",
    "inference",
    "argument",
    "evidence",
    "rhetoric",
    "perspective",
    "fact-opinion",
    "comparison",
)
DIFFICULTIES = ("easy", "medium", "hard")

ERROR = "error"
WARNING = "warning"

# PHP's trim() strips exactly these; Python's strip() would also eat non-breaking spaces.
_PHP_WS = " \t\n\r\0\x0b"

# Moodle swaps escaped control characters for placeholders ("&&058;" ...) before it reads the
# structure.  We use Unicode noncharacters instead, which never occur in real text (any that do
# are removed first), so a literal "&&058;" in a question stays what it is.
_ESCAPES = {
    ":": "\ufdd0",
    "#": "\ufdd1",
    "=": "\ufdd2",
    "{": "\ufdd3",
    "}": "\ufdd4",
    "~": "\ufdd5",
}
_NEWLINE_PH = "\ufdd6"
_BACKSLASH_PH = "\ufdd7"
_PLACEHOLDERS = re.compile("[\ufdd0-\ufdd7]")

_FORMATS = ("moodle", "html", "plain", "markdown")
# Moodle's $giftanswerweightregex.
_WEIGHT_RE = re.compile(r"%(-*)([0-9]{1,2}\.?[0-9]*)%")
_ID_RE = re.compile(r"\[id:((?:\\\]|[^\]\x00-\x1f\x7f])+)\]")
_TAG_RE = re.compile(r"\[tag:((?:\\\]|[^\]<>\x00-\x1f\x7f])+)\]")
_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")
_MAX_OPTIONS = 26  # the bank validator's limit (option letters a-z)
_BANK_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
_BLANK = "_____"  # what Moodle puts in the stem of a missing-word question
# Banks require an explanation; GIFT's general feedback is optional.  A visible marker to replace.
PLACEHOLDER_EXPLANATION = "To be written: the GIFT file gave no general feedback (####)."

# Moodle accepts only these answer grades on import (question_bank::fraction_options_full()).
_MOODLE_GRADES = (
    1.0, 0.9, 0.8333333, 0.8, 0.75, 0.7, 0.6666667, 0.6, 0.5, 0.4, 0.3333333, 0.3, 0.25, 0.2,
    0.1666667, 0.1428571, 0.125, 0.1111111, 0.1, 0.05, 0.0,
)  # fmt: skip


@dataclass(frozen=True)
class GiftProblem:
    """One problem found while importing or exporting GIFT.

    ``title`` is the Hustings id of the question concerned (the id it got, or would have got),
    so the message reads like the bank loader's ``file:line: question-id: what is wrong``.
    """

    line: int
    title: str | None
    message: str
    severity: str  # "error": question not imported/exported; "warning": done with a loss
    filename: str = "<gift>"

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}: {self.title or '-'}: {self.message}"


@dataclass(frozen=True)
class GiftImport:
    """Questions in bank YAML form, and every problem met on the way."""

    questions: list[dict]
    problems: list[GiftProblem]


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------


@dataclass
class _Text:
    """A text with its Moodle format, after escapes have been resolved."""

    text: str
    format: str


def _escape_pre(text: str) -> str:
    """Moodle's escapedchar_pre: ``\\\\`` is a backslash, ``\\:`` etc. become placeholders."""
    text = text.replace("\\\\", _BACKSLASH_PH)
    for char, placeholder in _ESCAPES.items():
        text = text.replace("\\" + char, placeholder)
    text = text.replace("\\n", _NEWLINE_PH)
    return text.replace(_BACKSLASH_PH, "\\")


def _escape_post(text: str) -> str:
    """Moodle's escapedchar_post: placeholders back to the characters they stand for."""
    for char, placeholder in _ESCAPES.items():
        text = text.replace(placeholder, char)
    return text.replace(_NEWLINE_PH, "\n")


def _with_format(text: str, default: str) -> _Text:
    """Moodle's parse_text_with_format: an optional leading ``[html]`` etc. sets the format."""
    fmt = default
    if text.startswith("["):
        end = text.find("]")
        if end > 0 and text[1:end] in _FORMATS:
            fmt = text[1:end]
            text = text[end + 1 :]
    return _Text(_escape_post(text).strip(_PHP_WS), fmt)


def _comment_split(answer: str, default: str) -> tuple[_Text, _Text]:
    """Moodle's commentparser: ``answer#feedback``."""
    text, _, feedback = answer.partition("#")
    return _with_format(text.strip(_PHP_WS), default), _with_format(
        feedback.strip(_PHP_WS), default
    )


def _answer_weight(answer: str) -> tuple[float | None, str]:
    """A leading ``%50%`` weight as a fraction, and the rest of the answer."""
    match = _WEIGHT_RE.match(answer)
    if not match:
        return None, answer
    weight = float(match.group(2)) / 100
    return (-weight if match.group(1) else weight), answer[match.end() :]


def _render(value: _Text) -> str:
    """Text in a Moodle format → Hustings display text (HTML, sanitised later by the schema).

    Moodle shows line breaks of moodle- and plain-format text, so they become ``<br>``; plain
    text is escaped; Markdown gets a small converter.  HTML is kept as written.
    """
    text = value.text
    if value.format == "html":
        return text
    if value.format == "markdown":
        return _markdown_to_html(text)
    if value.format == "plain":
        text = html.escape(text, quote=False)
    return text.replace("\n", "<br>\n")


_MEDIA = (
    (re.compile(r"<\s*a\b|(?<!!)\[[^\]]+\]\([^)]*\)", re.I), "links"),
    (re.compile(r"<\s*img\b|!\[[^\]]*\]\(", re.I), "images"),
    (re.compile(r"<\s*audio\b", re.I), "audio"),
    (re.compile(r"<\s*video\b", re.I), "video"),
    (re.compile(r"<\s*(?:iframe|object|embed)\b", re.I), "embedded content"),
    (re.compile(r"@@PLUGINFILE@@", re.I), "attached files"),
)
_LIST_ITEM = re.compile(r"([-*+]|\d{1,9}[.)])\s+")
_CODE_SPAN = re.compile(r"`([^`]+)`")
_MD_INLINE = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links: our allow-list has no <a>
    (re.compile(r"\*\*([^\s*](?:[^*]*?[^\s*])?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<!\w)__([^\s_](?:[^_]*?[^\s_])?)__(?!\w)"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w*])\*([^\s*](?:[^*]*?[^\s*])?)\*(?![\w*])"), r"<em>\1</em>"),
    (re.compile(r"(?<!\w)_([^\s_](?:[^_]*?[^\s_])?)_(?!\w)"), r"<em>\1</em>"),
)


def _md_inline(text: str) -> str:
    parts = _CODE_SPAN.split(text)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(f"<code>{html.escape(part, quote=False)}</code>")
            continue
        for pattern, replacement in _MD_INLINE:
            part = pattern.sub(replacement, part)
        out.append(part)
    return "".join(out)


def _markdown_to_html(text: str) -> str:
    """The Markdown GIFT authors use: paragraphs, hard breaks, lists, emphasis, code.

    Moodle trims every line of a GIFT file, so list nesting and trailing-space breaks only
    survive when written with ``\\n``; we accept the same input and keep it simple.
    """
    blocks: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    list_tag = ""

    def flush() -> None:
        nonlocal list_tag
        if paragraph:
            lines = [_md_inline(line.strip()) for line in paragraph]
            joined = ""
            for i, line in enumerate(lines):
                hard = paragraph[i].endswith(("  ", "\\"))
                if hard and line.endswith("\\"):
                    line = line[:-1]
                joined += line + ("" if i == len(lines) - 1 else ("<br>\n" if hard else "\n"))
            blocks.append(joined)
            paragraph.clear()
        if items:
            body = "".join(f"<li>{_md_inline(item)}</li>" for item in items)
            blocks.append(f"<{list_tag}>{body}</{list_tag}>")
            items.clear()
            list_tag = ""

    for line in text.split("\n"):
        stripped = line.strip()
        match = _LIST_ITEM.match(stripped)
        if not stripped:
            flush()
        elif match:
            tag = "ol" if match.group(1)[0].isdigit() else "ul"
            if paragraph or (items and tag != list_tag):
                flush()
            list_tag = tag
            items.append(stripped[match.end() :])
        else:
            if items:
                flush()
            paragraph.append(line)
    flush()
    if len(blocks) == 1 and not blocks[0].startswith(("<ul>", "<ol>")):
        return blocks[0]
    return "".join(
        block if block.startswith(("<ul>", "<ol>")) else f"<p>{block}</p>" for block in blocks
    )


_STRAIGHTEN = str.maketrans(
    {
        "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'",
        "“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "«": '"', "»": '"',
        "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    }
)  # fmt: skip


def _display_key(text: str) -> str:
    """When two display texts count as the same for the bank validator: no tags, case, spacing."""
    return " ".join(re.sub(r"<[^>]*>", "", text).casefold().split())


def _answer_key(text: str) -> str:
    """Hustings' short-answer normalisation (README): NFKC, case folded, straight quotes and
    dashes, no punctuation, single spaces; mirrored here so imports pass the validator."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_STRAIGHTEN)
    kept = [
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or not unicodedata.category(ch).startswith(("P", "C"))
    ]
    return " ".join("".join(kept).split())


def slugify(text: str) -> str:
    """A Hustings id from a GIFT id or title: ``[a-z0-9][a-z0-9._-]*`` (may be empty)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"['’`]", "", text.lower())
    text = re.sub(r"[^a-z0-9._-]+", "-", text)
    text = re.sub(r"-{2,}", "-", text)
    text = re.sub(r"^[^a-z0-9]+", "", text)[:64]
    return text.rstrip("-._")


def _id_and_tags(comments: str) -> tuple[str, list[str]]:
    """Moodle's extract_idnumber_and_tags_from_comment."""
    match = _ID_RE.search(comments)
    idnumber = match.group(1).strip().replace("\\]", "]") if match else ""
    tags = [raw.strip().replace("\\]", "]") for raw in _TAG_RE.findall(comments)]
    return idnumber, [tag for tag in tags if tag]


def _blocks(text: str) -> list[list[tuple[int, str]]]:
    """Split into questions at blank lines, as Moodle's readquestions does; lines are trimmed."""
    text = _PLACEHOLDERS.sub("", text.lstrip("\ufeff"))
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip(_PHP_WS)
        if line:
            current.append((number, line))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


class _Importer:
    """State of one parse: ids handed out so far and the problems found.

    Question types read their answer blocks with its methods (``gift_read``): GIFT's syntax
    helpers are offered here so the types never import this module."""

    MAX_OPTIONS = _MAX_OPTIONS
    strip = staticmethod(lambda text: text.strip(_PHP_WS))
    answer_weight = staticmethod(lambda answer: _answer_weight(answer))
    comment_split = staticmethod(lambda answer, fmt: _comment_split(answer, fmt))
    render = staticmethod(lambda value: _render(value))
    with_format = staticmethod(lambda text, fmt: _with_format(text, fmt))
    display_key = staticmethod(lambda text: _display_key(text))
    answer_key = staticmethod(lambda text: _answer_key(text))
    escape_post = staticmethod(lambda text: _escape_post(text))
    percent = staticmethod(lambda fraction: _percent(fraction))

    def __init__(self, filename: str, default_skill: str, default_difficulty: str) -> None:
        self.filename = filename
        self.default_skill = default_skill
        self.default_difficulty = default_difficulty
        self.questions: list[dict] = []
        self.problems: list[GiftProblem] = []
        self.ids: set[str] = set()
        self.count = 0
        # per question
        self.line = 0
        self.qid = ""
        self.extra: dict[str, Any] = {}  # the `// hustings: {json}` comment

    def problem(self, severity: str, message: str) -> None:
        self.problems.append(GiftProblem(self.line, self.qid, message, severity, self.filename))

    def warn_about_media(self, text: str) -> None:
        """Links and media do not survive the cleaning (the allow-list has none of them): say so,
        because a question about an audio clip or a linked chart becomes unanswerable."""
        found = sorted({word for pattern, word in _MEDIA if pattern.search(text)})
        if found:
            self.problem(
                WARNING,
                f"the question text's {', '.join(found)} will be removed (Hustings shows no links "
                "or media); if the question depends on them, rewrite it before loading",
            )

    def warn(self, message: str) -> None:
        self.problem(WARNING, message)

    def fail(self, message: str) -> None:
        self.problem(ERROR, message)

    def weight_in_range(self, weight: float | None, answer: str) -> bool:
        """Moodle grades run from -100% to 100%; anything else is a typo, not a grade."""
        if weight is None or -1 <= weight <= 1:
            return True
        self.fail(
            f"answer {answer.strip()[:60]!r} has weight {_percent(weight)}%: weights must lie "
            "between -100% and 100%; correct it"
        )
        return False

    def unique_id(self, base: str) -> str:
        candidate, n = base, 1
        while candidate in self.ids:
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    # ---- one question ------------------------------------------------------------------

    def read(self, block: list[tuple[int, str]]) -> None:
        comments = [line for _, line in block if line.startswith("//")]
        body = [" " if line.startswith("//") else line for _, line in block]
        text = "\n".join(body).strip(_PHP_WS)
        if not text:
            return  # only comments
        text = _escape_pre(text)
        if text.startswith("$CATEGORY:"):
            return  # Hustings banks have no categories; the bank is the category
        self.line = next(n for n, line in block if not line.startswith("//"))
        self.count += 1

        name = ""
        if text.startswith("::"):
            end = text.find("::", 2)
            if end >= 0:
                name = _escape_post(text[2:end]).strip(_PHP_WS)
                text = text[end + 2 :].strip(_PHP_WS)
            else:
                text = text[2:]
        idnumber, tags = _id_and_tags("\n".join(comments))
        self.extra = {}
        base = slugify(idnumber) or slugify(name) or f"gift-{self.count}"
        self.qid = self.unique_id(base)

        start, finish = text.find("{"), text.find("}")
        if start < 0 and finish < 0:
            self.warn("description skipped: Hustings has no text-only items")
            return
        if start < 0 or finish < start:
            self.fail(
                "no {…} answer block: a '{' or '}' is missing (escape literal ones as \\{ \\})"
            )
            return
        rest = text[finish + 1 :]
        if "{" in rest or "}" in rest:
            self.fail("more than one {…} answer block: GIFT allows one per question")
            return
        answers = text[start + 1 : finish].strip(_PHP_WS)
        # Moodle: a blank for the missing word unless the answers close the question.
        stem = text[:start] + ("" if text.endswith("}") else _BLANK) + rest

        general = ""
        cut = answers.rfind("####")
        if cut >= 0:
            general = answers[cut + 4 :]
            answers = answers[:cut].strip(_PHP_WS)

        self.warn_about_media(stem)
        prompt = _with_format(stem, "moodle")
        fmt = prompt.format
        question: dict[str, Any] = {
            "id": self.qid,
            "type": "",
            "prompt": _render(prompt),
            "points": 1,
            "skill": self.default_skill,
            "difficulty": self.default_difficulty,
            "evidence": [],
            "explanation": _render(_with_format(general, fmt)) or PLACEHOLDER_EXPLANATION,
        }
        if not question["prompt"].strip():
            self.fail("the question text is empty")
            return
        self.apply_tags(question, tags)
        self.read_extra(comments)
        reader = next((t for t in question_types.gift_readers() if t.gift_matches(answers)), None)
        if reader is None:  # the last reader (short answer) takes any block
            self.fail("this answer block is no question type Hustings reads")
            return
        done = reader.gift_read(self, question, answers, fmt)
        if done:
            self.apply_misreadings(question)
            self.ids.add(self.qid)
            self.questions.append(question)

    def read_extra(self, comments: list[str]) -> None:
        found = [c[len(_EXTRA_PREFIX) :] for c in comments if c.startswith(_EXTRA_PREFIX)]
        if not found:
            return
        try:
            data = json.loads(found[-1])
        except ValueError:
            self.warn("the `// hustings:` comment is not valid JSON; ignored")
            return
        if not isinstance(data, dict):
            self.warn("the `// hustings:` comment must hold a JSON object; ignored")
            return
        self.extra = data

    def apply_misreadings(self, question: dict[str, Any]) -> None:
        labels = self.extra.get("misreadings")
        options = question.get("options")
        if labels is None or not options:
            return
        if not isinstance(labels, list) or len(labels) != len(options):
            self.warn("misreading labels ignored: they do not match the answers one for one")
            return
        for option, label in zip(options, labels, strict=True):
            if isinstance(label, str) and label:
                option["misreading"] = label

    def apply_tags(self, question: dict[str, Any], tags: list[str]) -> None:
        seen_skill = seen_difficulty = False
        for tag in tags:
            value = tag.lower()
            if value in SKILLS and not seen_skill:
                question["skill"], seen_skill = value, True
            elif value in DIFFICULTIES and not seen_difficulty:
                question["difficulty"], seen_difficulty = value, True
            else:
                self.warn(f"tag {tag!r} ignored: not a Hustings reading skill or difficulty")


def parse_gift(
    text: str,
    *,
    filename: str = "<gift>",
    default_skill: str = "literal",
    default_difficulty: str = "medium",
) -> GiftImport:
    """Read a GIFT file into bank-form questions; never raises on bad GIFT, reports instead."""
    if default_skill not in SKILLS:
        raise ValueError(f"unknown skill {default_skill!r}")
    if default_difficulty not in DIFFICULTIES:
        raise ValueError(f"unknown difficulty {default_difficulty!r}")
    importer = _Importer(filename, default_skill, default_difficulty)
    for block in _blocks(text):
        importer.qid = ""
        importer.line = block[0][0]
        importer.read(block)
    if len(importer.questions) > MAX_QUESTIONS_PER_BANK:
        # Refused before the (slow) conversion to a bank: a bank holds at most this many.
        problem = GiftProblem(
            1,
            None,
            f"the file has {len(importer.questions):,} questions; a bank holds at most "
            f"{MAX_QUESTIONS_PER_BANK}: split the file",
            ERROR,
            filename,
        )
        return GiftImport([], [problem])
    placeholders = sum(q["explanation"] == PLACEHOLDER_EXPLANATION for q in importer.questions)
    if placeholders:
        importer.problems.append(
            GiftProblem(
                1,
                None,
                f"{placeholders} question(s) had no general feedback (####): their explanation "
                f"is the placeholder {PLACEHOLDER_EXPLANATION!r}; write one",
                WARNING,
                filename,
            )
        )
    return GiftImport(importer.questions, importer.problems)


# --------------------------------------------------------------------------------------------
# Bank YAML
# --------------------------------------------------------------------------------------------


class _Quoted(str):
    """A string the YAML dumper must double-quote (bank values: 'No' and '12:30' stay text)."""


class _BankDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # banks reject anchors and aliases


_BankDumper.add_representer(
    _Quoted, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, '"')
)


def _quote_values(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _quote_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_quote_values(v) for v in value]
    if isinstance(value, str):
        return _Quoted(value)
    return value


_EXTRA_PREFIX = "// hustings: "


def _extra_comment(spec: dict) -> str | None:
    """The `// hustings: {json}` line for what GIFT cannot say, or None when nothing is left."""
    qtype = question_types.TYPES.get(spec.get("type"))  # type: ignore[arg-type]
    extra = getattr(qtype, "gift_extra", None)
    data: dict[str, Any] = dict(extra(spec)) if extra else {}
    labels = [o.get("misreading") for o in spec.get("options") or ()]
    if any(labels):
        data["misreadings"] = labels
    if not data:
        return None
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # JSON leaves U+2028/U+2029 raw, and a reader splitting lines would cut the comment there.
    return _EXTRA_PREFIX + text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _comment_safe(text: str) -> str:
    """One line of printable text: YAML refuses a stream with control characters anywhere."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


def gift_to_bank_yaml(
    result: GiftImport,
    *,
    bank_id: str,
    title: str,
    sources: Sequence[dict] | None = None,
) -> str:
    """A bank file (format version 1) holding the imported questions, problems as comments.

    Every string is double-quoted so that YAML never turns an answer like ``No`` into a bool.
    The questions cite no evidence (GIFT has none): the bank linter will say so.
    """
    if not _BANK_ID_PATTERN.match(bank_id):
        raise ValueError(f"bank id {bank_id!r} must be lower-case letters, digits, - and _")
    document = {
        "version": 1,
        "bank": {"id": bank_id, "title": title},
        "sources": list(sources or []),
        "questions": result.questions,
    }
    body = yaml.dump(
        _quote_values(document),
        Dumper=_BankDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    header = ["# Imported from Moodle GIFT by Hustings."]
    if result.problems:
        header.append("# Import problems (errors were not imported):")
        header += ["#   " + _comment_safe(f"{p.severity}: {p}") for p in result.problems]
    return "\n".join(header) + "\n" + body


# --------------------------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------------------------


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.5f}".rstrip("0").rstrip(".")


def _moodle_grade_ok(fraction: float) -> bool:
    return any(abs(abs(fraction) - grade) < 1e-5 for grade in _MOODLE_GRADES)


def _repchar(text: str) -> str:
    """Moodle's repchar: escape GIFT's control characters, newlines as ``\\n``."""
    text = text.replace("\\", "\\\\")
    for char in "#=~{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\r", "").replace("\n", "\\n")


def _gift_text(text: str, *, answer: bool = False, arrow: bool = False) -> str:
    """An HTML text written in a question whose format is [html].

    A leading '[' would be read as a format and a leading '%' (in an answer) as a weight, so such
    texts get an explicit ``[html]``.  In matching and short-answer blocks '->' would change the
    question type; HTML shows '-&gt;' identically.
    """
    text = text.strip()
    if arrow:
        text = text.replace("->", "-&gt;")
    prefix = "[html]" if text.startswith("[") or (answer and text.startswith("%")) else ""
    return prefix + _repchar(text)


class _Exporter:
    """Writes questions; each type writes its answer block with these helpers (``gift_write``)."""

    text = staticmethod(_gift_text)
    repchar = staticmethod(_repchar)
    feedback = staticmethod(lambda item, arrow=False: _feedback(item, arrow))
    percent = staticmethod(_percent)
    grade_ok = staticmethod(_moodle_grade_ok)

    def __init__(self) -> None:
        self.lines: list[str] = ["// Exported from Hustings.", ""]
        self.problems: list[GiftProblem] = []

    def report(self, line: int, spec: dict, severity: str, message: str) -> None:
        self.problems.append(GiftProblem(line, spec.get("id"), message, severity))

    def warn(self, line: int, spec: dict, message: str) -> None:
        self.report(line, spec, WARNING, message)

    def write(self, spec: dict) -> None:
        qtype = spec.get("type")
        qid = str(spec.get("id", ""))
        line = len(self.lines) + 1
        kind = question_types.TYPES.get(qtype)  # type: ignore[arg-type]
        body = kind.gift_write(self, spec, line) if kind is not None else None
        if body is None:
            self.lines += [f"// Hustings: {qtype} question {qid} cannot be expressed in GIFT", ""]
            self.report(line, spec, ERROR, f"{qtype} questions cannot be expressed in GIFT")
            return
        escaped_id = qid.replace("]", "\\]")
        head = [f"// [id:{escaped_id}]"]
        tags = [t for t in (spec.get("skill"), spec.get("difficulty")) if t]
        if tags:
            head.append("// " + " ".join(f"[tag:{tag}]" for tag in tags))
        extra = _extra_comment(spec)
        if extra:
            head.append(extra)
        stem = f"::{_repchar(qid)}::[html]{_repchar(str(spec.get('prompt', '')).strip())}"
        explanation = str(spec.get("explanation") or "").strip()
        general = f"####{_gift_text(explanation)}" if explanation else ""
        if isinstance(body, str):
            self.lines += [*head, stem + "{" + body + general + "}", ""]
        else:
            lines = [f"\t{item}" for item in body] + ([f"\t{general}"] if general else [])
            self.lines += [*head, stem + "{", *lines, "}", ""]
        self.report_losses(spec, line, kind.gift_losses(spec))

    def report_losses(self, spec: dict, line: int, lost_by_type: list[str]) -> None:
        lost = []
        points = spec.get("points", 1)
        if points != 1:
            lost.append(f"points ({points:g}; Moodle gives 1)")
        if spec.get("evidence"):
            lost.append("evidence references")
        if spec.get("source"):
            lost.append("source")
        for key in ("feedback_correct", "feedback_partial"):
            if spec.get(key):
                lost.append(key)
        lost += lost_by_type
        # An essay's rubric, model answer and word limits travel in the `// hustings:` comment
        # (Moodle ignores it), and so do misreading labels: nothing lost for Hustings.
        if lost:
            self.report(line, spec, WARNING, "not expressible in GIFT, dropped: " + ", ".join(lost))


def _feedback(item: dict, arrow: bool = False) -> str:
    feedback = str(item.get("feedback") or "").strip()
    return "#" + _gift_text(feedback, arrow=arrow) if feedback else ""


def export_gift_with_report(
    specs: Iterable[dict], *, category: str | None = None
) -> tuple[str, list[GiftProblem]]:
    """GIFT text for canonical specs, and what could not be written (line = line in the text)."""
    exporter = _Exporter()
    if category:
        exporter.lines += [f"$CATEGORY: {' '.join(category.split())}", ""]
    for spec in specs:
        exporter.write(spec)
    return "\n".join(exporter.lines).rstrip("\n") + "\n", exporter.problems


def export_gift(specs: Iterable[dict], *, category: str | None = None) -> str:
    """GIFT text for canonical specs that Moodle imports; see export_gift_with_report."""
    return export_gift_with_report(specs, category=category)[0]
