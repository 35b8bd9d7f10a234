"""Database constraints several apps declare alike."""

from django.db import models
from django.utils.functional import Promise


def one_of(field: str, choices: type[models.Choices], *, name: str, message: str | Promise) -> models.CheckConstraint:
    """`field` holds one of the enumeration's values: the database refuses what a form's choices would, also for
    writes that never pass a form (bulk updates, raw SQL, a migration)."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__in": choices.values}), name=name, violation_error_message=message
    )
