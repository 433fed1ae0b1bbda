"""Parse and validate question-bank YAML files (question_banks/README.md) into canonical specs.

Pure (stdlib, yaml, nh3). Bank files are written by hand, so nothing here raises on bad input:
every problem is collected with the file and line it comes from, all at once, and a bank with any
error is not returned, so that callers change nothing. We walk YAML nodes ourselves (instead of
trusting `safe_load` values) to know each value's line and whether YAML silently turned the text
an instructor typed into a boolean, number, date or null.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath
from string import ascii_lowercase
from typing import Any

import nh3
import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from app.domain import question_types
from app.domain.banks.articles import (
    SourceDocument,
    SourceFileError,
    parse_source_file,
    render_source_file,
)
from app.domain.points import MAX_POINTS
from app.domain.question_types.base import normal_text as _normal_text
from app.domain.skills import SKILLS
from app.domain.text import find_problem

FORMAT_VERSION = 1
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 50
MAX_ID_LENGTH = 100
# Size limits (docs: question_banks/README.md): a bigger bank is refused before it is read in
# full, so a checking instructor never holds a worker that students need for long.
MAX_QUESTIONS_PER_BANK = 500
MAX_YAML_VALUES = 50_000  # about 100 per question: the longest bank question has 64
MAX_PROMPT_CHARS = 5_000
MAX_OPTION_CHARS = 1_000
MAX_TEXT_CHARS = 10_000  # any other text value: explanations, feedback, rubric descriptions

DIFFICULTIES = ("easy", "medium", "hard")
QUESTION_TYPES = question_types.NAMES
# The misreadings a distractor may be labelled with (`misreading:` on an option); the dashboard
# counts wrong answers by these labels. Documented in question_banks/README.md.
MISREADINGS: dict[str, str] = {
    "too-literal": "reads a figure of speech literally",
    "over-generalises": "stretches the text's claim beyond what it says",
    "wrong-speaker": "takes someone else's view for the author's (whose view is it?)",
    "reverses-claim": "turns the text's claim into its opposite",
    "outside-knowledge": "answers from outside knowledge, not from the text",
    "half-answer": "gives only part of the answer",
    "fact-opinion": "confuses fact and opinion",
    "wrong-passage": "takes a detail from another part of the text",
}
MAX_EXCLUSION_REASON = 300
ALLOWED_TAGS = frozenset(
    {"em", "strong", "b", "i", "q", "cite", "br", "p", "ul", "ol", "li", "code"}
)

_COMMON_KEYS = (
    "id",
    "type",
    "version",
    "prompt",
    "points",
    "skill",
    "difficulty",
    "evidence",
    "explanation",
    "source",
    "lint_ignore",
    "lint_reason",
    "excludes",
    "feedback_correct",
    "feedback_partial",
    "feedback_wrong",
)
_TYPE_KEYS: dict[str, tuple[str, ...]] = {
    name: t.bank_keys for name, t in question_types.TYPES.items()
}

_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
_QUESTION_ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]*\Z")
_LINT_CODE_RE = re.compile(r"L[0-9]{3}\Z")
_REF_RE = re.compile(
    r"(?:(?P<source>[a-z0-9][a-z0-9_-]*):)?p(?P<p>[1-9][0-9]{0,5})(?:\.s(?P<s>[1-9][0-9]{0,5}))?\Z"
)
# Numbers as YAML 1.2 and JSON read them (PyYAML's YAML 1.1 misses `1e3`, `.5e1`...).
_NUMBER_LIKE = re.compile(r"[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?\Z")
NUMBER_LIKE = _NUMBER_LIKE  # unquoted text the checker refuses as a number (the writer quotes it)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_TAG_NAMES = {
    _NULL: "null (nothing)",
    _BOOL: "a true/false value",
    _INT: "a whole number",
    _FLOAT: "a number",
    "tag:yaml.org,2002:timestamp": "a date/time",
}
_CONSTRUCTOR = SafeConstructor()


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or, for the linter, doubtful) in a bank, printed as `file:line: id: msg`."""

    file: str
    line: int
    question_id: str | None
    message: str
    severity: str = "error"  # "error" or "warning"
    code: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:"
        if self.question_id:
            where += f" {self.question_id}:"
        message = self.message if self.severity == "error" else f"{self.severity}: {self.message}"
        if self.code:
            message += f" [{self.code}]"
        return f"{where} {message}"


@dataclass(frozen=True)
class Question:
    """A validated question; `spec` is the canonical dict of docs/dev/contracts.md."""

    id: str
    type: str
    line: int
    spec: dict[str, Any]
    content_hash: str
    # Items that must not appear in one attempt with this one: (other id, reason). Kept out of
    # `spec` so that declaring an exclusion does not make a new version of the question.
    excludes: tuple[tuple[str, str], ...] = ()
    # The library version this question was written from (`version:`, set by "Download as
    # YAML"); a load refuses to replace a newer library version with it unless forced.
    based_on: int | None = None


@dataclass(frozen=True)
class Bank:
    """A validated bank file. `line` is the line of the `bank:` block (for bank-wide warnings)."""

    id: str
    title: str
    description: str
    path: str
    sources: tuple[SourceDocument, ...]
    questions: tuple[Question, ...]
    lint_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    line: int = 1
    # Why the ignored warnings are fine (`lint_reason`), keyed like `lint_ignores`.
    lint_reasons: dict[str, str] = field(default_factory=dict)


BANK_LEVEL = ""  # key of `Bank.lint_ignores` for ignores set in the `bank:` block


