"""Filters of the widget's templates."""

import datetime

from django import template
from django.utils.formats import date_format

register = template.Library()


@register.filter
def day(value: str | None) -> str:
    """An ISO 8601 date or date-time of the answer as a day written in the page's language (2024年3月2日,
    March 2, 2024). Date-times are in China time already, so their day is their first ten characters."""
    if not value:
        return ""
    return date_format(datetime.date.fromisoformat(value[:10]), "DATE_FORMAT")


@register.filter(is_safe=True)
def without_leading_dot(value: str) -> str:
    """Parts written each after a " · ", without the dot before the first one shown: a policy that states no length
    starts with what it does state (医保账户密码：输错锁定后……), not with a dot."""
    return value.lstrip().removeprefix("·").lstrip()
