"""A form renderer that writes the plain widgets (inputs, selects, textareas) in Python.

Why: Django renders each widget through templates, and each <option> of a select through an
include of its own. The queue page's filter and bulk-reassign forms list every assignable member
of staff (two selects of ~250 options with the benchmark's staff at 1,000,000 tickets) plus the
products and categories: 20–40 ms of a page whose budget is 50 ms (issue 4, bench/bench_queues.py).
The HTML is the same as Django's templates produce (django/forms/templates/django/forms/widgets/);
any other template (custom widgets, radio lists, the admin's) is still rendered by the templates.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape as _html_escape
from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

W = "django/forms/widgets/"
OPTION_TEMPLATE = W + "select_option.html"


def _esc(value: Any) -> str:
    """conditional_escape() without its lazy-string wrapper (hundreds of options per page)."""
    html = getattr(value, "__html__", None)
    return html() if html is not None else _html_escape(str(value))


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html: ` name="value"`, a bare ` name` for True, nothing for False."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {conditional_escape(name)}")
        else:
            out.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(out)


def _input(widget: dict[str, Any]) -> str | None:
    value = widget.get("value")
    shown = "" if value is None else f' value="{conditional_escape(str(value))}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _select(widget: dict[str, Any]) -> str | None:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            if option.get("template_name") != OPTION_TEMPLATE:
                return None  # a custom option template: let the templates render the whole select
            parts.append(
                f'\n  <option value="{conditional_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                f"{conditional_escape(option['label'])}</option>\n"  # the option template's own newline
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: dict[str, Any]) -> str | None:
    value = widget.get("value")
    body = conditional_escape(value) if value else ""
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{body}</textarea>'
    )


# Every input template of Django is `{% include "django/forms/widgets/input.html" %}`.
_INPUTS = ("input", "text", "number", "email", "url", "password", "hidden", "search", "tel", "date")
RENDERERS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    **{f"{W}{name}.html": _input for name in _INPUTS},
    W + "select.html": _select,
    W + "textarea.html": _textarea,
}


class FastWidgetRenderer(DjangoTemplates):
    """Django's default renderer, with the plain widgets written directly (see the module doc)."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> SafeString:
        fn = RENDERERS.get(template_name)
        html = fn(context["widget"]) if fn is not None and "widget" in context else None
        if html is None:
            return mark_safe(super().render(template_name, context, request))
        return mark_safe(html)  # every value above is escaped


RENDERER = FastWidgetRenderer()


class FastSelect(forms.Select):
    """A single select that, under FastWidgetRenderer, is written straight from its choices.

    Why: before any template, Django's Select builds a dict per option (optgroups/create_option)
    and a supervisor's queue page has two selects of every member of staff: ~8 ms of CPU of a page
    whose budget is 50 ms (issue 4). Same HTML as select.html/select_option.html (the general path
    below, and tests/test_rendering.py); option groups, multiple selects, other templates and other
    renderers take Django's path."""

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        if (
            isinstance(renderer, FastWidgetRenderer)
            and not self.allow_multiple_selected
            and self.template_name == W + "select.html"
            and self.option_template_name == OPTION_TEMPLATE
        ):
            html = self._flat(name, value, attrs)
            if html is not None:
                return mark_safe(html)  # every value is escaped in _flat
        return super().render(name, value, attrs, renderer)

    def _items(self) -> Any:
        """The choices. A lazy list (forms._values_choices: values already in (value, label)
        pairs) is read as it is: iterating `self.choices` normalises it again on every use."""
        choices = self.choices
        func = getattr(choices, "func", None)  # django.utils.choices.CallableChoiceIterator
        if func is not None:
            items = func()
            if isinstance(items, list) and all(isinstance(i, tuple) and len(i) == 2 for i in items):
                return items
        return choices

    def _flat(self, name: str, value: Any, attrs: Any) -> str | None:
        chosen = self.format_value(value)  # Select.optgroups: str(option value) in these
        parts = [f'<select name="{conditional_escape(name)}"{_attrs(self.build_attrs(self.attrs, attrs))}>']
        found = False
        for option_value, label in self._items():
            if isinstance(label, (list, tuple)):
                return None  # an option group: Django's path
            if option_value is None:
                option_value = ""
            selected = not found and str(option_value) in chosen
            found = found or selected
            mark = " selected" if selected else ""
            shown: Any = label
            parts.append(f'\n  <option value="{_esc(option_value)}"{mark}>{_esc(shown)}</option>\n')
        parts.append("\n</select>")
        return "".join(parts)