def content_hash(spec: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a spec: equal hashes mean an unchanged question version."""
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def clean_html(text: str) -> str:
    """Keep the README's few inline tags (no attributes); escape or drop everything else."""
    return nh3.clean(
        text.strip(), tags=set(ALLOWED_TAGS), attributes={}, strip_comments=True, link_rel=None
    ).strip()


# --------------------------------------------------------------------------- YAML loading


class _StrictYAMLError(yaml.YAMLError):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases, anchors and explicit tags and bounds nesting depth.

    Aliases enable "billion laughs" blow-ups and tags ask for objects we never want; depth is
    checked as nodes are composed, so a pathological file fails fast instead of recursing.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._values = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise _StrictYAMLError(
                f"YAML aliases (*{event.anchor}) are not allowed; write the value out", line
            )
        if getattr(event, "anchor", None) is not None:
            raise _StrictYAMLError(
                f"YAML anchors (&{event.anchor}) are not allowed; write each value out", line
            )
        tag = getattr(event, "tag", None)
        if tag is not None:
            raise _StrictYAMLError(
                f"YAML tags ({tag}) are not allowed; write plain values (quote text)", line
            )
        self._depth += 1
        self._values += 1
        if self._values > MAX_YAML_VALUES:
            raise _StrictYAMLError(
                f"the file holds more than {MAX_YAML_VALUES:,} values; a bank holds at most "
                f"{MAX_QUESTIONS_PER_BANK} questions: split it into several banks",
                line,
            )
        try:
            if self._depth > MAX_DEPTH:
                raise _StrictYAMLError(f"the file is nested deeper than {MAX_DEPTH} levels", line)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _too_many(count: int) -> str:
    return (
        f"`questions` has {count:,} entries; a bank holds at most {MAX_QUESTIONS_PER_BANK}: "
        "split it into several banks"
    )


_QUESTIONS_KEY = re.compile(r"^questions[ \t]*:([^\n]*)", re.MULTILINE)
_ITEM = re.compile(r"^([ \t]*)-(?:[ \t]|$)", re.MULTILINE)
_TOP_LEVEL = re.compile(r"^[^\s#-]", re.MULTILINE)
_TYPE_KEY = re.compile(r"[\s{,]type[ \t]*:")


def _count_questions_quickly(text: str) -> tuple[int, int] | None:
    """(line of `questions:`, number of questions), read from the text alone.

    Composing YAML costs about a millisecond per question; counting lines costs microseconds,
    so an oversized bank is refused before it is composed. A block list counts its items at the
    first item's indentation; a flow list (`questions: [{id: q1, type: single, …}, …]`) counts
    `type:` keys. Other layouts give None and meet the value limit while composing.
    """
    key = _QUESTIONS_KEY.search(text)
    if key is None:
        return None
    line = text.count("\n", 0, key.start()) + 1
    rest = key.group(1).strip()
    if rest and not rest.startswith("#"):
        return line, len(_TYPE_KEY.findall(text, key.start(1)))
    end = _TOP_LEVEL.search(text, key.end())
    items = _ITEM.findall(text, key.end(), end.start() if end else len(text))
    if not items:
        return None
    return line, sum(1 for indent in items if indent == items[0])


def _compose(text: str) -> tuple[Node | None, tuple[int, str] | None]:
    """Return (root node, None), or (None, (line, message)) when YAML cannot be read safely."""
    try:
        return yaml.compose(text, Loader=_StrictLoader), None
    except _StrictYAMLError as exc:
        return None, (exc.line, exc.message)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        detail = ", ".join(part for part in (exc.context, exc.problem) if part)
        return None, (line, f"YAML syntax error: {detail or exc}")
    except yaml.YAMLError as exc:  # ReaderError: a character YAML does not allow
        position = getattr(exc, "position", None)
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else 1
        reason = getattr(exc, "reason", None) or "unreadable text"
        return None, (line, f"YAML cannot read this file: {reason}")
    except RecursionError:
        return None, (1, f"the file is nested too deeply (more than {MAX_DEPTH} levels)")


def _line(node: Node) -> int:
    return node.start_mark.line + 1


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag == _STR:
        return "text"
    return _TAG_NAMES.get(node.tag, "a value")


def _provisional_id(node: Node) -> str | None:
    """The question's id if it is well formed, so early problems can already name it."""
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if (
                isinstance(key, ScalarNode)
                and key.value == "id"
                and isinstance(value, ScalarNode)
                and value.tag == _STR
                and _QUESTION_ID_RE.match(value.value)
            ):
                return value.value
    return None


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean `{match[0]}`?" if match else ""


# --------------------------------------------------------------------------- the checker


@dataclass
class _Meta:
    bank_line: int = 1
    source_lines: dict[str, int] = field(default_factory=dict)
    question_lines: dict[str, int] = field(default_factory=dict)


class _Checker:
    """Walks one bank's node tree, collecting problems and building canonical specs."""

    def __init__(
        self,
        filename: str,
        base_dir: Path | None,
        known_sources: Mapping[str, SourceDocument] | None = None,
    ) -> None:
        self.filename = filename
        self.base_dir = base_dir
        self.known_sources = known_sources
        self.problems: list[Problem] = []
        self.qid: str | None = None
        self.bank_ignores: tuple[str, ...] = ()
        self.last_lint_reason = ""
        self.bank_lint_reason = ""
        self.sources: dict[str, SourceDocument] = {}
        self.broken_sources: set[str] = set()
        self.meta = _Meta()

    # -- reporting

    def error(self, where: Node | int, message: str) -> None:
        line = where if isinstance(where, int) else _line(where)
        self.problems.append(Problem(self.filename, line, self.qid, message))

    # -- structure

    def mapping(self, node: Node, what: str) -> dict[str, tuple[Node, Node]] | None:
        if not isinstance(node, MappingNode):
            self.error(node, f"{what} must be a mapping of `key: value` lines, not {_kind(node)}")
            return None
        fields: dict[str, tuple[Node, Node]] = {}
        for key, value in node.value:
            if not (isinstance(key, ScalarNode) and key.tag == _STR):
                shown = f" `{key.value}`" if isinstance(key, ScalarNode) else ""
                self.error(key, f"keys must be plain names; {_kind(key)}{shown} is not one")
                continue
            if key.value in fields:
                first = _line(fields[key.value][0])
                self.error(key, f"duplicate key `{key.value}` (first given on line {first})")
                continue
            fields[key.value] = (key, value)
        return fields

    def check_keys(
        self,
        fields: dict[str, tuple[Node, Node]],
        allowed: Iterable[str],
        what: str,
        elsewhere: dict[str, str] | None = None,
    ) -> None:
        allowed = tuple(allowed)
        for name, (key, _value) in fields.items():
            if name in allowed:
                continue
            if elsewhere and name in elsewhere:
                self.error(key, f"`{name}` is not used in {what} ({elsewhere[name]})")
            else:
                self.error(key, f"unknown key `{name}` in {what}{_did_you_mean(name, allowed)}")

    def require(
        self, fields: dict[str, tuple[Node, Node]], name: str, parent: Node, what: str
    ) -> Node | None:
        if name in fields:
            return fields[name][1]
        self.error(parent, f"{what} is missing `{name}`")
        return None

    def sequence(
        self, node: Node, name: str, minimum: int = 0, key: Node | None = None
    ) -> list[Node] | None:
        """A list value; problems about the list as a whole are reported at its key's line."""
        where = key if key is not None else node
        if isinstance(node, ScalarNode) and node.tag == _NULL and minimum == 0:
            return []
        if not isinstance(node, SequenceNode):
            self.error(where, f"`{name}` must be a list, not {_kind(node)}")
            return None
        if len(node.value) < minimum:
            self.error(
                where, f"`{name}` needs at least {minimum} entries (found {len(node.value)})"
            )
        return list(node.value)

    # -- scalars

    def text(
        self, node: Node, name: str, *, nullable: bool = False, empty_ok: bool = False
    ) -> str | None:
        """A string value; unquoted values YAML reads as something else get a quoting hint."""
        if not isinstance(node, ScalarNode):
            self.error(node, f"`{name}` must be text, not {_kind(node)}")
            return None
        if node.tag == _NULL and (nullable or (node.value == "" and empty_ok)):
            return None
        if node.tag == _STR and not (node.style is None and _NUMBER_LIKE.match(node.value)):
            if not empty_ok and not node.value.strip():
                self.error(node, f"`{name}` is empty")
                return None
            return self.acceptable(node, name, node.value)
        if node.tag == _NULL and node.value == "":
            self.error(node, f"`{name}` has no value")
            return None
        reads_as = _TAG_NAMES.get(node.tag, "a number")
        quote = node.value.replace('"', '\\"')
        self.error(
            node,
            f"`{name}` must be text, but YAML reads the unquoted `{node.value}` as {reads_as}; "
            f'put it in quotes: "{quote}"',
        )
        return None

    def acceptable(self, node: Node, name: str, value: str) -> str | None:
        """NFC text without control or bidi-override characters, within the length limit."""
        problem = find_problem(value)
        if problem is not None:
            where = f" (line {problem.line} of the value)" if problem.line > 1 else ""
            self.error(
                node,
                f"`{name}` contains {problem.describe()} at column {problem.column}{where}; "
                "remove it (invisible characters make text read differently than it shows)",
            )
            return None
        if len(value) > MAX_TEXT_CHARS:
            self.error(node, f"`{name}` is {len(value):,} characters; at most {MAX_TEXT_CHARS:,}")
            return None
        return unicodedata.normalize("NFC", value)

    def capped(self, node: Node | None, name: str, value: str | None, limit: int) -> str | None:
        if value is not None and node is not None and len(value) > limit:
            self.error(
                node, f"`{name}` is {len(value):,} characters; at most {limit:,}: shorten it"
            )
            return None
        return value

    def html(self, node: Node, name: str, *, empty_ok: bool = False) -> str | None:
        value = self.text(node, name, empty_ok=empty_ok)
        if value is None:
            return "" if empty_ok and isinstance(node, ScalarNode) and node.tag == _NULL else None
        cleaned = clean_html(value)
        if not cleaned and not empty_ok:
            self.error(node, f"`{name}` is empty once disallowed HTML is removed")
            return None
        return cleaned

    def optional_html(self, fields: dict[str, tuple[Node, Node]], name: str) -> str:
        if name not in fields:
            return ""
        return self.html(fields[name][1], name, empty_ok=True) or ""

    def boolean(self, node: Node, name: str) -> bool | None:
        if isinstance(node, ScalarNode) and node.tag == _BOOL:
            return bool(_CONSTRUCTOR.construct_yaml_bool(node))
        self.error(node, f"`{name}` must be true or false (unquoted), not {_kind(node)}")
        return None

    def integer(self, node: Node, name: str, minimum: int) -> int | None:
        value: int | None = None
        if isinstance(node, ScalarNode) and node.tag == _INT:
            value = int(_CONSTRUCTOR.construct_yaml_int(node))
        if value is None:
            self.error(node, f"`{name}` must be a whole number, not {_kind(node)}")
            return None
        if value < minimum:
            self.error(node, f"`{name}` must be at least {minimum} (found {value})")
            return None
        return value

    def number(self, node: Node, name: str) -> float | None:
        value: float | None = None
        if isinstance(node, ScalarNode) and node.style is None:
            try:
                if node.tag == _INT:
                    value = float(_CONSTRUCTOR.construct_yaml_int(node))
                elif node.tag == _FLOAT:
                    value = float(_CONSTRUCTOR.construct_yaml_float(node))
                elif node.tag == _STR and _NUMBER_LIKE.match(node.value):
                    value = float(node.value.replace("_", ""))
            except (ValueError, OverflowError):
                value = None
        if value is None or not math.isfinite(value):
            self.error(node, f"`{name}` must be a number, not {_kind(node)}")
            return None
        return value

    def points(self, node: Node, name: str) -> float | None:
        value = self.number(node, name)
        if value is None:
            return None
        if not 0 < value <= MAX_POINTS:
            self.error(node, f"`{name}` must be greater than 0 and at most {MAX_POINTS:g}")
            return None
        if abs(value * 100 - round(value * 100)) > 1e-6:
            self.error(node, f"`{name}` may have at most 2 decimals (found {value:g})")
            return None
        return round(value, 2)

    def identifier(self, node: Node, name: str, pattern: re.Pattern[str], rule: str) -> str | None:
        value = self.text(node, name)
        if value is None:
            return None
        if not pattern.match(value) or len(value) > MAX_ID_LENGTH:
            self.error(
                node, f"`{name}` `{value}` is not a valid id: use {rule} (at most 100 characters)"
            )
            return None
        return value

    def choice(self, node: Node, name: str, choices: Iterable[str]) -> str | None:
        choices = tuple(choices)
        value = self.text(node, name)
        if value is None:
            return None
        if value not in choices:
            self.error(
                node,
                f"`{name}` `{value}` is not one of {', '.join(choices)}"
                f"{_did_you_mean(value, choices)}",
            )
            return None
        return value

    # -- evidence references

    def reference(self, node: Node, name: str, default_source: str | None) -> str | None:
        """Resolve `p4` / `p4.s2` / `src:p4` to a fully-qualified ref that exists."""
        value = self.text(node, name)
        if value is None:
            return None
        match = _REF_RE.match(value.strip())
        if match is None:
            self.error(
                node,
                f"`{value}` is not an evidence reference: write p4 (paragraph 4) or p4.s2 "
                "(sentence 2 of paragraph 4), prefixed with the source id when the bank has "
                "several sources (two-coups:p4)",
            )
            return None
        source_id = match["source"] or default_source
        if source_id is None:
            if len(self.sources) + len(self.broken_sources) > 1:
                example = next(iter(self.sources), "source-id")
                self.error(
                    node,
                    f"`{value}` needs a source prefix because the bank has several sources, "
                    f"e.g. `{example}:{value}`",
                )
            return None  # no usable source: already reported where the sources are
        if source_id in self.broken_sources:
            return None
        document = self.sources.get(source_id)
        if document is None:
            self.error(
                node,
                f"`{value}` names an unknown source `{source_id}`"
                f"{_did_you_mean(source_id, self.sources)}",
            )
            return None
        paragraph = int(match["p"])
        if paragraph > len(document.paragraphs):
            self.error(
                node,
                f"`{value}`: source `{source_id}` has no paragraph {paragraph} "
                f"(it has {len(document.paragraphs)})",
            )
            return None
        if match["s"] is None:
            return f"{source_id}:p{paragraph}"
        sentence = int(match["s"])
        count = len(document.sentences(paragraph))
        if sentence > count:
            self.error(
                node,
                f"`{value}`: paragraph {paragraph} of source `{source_id}` has no sentence "
                f"{sentence} (it has {count})",
            )
            return None
        return f"{source_id}:p{paragraph}.s{sentence}"

    def references(
        self,
        node: Node,
        name: str,
        default_source: str | None,
        minimum: int = 0,
        key: Node | None = None,
    ) -> list[tuple[Node, str]]:
        items = self.sequence(node, name, minimum, key)
        refs: list[tuple[Node, str]] = []
        seen: dict[str, int] = {}
        for item in items or ():
            ref = self.reference(item, name, default_source)
            if ref is None:
                continue
            if ref in seen:
                self.error(item, f"`{ref}` is listed twice in `{name}` (first on line {seen[ref]})")
                continue
            seen[ref] = _line(item)
            refs.append((item, ref))
        return refs

    # -- the file

    def bank(self, root: Node | None) -> Bank | None:
        if root is None:
            self.error(
                1, "the file is empty; a bank needs `version`, `bank`, `sources`, `questions`"
            )
            return None
        top = self.mapping(root, "a bank file")
        if top is None:
            return None
        self.check_keys(top, ("version", "bank", "sources", "questions"), "the bank file")
        version_node = self.require(top, "version", root, "the bank file")
        if version_node is not None:
            version = self.integer(version_node, "version", 1)
            if version is not None and version != FORMAT_VERSION:
                self.error(
                    version_node,
                    f"unknown format version {version}; this Hustings reads version "
                    f"{FORMAT_VERSION}",
                )
        info = self.bank_info(top, root)
        sources_node = self.require(top, "sources", root, "the bank file")
        if sources_node is not None:
            self.parse_sources(sources_node, top["sources"][0])
        questions: list[Question] = []
        # "" holds the bank-level ignores (for warnings about the whole bank, like L001, L007).
        lint_ignores: dict[str, tuple[str, ...]] = (
            {BANK_LEVEL: self.bank_ignores} if self.bank_ignores else {}
        )
        lint_reasons: dict[str, str] = (
            {BANK_LEVEL: self.bank_lint_reason} if self.bank_ignores else {}
        )
        questions_node = self.require(top, "questions", root, "the bank file")
        if (
            isinstance(questions_node, SequenceNode)
            and len(questions_node.value) > MAX_QUESTIONS_PER_BANK
        ):
            self.error(top["questions"][0], _too_many(len(questions_node.value)))
            return None
        if questions_node is not None:
            for item in self.sequence(questions_node, "questions", key=top["questions"][0]) or ():
                parsed = self.question(item)
                self.qid = None
                if parsed is not None:
                    question, ignores, reason = parsed
                    questions.append(question)
                    if ignores:
                        lint_ignores[question.id] = ignores
                        lint_reasons[question.id] = reason
        if any(p.severity == "error" for p in self.problems) or info is None:
            return None
        return Bank(
            id=info[0],
            title=info[1],
            description=info[2],
            path=self.filename,
            sources=tuple(self.sources.values()),
            questions=tuple(questions),
            lint_ignores=lint_ignores,
            line=self.meta.bank_line,
            lint_reasons=lint_reasons,
        )

    def bank_info(
        self, top: dict[str, tuple[Node, Node]], root: Node
    ) -> tuple[str, str, str] | None:
        node = self.require(top, "bank", root, "the bank file")
        if node is None:
            return None
        self.meta.bank_line = _line(top["bank"][0])
        fields = self.mapping(node, "`bank`")
        if fields is None:
            return None
        self.check_keys(
            fields, ("id", "title", "description", "lint_ignore", "lint_reason"), "`bank`"
        )
        self.bank_ignores = self.lint_ignore(fields)
        self.bank_lint_reason = self.last_lint_reason
        id_node = self.require(fields, "id", node, "`bank`")
        title_node = self.require(fields, "title", node, "`bank`")
        bank_id = id_node and self.identifier(
            id_node, "id", _ID_RE, "lower-case letters, digits, - and _"
        )
        title = title_node and self.html(title_node, "title")
        description = self.optional_html(fields, "description")
        if bank_id is None or title is None:
            return None
        return bank_id, title, description

    # -- sources

    def parse_sources(self, node: Node, top_key: Node) -> None:
        for item in self.sequence(node, "sources", 1, top_key) or ():
            fields = self.mapping(item, "a source")
            if fields is None:
                continue
            id_node = self.require(fields, "id", item, "a source")
            source_id = id_node and self.identifier(
                id_node, "id", _ID_RE, "lower-case letters, digits, - and _"
            )
            if source_id is not None and source_id in self.meta.source_lines:
                first = self.meta.source_lines[source_id]
                self.error(
                    id_node, f"source id `{source_id}` is used twice (first on line {first})"
                )
                continue
            if source_id is not None:
                self.meta.source_lines[source_id] = _line(item)
            if "file" in fields:
                self.check_keys(
                    fields,
                    ("id", "file"),
                    "a file source",
                    {
                        k: "metadata comes from the source file's front matter"
                        for k in ("title", "publication", "date", "url", "author", "text")
                    },
                )
                if self.base_dir is None and self.known_sources is not None and id_node:
                    # An upload names no server paths: a bank written for the CLI cites its
                    # sources from the library by their id, as if it gave the id alone.
                    document = self.known_source(id_node, source_id)
                else:
                    document = self.source_file(fields["file"][1])
            elif self.known_sources is not None and set(fields) == {"id"}:
                document = self.known_source(id_node, source_id)
            else:
                document = self.embedded_source(item, fields, source_id)
            if source_id is None:
                continue
            if document is None:
                self.broken_sources.add(source_id)
                continue
            if document.id != source_id and "file" in fields:
                self.error(
                    fields["id"][1],
                    f"source id `{source_id}` differs from the id `{document.id}` in the front "
                    "matter of its file; use the same id in both",
                )
                self.broken_sources.add(source_id)
                continue
            self.sources[source_id] = document

    def known_source(self, id_node: Node | None, source_id: str | None) -> SourceDocument | None:
        """A source cited by id alone: one the caller already knows (e.g. from the database)."""
        if source_id is None or id_node is None or self.known_sources is None:
            return None
        document = self.known_sources.get(source_id)
        if document is None:
            self.error(
                id_node,
                f"source `{source_id}` is not in the library"
                f"{_did_you_mean(source_id, self.known_sources)}; import it first, or embed it "
                "with `title`, `publication` and `text`",
            )
        return document

    def embedded_source(
        self, node: Node, fields: dict[str, tuple[Node, Node]], source_id: str | None
    ) -> SourceDocument | None:
        """An inline source, validated exactly like a source file (same metadata rules)."""
        self.check_keys(
            fields,
            ("id", "title", "publication", "date", "url", "author", "text"),
            "an embedded source",
        )
        what = "an embedded source (or give `file:`)"
        title_node = self.require(fields, "title", node, what)
        publication_node = self.require(fields, "publication", node, what)
        text_node = self.require(fields, "text", node, what)
        title = title_node and self.text(title_node, "title")
        publication = publication_node and self.text(publication_node, "publication")
        metadata = {
            name: self.text(fields[name][1], name, nullable=True) if name in fields else None
            for name in ("date", "url", "author")
        }
        text = text_node and self.text(text_node, "text")
        if title is None or publication is None or text is None or text_node is None:
            return None
        paragraphs = tuple(
            " ".join(block.split())
            for block in _PARAGRAPH_BREAK.split(text.replace("\r\n", "\n"))
            if block.strip()
        )
        if not paragraphs:
            self.error(text_node, "the source text has no paragraphs")
            return None
        document = SourceDocument(
            id=source_id or "source",
            title=" ".join(title.split()),
            publication=" ".join(publication.split()),
            paragraphs=paragraphs,
            **metadata,
        )
        try:  # one set of metadata rules for both kinds of source
            parse_source_file(render_source_file(document))
        except (SourceFileError, ValueError) as exc:
            message = getattr(exc, "message", str(exc)).removeprefix("front matter: ")
            self.error(node, f"embedded source: {message}")
            return None
        return document

    def source_file(self, node: Node) -> SourceDocument | None:
        relative = self.text(node, "file")
        if relative is None:
            return None
        if self.base_dir is None:
            self.error(node, "a `file:` source needs the bank to be loaded from a file on disk")
            return None
        if (
            "\0" in relative
            or Path(relative).is_absolute()
            or PureWindowsPath(relative).is_absolute()
            or PureWindowsPath(relative).drive
            or relative.startswith(("/", "\\", "~"))
        ):
            self.error(
                node,
                f"`file` must be a path relative to the bank file's folder (like "
                f"sources/article.md), not `{relative}`",
            )
            return None
        shown = str(Path(self.filename).parent / relative)
        try:
            base = self.base_dir.resolve()
            target = (base / relative).resolve()
        except (OSError, RuntimeError, ValueError):
            self.error(node, f"source file `{relative}` cannot be resolved")
            return None
        if not target.is_relative_to(base):
            self.error(
                node,
                f"source file `{relative}` lies outside the bank's folder (through `..` or a "
                "symbolic link); keep sources beside the bank, e.g. in sources/",
            )
            return None
        try:
            if not target.is_file():
                self.error(node, f"source file `{relative}` not found (looked for {shown})")
                return None
            if target.stat().st_size > MAX_FILE_BYTES:
                self.error(node, f"source file `{relative}` is larger than 2 MB")
                return None
            raw = target.read_bytes()
        except OSError as exc:
            self.error(node, f"source file `{relative}` cannot be read: {exc.strerror}")
            return None
        try:
            content = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            self.problems.append(Problem(shown, line, None, "the file is not valid UTF-8 text"))
            return None
        try:
            return parse_source_file(content, filename=shown)
        except SourceFileError as exc:
            self.problems.append(Problem(shown, exc.line, None, exc.message))
            return None

    # -- questions

    def question(self, node: Node) -> tuple[Question, tuple[str, ...], str] | None:
        self.qid = _provisional_id(node)
        fields = self.mapping(node, "a question")
        if fields is None:
            return None
        self.qid = qid = None
        id_node = self.require(fields, "id", node, "a question")
        if id_node is not None:
            qid = self.identifier(
                id_node, "id", _QUESTION_ID_RE, "lower-case letters, digits, -, _ and ."
            )
        if qid is not None:
            if qid in self.meta.question_lines:
                first = self.meta.question_lines[qid]
                self.error(id_node, f"question id `{qid}` is used twice (first on line {first})")
                qid = None
            else:
                self.meta.question_lines[qid] = _line(node)
                self.qid = qid
        type_node = self.require(fields, "type", node, "a question")
        qtype = type_node and self.choice(type_node, "type", QUESTION_TYPES)
        before = len(self.problems)

        if qtype is not None:
            elsewhere = {
                key: f"it belongs to {'/'.join(t for t, keys in _TYPE_KEYS.items() if key in keys)}"
                f" questions"
                for keys in _TYPE_KEYS.values()
                for key in keys
                if key not in _TYPE_KEYS[qtype]
            }
            self.check_keys(
                fields, _COMMON_KEYS + _TYPE_KEYS[qtype], f"a `{qtype}` question", elsewhere
            )

        def get(name: str) -> Node | None:
            return self.require(fields, name, node, "the question")

        prompt_node = get("prompt")
        prompt = prompt_node and self.html(prompt_node, "prompt")
        prompt = self.capped(prompt_node, "prompt", prompt, MAX_PROMPT_CHARS)
        points = self.points(fields["points"][1], "points") if "points" in fields else 1.0
        skill_node, difficulty_node = get("skill"), get("difficulty")
        skill = skill_node and self.choice(skill_node, "skill", SKILLS)
        difficulty = difficulty_node and self.choice(difficulty_node, "difficulty", DIFFICULTIES)
        explanation_node = get("explanation")
        explanation = explanation_node and self.html(explanation_node, "explanation")

        source = None
        if "source" in fields:
            source = self.text(fields["source"][1], "source")
            if source is not None and source not in self.sources:
                if source not in self.broken_sources:
                    self.error(
                        fields["source"][1],
                        f"`source` `{source}` is not a source of this bank"
                        f"{_did_you_mean(source, self.sources)}",
                    )
                source = None
        default_source = source or (next(iter(self.sources)) if len(self.sources) == 1 else None)
        if qtype == "evidence" and source is None and len(self.sources) == 1:
            source = default_source
        evidence = []
        if "evidence" in fields:
            evidence = [
                r
                for _, r in self.references(
                    fields["evidence"][1], "evidence", default_source, key=fields["evidence"][0]
                )
            ]
        ignores = self.lint_ignore(fields)
        lint_reason = self.last_lint_reason
        based_on = None
        if "version" in fields:
            based_on = self.integer(fields["version"][1], "version", 1)
        excludes = self.excludes(fields, qid)
        spec: dict[str, Any] = {
            "id": qid,
            "type": qtype,
            "prompt": prompt,
            "points": points,
            "skill": skill,
            "difficulty": difficulty,
            "evidence": evidence,
            "explanation": explanation,
            "source": source,
            "feedback_correct": self.optional_html(fields, "feedback_correct"),
            "feedback_partial": self.optional_html(fields, "feedback_partial"),
            "feedback_wrong": self.optional_html(fields, "feedback_wrong"),
        }
        if qtype is not None:
            question_types.get(qtype).check(self, node, fields, spec, default_source)
        if len(self.problems) > before or qid is None or qtype is None:
            return None
        if any(spec[k] is None for k in ("prompt", "points", "skill", "difficulty", "explanation")):
            return None
        question = Question(
            qid, qtype, _line(node), spec, content_hash(spec), excludes, based_on=based_on
        )
        return question, ignores, lint_reason

    def excludes(
        self, fields: dict[str, tuple[Node, Node]], qid: str | None
    ) -> tuple[tuple[str, str], ...]:
        """`excludes: {other-id: "why the two give each other away"}`."""
        if "excludes" not in fields:
            return ()
        entries = self.mapping(fields["excludes"][1], "`excludes`")
        found: list[tuple[str, str]] = []
        for name, (key, value) in (entries or {}).items():
            other = self.identifier(
                key, "excludes", _QUESTION_ID_RE, "lower-case letters, digits, -, _ and ."
            )
            reason = self.text(value, f"excludes: {name}")
            if other is None or reason is None:
                continue
            if other == qid:
                self.error(key, "a question cannot exclude itself")
                continue
            if len(reason) > MAX_EXCLUSION_REASON:
                self.error(value, f"the reason is longer than {MAX_EXCLUSION_REASON} characters")
                continue
            found.append((other, reason.strip()))
        if entries is not None and not entries:
            self.error(fields["excludes"][0], "`excludes` is empty; name at least one question")
        return tuple(found)

    def lint_ignore(self, fields: dict[str, tuple[Node, Node]]) -> tuple[str, ...]:
        codes: list[str] = []
        if "lint_ignore" in fields:
            node = fields["lint_ignore"][1]
            for item in self.sequence(node, "lint_ignore", key=fields["lint_ignore"][0]) or ():
                code = self.text(item, "lint_ignore")
                if code is not None and not _LINT_CODE_RE.match(code):
                    self.error(item, f"`{code}` is not a linter code (like L002)")
                elif code is not None and code not in codes:
                    codes.append(code)
            if codes and "lint_reason" not in fields:
                self.error(
                    node, "`lint_ignore` needs a `lint_reason` saying why the warning is fine"
                )
        self.last_lint_reason = ""
        if "lint_reason" in fields:
            self.last_lint_reason = self.text(fields["lint_reason"][1], "lint_reason") or ""
            if "lint_ignore" not in fields:
                self.error(fields["lint_reason"][0], "`lint_reason` without `lint_ignore`")
        return tuple(codes)

    # -- per type (each adds its keys to spec; problems are recorded, not returned)

    def options(self, node: Node, fields: dict[str, tuple[Node, Node]], qtype: str) -> list[dict]:
        options_node = self.require(fields, "options", node, f"a `{qtype}` question")
        if options_node is None:
            return []
        items = self.sequence(options_node, "options", 2, fields["options"][0]) or []
        if len(items) > len(ascii_lowercase):
            self.error(fields["options"][0], f"at most {len(ascii_lowercase)} options are allowed")
            return []
        options: list[dict] = []
        seen: dict[str, int] = {}
        for letter, item in zip(ascii_lowercase, items, strict=False):
            if isinstance(item, ScalarNode) and item.tag == _STR:
                self.error(
                    item,
                    "each option must be a mapping with `text:` (and `correct:`, "
                    "`feedback:`), not bare text",
                )
                continue
            option = self.mapping(item, "an option")
            if option is None:
                continue
            self.check_keys(option, ("text", "correct", "feedback", "misreading"), "an option")
            text_node = self.require(option, "text", item, "the option")
            text = text_node and self.html(text_node, "text")
            text = self.capped(text_node, "text", text, MAX_OPTION_CHARS)
            correct = (
                self.boolean(option["correct"][1], "correct") if "correct" in option else False
            )
            feedback = self.optional_html(option, "feedback")
            misreading = None
            if "misreading" in option:
                misreading = self.choice(option["misreading"][1], "misreading", MISREADINGS)
                if misreading is not None and correct:
                    self.error(
                        option["misreading"][0],
                        "a correct option cannot carry a `misreading` label; label the distractors",
                    )
                    misreading = None
            if text is None or correct is None or text_node is None:
                continue
            normal = _normal_text(text)
            if normal in seen:
                self.error(
                    text_node, f"duplicate option text (same as the option on line {seen[normal]})"
                )
            seen.setdefault(normal, _line(item))
            entry = {"id": letter, "text": text, "correct": correct, "feedback": feedback}
            if misreading is not None:
                entry["misreading"] = misreading
            options.append(entry)
        return options

    def line(self, node: Node) -> int:
        """The line a node starts on (for problems that name another line)."""
        return _line(node)

    def is_mapping(self, node: Node) -> bool:
        return isinstance(node, MappingNode)

    def credit(self, node: Node) -> float | None:
        """A share of the points: more than 0 and at most 1."""
        credit = self.number(node, "credit")
        if credit is not None and not 0 < credit <= 1:
            self.error(node, f"`credit` must be more than 0 and at most 1 (found {credit:g})")
            return None
        return credit


# --------------------------------------------------------------------------- public API


def _parse(
    text: str | bytes,
    filename: str,
    base_dir: Path | None,
    known_sources: Mapping[str, SourceDocument] | None = None,
) -> tuple[Bank | None, list[Problem], _Meta]:
    checker = _Checker(filename, base_dir, known_sources)
    too_big = Problem(filename, 1, None, "the file is larger than 2 MB; split the bank")
    if isinstance(text, bytes | bytearray):
        if len(text) > MAX_FILE_BYTES:
            return None, [too_big], checker.meta
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = bytes(text).count(b"\n", 0, exc.start) + 1
            return (
                None,
                [Problem(filename, line, None, "the file is not valid UTF-8 text")],
                checker.meta,
            )
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        return None, [too_big], checker.meta
    quick = _count_questions_quickly(text)
    if quick is not None and quick[1] > MAX_QUESTIONS_PER_BANK:
        return None, [Problem(filename, quick[0], None, _too_many(quick[1]))], checker.meta
    root, failure = _compose(text)
    if failure is not None:
        return None, [Problem(filename, failure[0], None, failure[1])], checker.meta
    bank = checker.bank(root)
    in_file = {True: 0, False: 1}
    problems = sorted(checker.problems, key=lambda p: (in_file[p.file == filename], p.file, p.line))
    return bank, problems, checker.meta


def parse_bank(
    text: str | bytes,
    *,
    filename: str,
    base_dir: Path | None = None,
    known_sources: Mapping[str, SourceDocument] | None = None,
) -> tuple[Bank | None, list[Problem]]:
    """Validate one bank's text. Never raises; the Bank is None if there is any error.

    `base_dir` is the folder `file:` sources are resolved in (and confined to).
    `known_sources` (e.g. the sources already in the database) may be cited by id alone:
    `sources: [{id: two-coups}]`; without it, a source needs `file:` or embedded text."""
    bank, problems, _ = _parse(text, filename, base_dir, known_sources)
    return bank, problems


def _load(
    path: Path, known_sources: Mapping[str, SourceDocument] | None = None
) -> tuple[Bank | None, list[Problem], _Meta]:
    filename = str(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            message = "the file is larger than 2 MB; split the bank"
            return None, [Problem(filename, 1, None, message)], _Meta()
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(filename, 1, None, f"cannot read the file: {exc.strerror}")], _Meta()
    return _parse(data, filename, path.parent, known_sources)


def load_bank_file(path: Path) -> tuple[Bank | None, list[Problem]]:
    """Read and validate one bank file; sources are resolved beside it."""
    bank, problems, _ = _load(Path(path))
    return bank, problems


def load_bank_paths(
    paths: Iterable[Path], *, known_sources: Mapping[str, SourceDocument] | None = None
) -> tuple[list[Bank], list[Problem]]:
    """Validate many files (a folder means its *.yaml, not sources/) and check ids across them.

    Returns the banks that parsed and every problem; if any problem is an error the caller
    must change nothing (ids shared across files make a partial load unsafe).
    `known_sources` may be cited by id alone, as in `parse_bank`."""
    problems: list[Problem] = []
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files.extend(sorted(p for p in path.glob("*.yaml") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), 1, None, "no such file or folder"))
    unique: dict[Path, Path] = {}
    for path in files:
        unique.setdefault(path.resolve(), path)

    banks: list[Bank] = []
    bank_ids: dict[str, str] = {}
    question_ids: dict[str, str] = {}
    sources: dict[str, tuple[SourceDocument, str]] = {}
    for path in unique.values():
        bank, file_problems, meta = _load(path, known_sources)
        problems.extend(file_problems)
        if bank is None:
            continue
        cross: list[Problem] = []
        if bank.id in bank_ids:
            cross.append(
                Problem(
                    bank.path,
                    meta.bank_line,
                    None,
                    f"bank id `{bank.id}` is also used by {bank_ids[bank.id]}",
                )
            )
        bank_ids.setdefault(bank.id, f"{bank.path}:{meta.bank_line}")
        for source in bank.sources:
            line = meta.source_lines.get(source.id, 1)
            if source.id in sources and sources[source.id][0] != source:
                cross.append(
                    Problem(
                        bank.path,
                        line,
                        None,
                        f"source id `{source.id}` names a different text in "
                        f"{sources[source.id][1]}; give one of them another id",
                    )
                )
            sources.setdefault(source.id, (source, f"{bank.path}:{line}"))
        for question in bank.questions:
            if question.id in question_ids:
                cross.append(
                    Problem(
                        bank.path,
                        question.line,
                        question.id,
                        f"question id is also used in {question_ids[question.id]}; ids must be "
                        "unique across all banks",
                    )
                )
            question_ids.setdefault(question.id, f"{bank.path}:{question.line}")
        problems.extend(sorted(cross, key=lambda p: p.line))
        banks.append(bank)
    for bank in banks:
        for question in bank.questions:
            for other, _reason in question.excludes:
                if other not in question_ids:
                    problems.append(
                        Problem(
                            bank.path,
                            question.line,
                            question.id,
                            f"`excludes` names `{other}`, which none of the banks read here "
                            "holds; check the id (the exclusion applies once it is loaded)",
                            severity="warning",
                        )
                    )
    return banks, problems


def student_view(spec: dict[str, Any]) -> dict[str, Any]:
    """What a student may see before review: no key, no feedback, no explanation, no evidence.

    The common fields, then the type's own (``QuestionType.student_view``): lists whose order
    could reveal the key (matching choices, ordering items) are sorted by text; callers still
    shuffle per attempt."""
    view: dict[str, Any] = {
        name: spec.get(name)
        for name in ("id", "type", "prompt", "points", "skill", "difficulty", "source")
    }
    view.update(question_types.get(spec.get("type")).student_view(spec))
    return view
