"""Region search: what people type, normalised, and every region held in each worker's memory until regions change.

People type full-width digits and letters (a Chinese input method left in full-width mode: `１３０７`, `ｚｊｋ`) and
traditional characters (`張家口`). NFKC folds the first to their plain forms; OpenCC's traditional → simplified table
(opencc-python-reimplemented) the second. The same normalised term (`names.normalise`) goes to the database
(`RegionQuerySet.search`, for the admin and the filters) and to the in-memory index (the API's plain searches,
`RegionIndex`), which match alike: a substring of the Chinese name or short name, a code prefix for digits, a
substring of the full pinyin or a prefix of the initials for Latin letters.
"""

import bisect
import threading
from dataclasses import dataclass

from curation.revisions import RevisionMemo, get_one, read_alias, revision_key
from kb.fingerprints import fingerprint_of

from .names import folded, normalise


@dataclass(frozen=True)
class Entry:
    pk: int
    code: str
    name: str
    short_name: str
    pinyin: str
    initials: str
    level: str
    parent_id: int | None


class RegionIndex:
    """Every region, in code order (the API's order), searched without the database: 3,400 short rows; the lookup
    reads a region's chain of ancestors from it too.

    Substrings are found by `str.find` in one string of all names (and one of all pinyin), a line per region, and
    prefixes by bisection in sorted lists: a search costs tens of microseconds rather than a Python loop over every
    region."""

    SEPARATORS = "\n\t"

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = sorted(entries, key=lambda entry: entry.code)
        self.by_code = {entry.code: entry for entry in self.entries}
        self.by_pk = {entry.pk: entry for entry in self.entries}
        self.codes = [entry.code for entry in self.entries]
        by_initials = sorted((entry.initials, n) for n, entry in enumerate(self.entries))
        self.initials = [initials for initials, _n in by_initials]
        self.initials_rows = [n for _initials, n in by_initials]
        self.names, self.name_lines = self.lines(f"{entry.name}\t{entry.short_name}" for entry in self.entries)
        self.pinyin, self.pinyin_lines = self.lines(entry.pinyin for entry in self.entries)

    @staticmethod
    def lines(texts) -> tuple[str, list[int]]:
        """The texts as one string, a line each, and where each line starts."""
        starts, position, parts = [], 0, []
        for text in texts:
            starts.append(position)
            parts.append(text)
            position += len(text) + 1
        return "\n".join(parts), starts

    @staticmethod
    def containing(haystack: str, starts: list[int], term: str) -> set[int]:
        """The lines of `haystack` that contain `term`."""
        found, position = set(), haystack.find(term)
        while position != -1:
            line = bisect.bisect_right(starts, position) - 1
            found.add(line)
            # On to the next line: a line is counted once.
            following = starts[line + 1] if line + 1 < len(starts) else len(haystack)
            position = haystack.find(term, following)
        return found

    @staticmethod
    def prefixed(keys: list[str], prefix: str) -> range:
        """Where the sorted `keys` start with `prefix`."""
        return range(bisect.bisect_left(keys, prefix), bisect.bisect_left(keys, prefix + "\uffff"))

    def chain(self, code: str) -> list[Entry] | None:
        """The region and its ancestors, nearest first, ending at the national root; None for an unknown code."""
        entry = self.by_code.get(code)
        if entry is None:
            return None
        chain = [entry]
        while entry.parent_id is not None:
            entry = self.by_pk[entry.parent_id]
            chain.append(entry)
        return chain

    def search(self, term: str) -> list[int]:
        """The ids of the regions `term` finds, in code order."""
        term = normalise(term)
        if not term:
            return [entry.pk for entry in self.entries]
        if any(separator in term for separator in self.SEPARATORS):
            # Regions' names hold neither; only a name's own text can match, as in the database.
            return [entry.pk for entry in self.entries if term in entry.name or term in entry.short_name]
        found = self.containing(self.names, self.name_lines, term)
        if term.isdigit():
            found.update(self.prefixed(self.codes, term))
        if term.isascii():
            latin = folded(term)
            found |= self.containing(self.pinyin, self.pinyin_lines, latin)
            found.update(self.initials_rows[i] for i in self.prefixed(self.initials, latin))
        return [self.entries[n].pk for n in sorted(found)]


_lock = threading.Lock()
# The index, kept until the regions change, not until the next publish: rebuilding it costs each worker some 30 ms
# of CPU. RevisionMemos, so that whatever empties every worker memo (RevisionMemo.clear_all) empties these too.
_index = RevisionMemo(size=1)
_stamps = RevisionMemo(size=1)


def regions_fingerprint() -> str:
    """What the regions are now, summed up (`kb.fingerprints`); one query per public revision, shared through the
    cache. Every change to a region is saved with its `updated_at` (the import's bulk update sets it too)."""
    from .models import Region

    # Per database too: a replica's index is built from its own snapshot (lookup/cache.py says why).
    key = revision_key("regions-fingerprint", read_alias())
    return get_one(_stamps, key, lambda: repr(fingerprint_of(Region.objects.all())))


def region_index() -> RegionIndex:
    stamp = regions_fingerprint()
    index = _index.get("index", stamp)
    if index is not None:
        return index
    from .models import Region

    with _lock:
        # Threads that arrived together after the regions changed: the first one built it.
        index = _index.get("index", stamp)
        if index is not None:
            return index
        fields = ("pk", "code", "name", "short_name", "pinyin", "initials", "level", "parent_id")
        index = RegionIndex([Entry(*row) for row in Region.objects.values_list(*fields)])
        _index.set("index", index, stamp)
    return index
