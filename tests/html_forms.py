"""What a browser would send if the person pressed a form's button without touching anything: the test client
never reads the page, so a form whose defaults act on their own is caught only by submitting it as it comes."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)  # what is sent, in order
    checkboxes: list[tuple[str, str, bool]] = field(default_factory=list)  # (name, value, ticked)
    selects: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)  # name → [(value, selected)]
    buttons: list[tuple[str, str]] = field(default_factory=list)  # submit buttons with a name

    def data(self, button: tuple[str, str] | None = None) -> dict[str, list[str]]:
        """The submitted values, with the select boxes as the browser resolves them (the selected option, else
        the first one) and `button` (name, value) as the one pressed."""
        sent: dict[str, list[str]] = {}
        pairs = list(self.fields)
        pairs += [(name, value) for name, value, ticked in self.checkboxes if ticked]
        for name, options in self.selects.items():
            chosen = [value for value, selected in options if selected] or [value for value, _ in options[:1]]
            pairs += [(name, value) for value in chosen[:1]]
        if button:
            pairs.append(button)
        for name, value in pairs:
            sent.setdefault(name, []).append(value)
        return sent


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._option: list | None = None  # [value or None, selected, text]

    def handle_starttag(self, tag, attrs):
        attributes = {name: value if value is not None else "" for name, value in attrs}
        if tag == "form":
            self._form = Form(attributes.get("action", ""), attributes.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is None or "disabled" in attributes or (not attributes.get("name") and tag != "option"):
            return
        elif tag == "input":
            kind = attributes.get("type", "text").lower()
            name, value = attributes["name"], attributes.get("value", "")
            if kind == "checkbox" or kind == "radio":
                self._form.checkboxes.append((name, value or "on", "checked" in attributes))
            elif kind == "submit":
                self._form.buttons.append((name, value))
            elif kind not in ("button", "reset", "file", "image"):
                self._form.fields.append((name, value))
        elif tag == "button" and attributes.get("type", "submit").lower() == "submit":
            self._form.buttons.append((attributes["name"], attributes.get("value", "")))
        elif tag == "textarea":
            self._form.fields.append((attributes["name"], ""))
        elif tag == "select":
            self._select = attributes["name"]
            self._form.selects[self._select] = []
        elif tag == "option" and self._select is not None:
            self._close_option()
            self._option = [attributes.get("value"), "selected" in attributes, ""]

    def handle_data(self, data):
        if self._option is not None:
            self._option[2] += data

    def handle_endtag(self, tag):
        if tag in ("option", "select"):
            self._close_option()
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None

    def _close_option(self):
        if self._option is not None and self._form is not None and self._select is not None:
            value, selected, text = self._option
            self._form.selects[self._select].append((value if value is not None else text.strip(), selected))
        self._option = None


def forms_of(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def form_posting_to(html: str, action: str) -> Form:
    """The one form of the page whose action is `action`."""
    found = [form for form in forms_of(html) if form.action == action]
    assert len(found) == 1, f"{len(found)} forms post to {action}"
    return found[0]
