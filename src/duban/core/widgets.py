"""Form widgets shared by the apps."""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe


class QuickSelect(forms.Select):
    """A <select> whose options are written in Python, not one template render per option.

    Django renders every option through `select_option.html`: ~0.25 ms an option on these
    machines, 100 ms for the 400 units a hotline form offers. The HTML is the same as
    `forms.Select`'s for flat choices; grouped choices fall back to Django's rendering.
    """

    def render(self, name, value, attrs=None, renderer=None):
        choices = list(self.choices)
        if any(isinstance(label, (list, tuple)) for _, label in choices):
            return super().render(name, value, attrs, renderer)
        selected = {str(v) for v in self.format_value(value)}
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        if self.allow_multiple_selected:
            final["multiple"] = True
        head = format_html("<select{}>", flatatt(final))
        options, chosen = [], False
        for v, label in choices:
            v = "" if v is None else str(v)
            on = v in selected and (self.allow_multiple_selected or not chosen)
            chosen = chosen or on
            options.append(f'<option value="{escape(v)}"{" selected" if on else ""}>{escape(label)}</option>')
        return mark_safe(head + "\n" + "\n".join(options) + "\n</select>")  # noqa: S308 - every value and label escaped above
