"""Per-region fragments of published content, serialized and cached by what each region holds.

A lookup combines what is stated on a region and on each of its ancestors. What is stated on one region does not
depend on who asks, so it is serialized once per state of that region's content and language and kept in the cache
as that region's fragment; a lookup then fetches at most four fragments and resolves precedence in Python. Most of
the 3,400 regions hold nothing of their own: a fingerprint of each region that does is read once per content
revision (one query), so the others cost nothing. A fragment is kept under its region's fingerprint, not under the
revision: a publish leaves the fragment of every region it did not change where it was, and the commit builds those
of the regions it changed (`prepare_after_publish`; a fixed number of queries for any number of regions). A lookup
that is not itself cached costs no query otherwise: its chain of regions comes from the regions' index each worker
holds (regions/search.py), and each fragment carries its rows in the compact answer's shape as well, picked once.
"""

import json

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation
from django.utils.translation import get_language

from curation.revisions import RevisionMemo, get_many, get_one, read_alias, revision_key
from passwords.selectors import published_availability_rows
from procedures.api.serializers import ChannelSerializer
from regions.models import NATIONAL_CODE, address_name
from regions.search import region_index

from . import selectors
from .serializers import (
    COMPACT,
    CardAvailabilityRowSerializer,
    LookupFaqSerializer,
    LookupPolicySerializer,
    LookupProcedureSerializer,
    LookupRuleSerializer,
)

FRAGMENT_PARTS = ("rules", "policies", "procedures", "channels", "faqs")
# The fragment's parts the compact answer shapes, by the answer's section they go to (serializers.COMPACT).
COMPACT_SECTIONS = {"rules": "default_passwords", "policies": "password_policy", "procedures": "procedures"}
COMPACT_PART = "compact"
# Renamed whenever a fragment's shape or wording changes (a field, a serializer, a translated label): fragments are
# kept by what their region holds, across publishes and releases, so Redis would hand the previous release's to code
# that reads the new shape until they expire.
FRAGMENT_KEY = "fragment-with-compact"

# Fragments and sets a worker keeps in its own memory; their keys name the revision or the content they were built
# from, so they never go stale.
LOCAL = RevisionMemo(size=2048)
# The fingerprints as the last public commit left them, to tell which regions the next one changed.
LAST_FINGERPRINTS_KEY = "kb:fragment-fingerprints:last"
# A commit that changed more regions than this (a region renamed changes every one) leaves their fragments to the
# lookups that need them: the benchmark's 368 regions take seconds per language, which whoever published would wait.
PREPARED_AT_MOST = 64


def picked(value, fields: dict | None):
    """`value` (a row, or a list of rows) with only the fields `fields` names, nested ones in their own shape."""
    if fields is None:
        return value
    if isinstance(value, list):
        return [picked(row, fields) for row in value]
    return {name: picked(value[name], nested) for name, nested in fields.items()}


def cached(key: str, build):
    return get_one(LOCAL, key, build)


