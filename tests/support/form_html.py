"""What a browser would submit for a form's HTML: each control's name and value(s).

Enough of the HTML rules for the studio's editor: inputs send their value (a one-line input
without line breaks), checkboxes and radios only when checked, a select its selected option
(the first when none is), a textarea its text; disabled controls, buttons and everything
inside a <template> (the rows the "Add" button copies) send nothing. A Chromium test
(tests/domain/question_types/test_editor_forms_browser.py) checks it against `FormData`.
"""

from __future__ import annotations

from html.parser import HTMLParser

_UNSENT_INPUTS = {"button", "submit", "reset", "image", "file"}
_ONE_LINE = {"text", "search", "tel", "url", "email", "password"}


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pairs: list[tuple[str, str]] = []
        self._template_depth = 0
        self._select: dict | None = None  # name, options [(value, selected)], multiple
        self._option: list | None = None  # [value or None, selected, text parts]
        self._textarea: list | None = None  # [name, text parts]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "template":
            self._template_depth += 1
            return
        if self._template_depth:
            return
        a = {k: (v if v is not None else "") for k, v in attrs}
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text").lower()
            if kind in _UNSENT_INPUTS:
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.pairs.append((name, a.get("value", "on")))
            elif kind in _ONE_LINE:  # a browser drops line breaks from a one-line field
                value = a.get("value", "").replace("\r", "").replace("\n", "")
                self.pairs.append((name, value))
            else:
                self.pairs.append((name, a.get("value", "")))
        elif tag == "select":
            self._select = {
                "name": name if name and "disabled" not in a else None,
                "options": [],
                "multiple": "multiple" in a,
            }
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "selected" in a, []]
        elif tag == "textarea" and name and "disabled" not in a:
            self._textarea = [name, []]

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self._template_depth -= 1
            return
        if self._template_depth:
            return
        if tag == "option":
            self._close_option()
        elif tag == "select" and self._select is not None:
            self._close_option()
            select, self._select = self._select, None
            options = select["options"]
            chosen = [v for v, selected in options if selected]
            if not chosen and options and not select["multiple"]:
                chosen = [options[0][0]]
            if not select["multiple"]:
                chosen = chosen[-1:]
            if select["name"]:
                self.pairs.extend((select["name"], v) for v in chosen)
        elif tag == "textarea" and self._textarea is not None:
            name, parts = self._textarea
            self._textarea = None
            text = "".join(parts)
            self.pairs.append((name, text[1:] if text.startswith("\n") else text))

    def handle_data(self, data: str) -> None:
        if self._template_depth:
            return
        if self._option is not None:
            self._option[2].append(data)
        elif self._textarea is not None:
            self._textarea[1].append(data)

    def _close_option(self) -> None:
        if self._option is not None and self._select is not None:
            value, selected, parts = self._option
            text = " ".join("".join(parts).split())
            self._select["options"].append((text if value is None else value, selected))
        self._option = None


def submitted(html: str) -> list[tuple[str, str]]:
    """The (name, value) pairs a browser would post for `html`, in document order."""
    reader = _FormReader()
    reader.feed(html)
    reader.close()
    return reader.pairs


def submitted_values(html: str) -> dict[str, list[str]]:
    """The same, grouped by name (the shape ``EditorForm.of`` takes)."""
    values: dict[str, list[str]] = {}
    for name, value in submitted(html):
        values.setdefault(name, []).append(value)
    return values


def page_form(html: str, form_id: str) -> str:
    """The HTML of the form with id `form_id` in a page (forms do not nest)."""
    start = html.index(f'id="{form_id}"')
    start = html.rindex("<form", 0, start)
    return html[start : html.index("</form>", start) + len("</form>")]


def submitted_fields(html: str, form_id: str | None = None) -> dict[str, list[str]]:
    """What a browser posts for the page's form `form_id` (or every control of the page)."""
    return submitted_values(page_form(html, form_id) if form_id else html)
