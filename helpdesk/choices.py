"""The label of a model field's choice, as `get_FOO_display()` gives it, without its cost: Django builds a dict of
the field's choices for every call, hashing each lazy label, which translates it (a ticket list page made 200
such calls, a fifth of its CPU). Here each field's labels are made once per language and process."""

from __future__ import annotations

import functools

from django.db import models
from django.utils import translation


@functools.cache
def _labels(model: type[models.Model], field_name: str, language: str | None) -> dict:
    field = model._meta.get_field(field_name)
    return {value: str(label) for value, label in field.flatchoices}  # type: ignore[union-attr]


def label(instance: models.Model, field_name: str) -> str:
    """`instance.get_<field_name>_display()`: the label of its value in the current language, or the value itself
    when it is not one of the choices."""
    value = getattr(instance, field_name)
    found = _labels(type(instance), field_name, translation.get_language()).get(value)
    return found if found is not None else ("" if value is None else str(value))
