"""Input limits at the edge, in one place: ids, offsets, text lengths, NUL characters.

Pages (Django forms and GET filters) and the API (ninja schemas and query parameters)
take their bounds from here, so bad input is a clear 4xx before it reaches the database:
PostgreSQL refuses NUL in text and integers beyond bigint (a 500), and SQLite raises
OverflowError on them and silently stores strings longer than the model allows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from django import forms
from django.core import validators as django_validators
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils import dateparse
from django.utils.translation import gettext_lazy as _
from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

MAX_ID = 2**63 - 1  # primary keys are 64-bit (BigAutoField)
MAX_TEXT = 20_000  # a TextField's cap at the edge: far beyond any real description or reply
MAX_QUERY = 100  # a search box

NUL_MESSAGE = _("不能包含空字符（\\0），请删除后重试")
ID_MESSAGE = _("应为 1 到 9223372036854775807 之间的整数编号")


# ------------------------------------------------------------------------------ plain


def strip_nul(value: str) -> str:
    """The text without NUL characters: for search boxes and filters, where dropping an
    invisible character nobody typed is kinder than an error."""
    return value.replace("\x00", "") if "\x00" in value else value


def check_id(value: int) -> int:
    """`value` if it is a possible primary key, else ValueError."""
    if not 1 <= value <= MAX_ID:
        raise ValueError(str(ID_MESSAGE))
    return value


def parse_id(raw: object) -> int | None:
    """A primary key from a query string or form: None when empty; ValueError when it is not
    a plain ASCII number in 1..2^63-1 (str.isdigit() alone accepts "²", which int() refuses)."""
    if raw is None:
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return check_id(raw)
    text = str(raw).strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        raise ValueError(str(ID_MESSAGE))
    return check_id(int(text))


def id_or_none(raw: object) -> int | None:
    """`parse_id`, with anything unusable read as "not given" (lenient page filters)."""
    try:
        return parse_id(raw)
    except ValueError:
        return None


def ids_in(values: list[str]) -> list[int]:
    """The usable primary keys among checkbox values; the rest are ignored."""
    return [i for i in (id_or_none(v) for v in values) if i is not None]


def text_param(params: Mapping[str, Any], name: str, *, max_length: int = MAX_QUERY) -> str:
    """A text filter from GET parameters: stripped, NUL dropped, cut to `max_length`."""
    return strip_nul(str(params.get(name) or "")).strip()[:max_length]


TRUE_WORDS = ("1", "true", "on", "yes")


def flag_param(params: Mapping[str, Any], name: str) -> bool:
    """A checkbox filter: on for 1/true/on/yes (as browsers and API clients send it)."""
    return str(params.get(name) or "").lower() in TRUE_WORDS


def date_params(params: Mapping[str, Any], target: object, names: tuple[str, ...], errors: list[str]) -> None:
    """Date filters (as offices type dates) set on `target`; an unreadable one is reported in
    `errors` and left unset, never passed on to the database."""
    from duban.core.dates import DateParseError, parse_date

    for name in names:
        raw = text_param(params, name, max_length=40)
        if raw:
            try:
                setattr(target, name, parse_date(raw))
            except DateParseError as exc:
                errors.append(str(exc))


def date_or_none(raw: object) -> dt.date | None:
    """An ISO date from a query string; None when empty, malformed or impossible (2024-02-30)."""
    try:
        return dateparse.parse_date(strip_nul(str(raw or "")).strip()[:40])
    except ValueError:
        return None


def max_length_of(model: type[Model], field: str) -> int:
    """The model field's max_length (a TextField has none: MAX_TEXT)."""
    return model._meta.get_field(field).max_length or MAX_TEXT


# ------------------------------------------------------------------------------ forms


def refuse_nul(value: str) -> None:
    """Django validator: NUL characters are refused with a clear message (Django's own
    zh-hans wording for this says "empty string", which misleads)."""
    if isinstance(value, str) and "\x00" in value:
        raise ValidationError(NUL_MESSAGE, code="null_characters_not_allowed")


def check_text(value: str, max_length: int) -> str:
    """For fields that turn text into something else (a unit, a date): check the typed
    text itself, before the conversion, against NUL and its length."""
    refuse_nul(value)
    if len(value) > max_length:
        raise ValidationError(_("不能超过 %(limit)d 个字符（现有 %(count)d 个）") % {"limit": max_length, "count": len(value)}, code="max_length")
    return value


class _TextCap(django_validators.MaxLengthValidator):
    """MAX_TEXT for a text field that has no max_length; other values pass (a field's
    to_python may already have made them a unit or a date)."""

    def __call__(self, value: Any) -> None:
        if isinstance(value, str):
            super().__call__(value)


class CleanTextForm:
    """Mixin for forms: every text field refuses NUL with our message and has a length cap.

    Put it before forms.Form / forms.ModelForm. Fields without max_length get MAX_TEXT.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not isinstance(field, forms.CharField):
                continue
            kept = [v for v in field.validators if not isinstance(v, django_validators.ProhibitNullCharactersValidator)]
            if field.max_length is None:
                kept.append(_TextCap(MAX_TEXT))
            field.validators = [refuse_nul, *kept]


# ------------------------------------------------------------------------ ninja/pydantic


def _refuse_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("null_characters_not_allowed", str(NUL_MESSAGE))
    return value


def _strip(value: str) -> str:
    return strip_nul(value)


def Text(max_length: int = MAX_TEXT) -> Any:  # noqa: N802 - used as a type, like pydantic's constr
    """A str for a ninja schema: at most `max_length` characters, NUL refused (422)."""
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_refuse_nul)]


def ModelText(model: type[Model], field: str) -> Any:  # noqa: N802
    """A str for a ninja schema bounded like the model field it is written to."""
    return Text(max_length_of(model, field))


def Search(max_length: int = MAX_QUERY) -> Any:  # noqa: N802
    """A str query parameter used as a filter: NUL dropped, length bounded."""
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_strip)]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
