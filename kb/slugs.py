"""Slugs, the stable addresses of content: the field that holds one, with the one message that says what a valid slug
is, and the slug proposed from a few words of the content, Chinese written in pinyin."""

import functools
import re
from types import ModuleType

from django import forms
from django.db import models
from django.utils.text import slugify

from .validators import lower_case_slug

# Readings pypinyin gets wrong, by phrase (`add_phrase_readings`), given to it as it is loaded.
PHRASE_READINGS: dict[str, list[list[str]]] = {}


@functools.cache
def pypinyin_loaded() -> ModuleType:
    """pypinyin, imported on first use. Its dictionaries are some 190,000 lists, which every worker would otherwise
    hold from its start, and which Python's garbage collector walks in every full collection (they were more than
    half of what it walked): only writes (a slug proposed, a region's pinyin) need them, and most workers serve
    reads."""
    import pypinyin

    pypinyin.load_phrases_dict(PHRASE_READINGS)
    return pypinyin


def add_phrase_readings(readings: dict[str, list[list[str]]]) -> None:
    """Readings of phrases (`{"长治": [["cháng"], ["zhì"]]}`) that win over pypinyin's own, whenever it is loaded."""
    PHRASE_READINGS.update(readings)
    if pypinyin_loaded.cache_info().currsize:
        pypinyin_loaded().load_phrases_dict(readings)


def toneless_pinyin(text: str, *, errors: str = "default") -> list[str]:
    """`text` in pinyin without tones, a syllable for each Chinese character; other runs come back whole, or are
    dropped with errors="ignore"."""
    pypinyin = pypinyin_loaded()
    return pypinyin.lazy_pinyin(text, style=pypinyin.Style.NORMAL, errors=errors)


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
        for word in toneless_pinyin(part)
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
