"""Slugs, the stable addresses of content: the field that holds one, with the one message that says what a valid slug
is, and the slug proposed from a few words of the content, Chinese written in pinyin."""

import re

from django import forms
from django.db import models
from django.utils.text import slugify
from pypinyin import Style, lazy_pinyin

from .validators import lower_case_slug


class LowerCaseSlugFormField(forms.SlugField):
    # Django's own slug validator takes capitals and underscores and adds a second, vaguer message.
    default_validators = [lower_case_slug]


class LowerCaseSlugField(models.SlugField):
    """A slug of lower-case letters, digits and hyphens, refused with one message (`lower_case_slug`) by forms, model
    validation and the API alike."""

    default_validators = [lower_case_slug]

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": LowerCaseSlugFormField, **kwargs})


def pinyin_slug(*parts: str, max_length: int) -> str:
    """A valid slug from `parts`, in order: Chinese characters in pinyin without tones, one syllable a word
    ('修改密码' → 'xiu-gai-mi-ma'), other letters and digits lower-cased, anything else dropped; cut at a word to at
    most `max_length` characters. Empty if the parts hold nothing to write."""
    words = [
        slugify(word).replace("_", "-")
        for part in parts
        if part
        # Non-Chinese runs ("App", "12333", "id_last6") come back whole, as they are.
        for word in lazy_pinyin(part, style=Style.NORMAL)
    ]
    slug = re.sub(r"-{2,}", "-", "-".join(words)).strip("-")
    if len(slug) > max_length:
        slug = slug[: max_length + 1].rsplit("-", 1)[0] if "-" in slug[:max_length] else slug[:max_length]
    return slug


def unique_slug(base: str, taken: set[str], *, max_length: int) -> str:
    """`base`, or `base-2`, `base-3`, ... (shortened to fit) if it is taken."""
    slug, number = base, 1
    while slug in taken:
        number += 1
        suffix = f"-{number}"
        slug = base[: max_length - len(suffix)].rstrip("-") + suffix
    return slug
