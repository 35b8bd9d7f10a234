"""Region search: what people type, normalised, and every region held in each worker's memory per public revision.

People type full-width digits and letters (a Chinese input method left in full-width mode: `１３０７`, `ｚｊｋ`) and
traditional characters (`張家口`). NFKC folds the first to their plain forms; OpenCC's traditional → simplified table
(opencc-python-reimplemented) the second. The same normalised term goes to the database (`RegionQuerySet.search`,
for the admin and the filters) and to the in-memory index (the API's plain searches, `RegionIndex`), which match
alike: a substring of the Chinese name or short name, a code prefix for digits, a substring of the full pinyin or a
prefix of the initials for Latin letters.
"""

import threading
import unicodedata
from dataclasses import dataclass

from opencc import OpenCC

from curation.revisions import current_revision

TO_SIMPLIFIED = OpenCC("t2s")


def normalise(term: str) -> str:
    return TO_SIMPLIFIED.convert(unicodedata.normalize("NFKC", term)).strip()


def folded(term: str) -> str:
    """A Latin term as pinyin and initials are stored: lower case, without spaces."""
    return "".join(term.lower().split())


@dataclass(frozen=True)
class Entry:
    pk: int
    code: str
    name: str
    short_name: str
    pinyin: str
    initials: str


class RegionIndex:
    """Every region, in code order (the API's order), searched without the database: 3,400 short rows."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = sorted(entries, key=lambda entry: entry.code)

    def search(self, term: str) -> list[int]:
        """The ids of the regions `term` finds, in code order."""
        term = normalise(term)
        if not term:
            return [entry.pk for entry in self.entries]
        digits, latin = term.isdigit(), folded(term) if term.isascii() else ""
        return [
            entry.pk
            for entry in self.entries
            if term in entry.name
            or term in entry.short_name
            or (digits and entry.code.startswith(term))
            or (latin and (latin in entry.pinyin or entry.initials.startswith(latin)))
        ]


_lock = threading.Lock()
# (public revision token, index): regions change only with the public revision (their import moves it).
_index: tuple[str, RegionIndex] | None = None


def region_index() -> RegionIndex:
    global _index
    revision = current_revision().token
    held = _index
    if held is not None and held[0] == revision:
        return held[1]
    from .models import Region

    with _lock:
        fields = ("pk", "code", "name", "short_name", "pinyin", "initials")
        index = RegionIndex([Entry(*row) for row in Region.objects.values_list(*fields)])
        _index = (revision, index)
    return index