def plain(data) -> list | dict:
    """Serializer output as plain lists and dicts: cheaper to cache and to read back than DRF's ReturnList."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def published_card_types() -> dict[str, str]:
    """The published card types' names by slug: what the lookup validates `card_type` against, and what the widget
    names card types by."""
    return cached(revision_key("card-type-names"), selectors.published_card_types)


def published_card_type_media() -> dict[str, str]:
    """Slug → medium of every published card type: what the lookup validates `card_type` against."""
    return cached(revision_key("card-types"), selectors.published_card_type_media)


def card_availability() -> dict[str, list[dict]]:
    """Where and when each published card type is issued or withdrawn, serialized, by card type slug."""

    def build():
        rows: dict[str, list[dict]] = {}
        for row in published_availability_rows():
            rows.setdefault(row.card_type.slug, []).append(plain(CardAvailabilityRowSerializer(row).data))
        return rows

    return cached(revision_key("card-availability", get_language()), build)


def fragment_fingerprints() -> dict[str, str]:
    """The fingerprint of each region's fragment, by code, for the regions that something published is stated on
    (and the root); one query per content revision and database.

    Per database as well: the primary may compute a revision's fingerprints after a later commit, and a replica still
    at that revision must not build its older rows into a fragment stored under the later fingerprint. A replica's
    read is one snapshot (curation/replicas.py), fingerprints and rows alike; on the primary the rows are read after
    the fingerprints, so a fragment is never older than the fingerprint it is stored under."""

    def build() -> dict[str, str]:
        return selectors.content_fingerprints({pk: entry.code for pk, entry in region_index().by_pk.items()})

    return cached(revision_key("fragment-fingerprints", read_alias()), build)


def region_chain(code: str) -> dict | None:
    """The region as the lookup shows it, and the codes of its chain, nearest first; None for an unknown code.

    Read from the regions' index (regions/search.py), which each worker holds until the regions change: no query per
    region."""
    chain = region_index().chain(code)
    if chain is None:
        return None
    region, *ancestors = chain
    return {
        # As LookupRegionSerializer shows a region (tests/lookup pin the two alike).
        "region": {
            "code": region.code,
            "name": region.name,
            "full_name": address_name(chain),
            "level": region.level,
            "ancestors": [{"code": entry.code, "name": entry.name, "level": entry.level} for entry in ancestors],
        },
        "codes": [entry.code for entry in chain],
    }


def build_fragments(codes: list[str]) -> dict[str, dict[str, list]]:
    """Everything published that is stated on each of these regions, serialized; a fixed number of queries."""
    fragments = {code: {part: [] for part in FRAGMENT_PARTS} for code in codes}
    published = selectors.published_on(codes)

    for row in LookupRuleSerializer(published.rules, many=True).data:
        fragments[row["resolved_from"]["code"]]["rules"].append(row)
    for row in LookupPolicySerializer(published.policies, many=True).data:
        fragments[row["resolved_from"]["code"]]["policies"].append(row)
    for row in LookupProcedureSerializer(published.procedures, many=True).data:
        fragments[row["resolved_from"]["code"]]["procedures"].append(row)
    for row in ChannelSerializer(published.channels, many=True).data:
        fragments[row["region"]["code"]]["channels"].append(row)

    # FAQs about a region go to its fragment; FAQs about no region in particular go to the root's.
    wanted = set(codes)
    for faq in published.faqs:
        row = dict(LookupFaqSerializer(faq).data)
        regions = {region.code for region in faq.regions.all()}
        row["_procedures"] = [procedure.slug for procedure in faq.procedures.all()]
        row["_card_types"] = [card_type.slug for card_type in faq.card_types.all()]
        for code in (regions & wanted) if regions else {NATIONAL_CODE} & wanted:
            fragments[code]["faqs"].append(row)
    fragments = plain(fragments)
    # Each row as the compact answer shows it, by slug, picked once here rather than in every answer.
    for fragment in fragments.values():
        fragment[COMPACT_PART] = {
            part: {row["slug"]: picked(row, COMPACT[section]) for row in fragment[part]}
            for part, section in COMPACT_SECTIONS.items()
        }
    return fragments


def region_fragments(codes: list[str], fingerprints: dict[str, str]) -> dict[str, dict[str, list]]:
    """The fragments of these regions, each of which has a fingerprint in `fingerprints` (`fragment_fingerprints`,
    read once by the caller: a second read could be of the next revision, where a region may have none).

    Keyed by each region's fingerprint rather than by the revision: a publish elsewhere leaves a region's fragment
    where it is, and only the regions it changed are built again."""
    language = get_language()
    keys = {code: f"kb:{FRAGMENT_KEY}:{code}:{fingerprints[code]}:{language}" for code in codes}
    return get_many(LOCAL, keys, build_fragments)


def prepare_after_publish() -> None:
    """Builds, in the process that committed a change the public sees, what the first lookups under the new revision
    need (`curation.registry.after_public_commit`): the fingerprints, where card types are issued, and the fragments
    of the regions the change touched, in every language. Other workers then find them in the shared cache, so that
    a lookup right after a publish, of a region it changed or not, runs no query (a worker that has just started
    builds its regions' index)."""
    previous = cache.get(LAST_FINGERPRINTS_KEY)
    fingerprints = fragment_fingerprints()
    cache.set(LAST_FINGERPRINTS_KEY, fingerprints, None)
    # Without the last commit's fingerprints (a cache emptied since) nothing tells which regions changed.
    changed = [code for code, value in fingerprints.items() if previous is not None and previous.get(code) != value]
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            card_availability()
            if len(changed) <= PREPARED_AT_MOST:
                region_fragments(changed, fingerprints)
