"""Read a rendered form as a browser submits it, for tests that post a page's own form back."""

from __future__ import annotations

from html.parser import HTMLParser


class _Form(HTMLParser):
    def __init__(self, form_id: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = form_id is None
        self.depth_template = 0
        self.fields: dict[str, list[str]] = {}
        self.textarea: str | None = None
        self.text: list[str] = []
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.option_value: str | None = None
        self.option_selected = False
        self.option_text: list[str] = []

    def _add(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form" and self.form_id is not None:
            self.inside = a.get("id") == self.form_id
            return
        if tag == "template":
            self.depth_template += 1
        if not self.inside or self.depth_template or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._add(name, a.get("value", "on" if kind in ("checkbox", "radio") else ""))
        elif tag == "textarea" and name:
            self.textarea, self.text = name, []
        elif tag == "select" and name:
            self.select, self.options = name, []
        elif tag == "option" and self.select is not None:
            self.option_value = a.get("value")
            self.option_selected = "selected" in a
            self.option_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self.depth_template -= 1
        elif tag == "form" and self.form_id is not None:
            self.inside = False
        elif tag == "textarea" and self.textarea is not None:
            value = "".join(self.text)
            self._add(self.textarea, value[1:] if value.startswith("\n") else value)
            self.textarea = None
        elif tag == "option" and self.select is not None:
            text = "".join(self.option_text).strip()
            value = self.option_value if self.option_value is not None else text
            self.options.append((value, self.option_selected))
        elif tag == "select" and self.select is not None:
            chosen = [v for v, s in self.options if s] or [v for v, _ in self.options[:1]]
            if chosen:
                self._add(self.select, chosen[0])
            self.select = None

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text.append(data)
        elif self.select is not None:
            self.option_text.append(data)


def submitted_fields(html: str, form_id: str | None = None) -> dict[str, list[str]]:
    """Name → values a browser would send for the form (`form_id`, else the whole page):
    text and hidden inputs, ticked boxes, chosen options and textareas; nothing disabled or
    inside a <template>."""
    parser = _Form(form_id)
    parser.feed(html)
    return parser.fields
