"""Reads behind the lookup: per-region fragments of published content, cached by content revision.

A lookup combines what is stated on a region and on each of its ancestors. What is stated on one region does not
depend on who asks, so it is serialized once per content revision and language and kept in the cache as that
region's fragment; a lookup then fetches at most four fragments and resolves precedence in Python. Most of the
3,400 regions hold nothing of their own: the set of regions that do is cached too, so those cost nothing.
After a publish, the first lookups rebuild the fragments they need (a fixed number of queries for any number of
regions); from then on a lookup that is not itself cached costs one query, for its chain of regions.
"""

import datetime
import json

from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.utils.translation import get_language

from kb.api.viewsets import published_sources
from passwords.models import CardType, DefaultPasswordRule, PasswordPolicy
from passwords.selectors import for_card_type, nearest_first, valid_on
from regions.models import NATIONAL_CODE, Region
from regions.selectors import region_with_ancestors
from sources.changes import attach_change_notes
from sources.choices import Status
from sources.revisions import RevisionMemo, current_revision, revision_key

from .api.serializers import (
    ChannelSerializer,
    LookupFaqSerializer,
    LookupPolicySerializer,
    LookupProcedureSerializer,
    LookupRegionSerializer,
    LookupRuleSerializer,
)
from .choices import ProcedureKind
from .models import Channel, Faq, Procedure

KIND_ORDER = {kind: index for index, kind in enumerate(ProcedureKind.values)}
FRAGMENT_PARTS = ("rules", "policies", "procedures", "channels", "faqs")


# Fragments, chains and sets a worker keeps in its own memory; their keys name the revision, so they never go stale.
LOCAL = RevisionMemo(size=2048)


def cached(key: str, build):
    revision = current_revision().token
    value = LOCAL.get(key, revision)
    if value is None:
        value = cache.get(key)
        if value is None:
            value = build()
            cache.set(key, value)
        LOCAL.set(key, value, revision)
    return value


def plain(data) -> list | dict:
    """Serializer output as plain lists and dicts: cheaper to cache and to read back than DRF's ReturnList."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def published_card_type_slugs() -> frozenset[str]:
    return cached(
        revision_key("card-types"), lambda: frozenset(CardType.objects.published().values_list("slug", flat=True))
    )


def regions_with_content() -> frozenset[str]:
    """Codes of the regions that something published is stated on; one query per content revision."""

    def build() -> frozenset[str]:
        published = {"status": Status.PUBLISHED}
        # One query; each part unordered, as a compound statement requires.
        parts = [
            model.objects.filter(**published).order_by().values_list("region__code")
            for model in (DefaultPasswordRule, PasswordPolicy, Procedure, Channel)
        ]
        faq_regions = Faq.regions.through.objects.filter(faq__status=Status.PUBLISHED).order_by()
        codes = parts[0].union(*parts[1:], faq_regions.values_list("region__code"))
        return frozenset({code for (code,) in codes} | {NATIONAL_CODE})

    return cached(revision_key("regions-with-content"), build)


def region_chain(code: str) -> dict | None:
    """The region as the lookup shows it, and the codes of its chain, nearest first; None for an unknown code."""

    def build():
        try:
            chain = region_with_ancestors(code=code)
        except Region.DoesNotExist:
            return {"unknown": True}
        return {"region": plain(LookupRegionSerializer(chain[0]).data), "codes": [region.code for region in chain]}

    found = cached(revision_key("chain", code, get_language()), build)
    return None if found.get("unknown") else found


def build_fragments(codes: list[str]) -> dict[str, dict[str, list]]:
    """Everything published that is stated on each of these regions, serialized; a fixed number of queries."""
    fragments = {code: {part: [] for part in FRAGMENT_PARTS} for code in codes}
    scoped = {"status": Status.PUBLISHED, "region__code__in": codes}

    rules = list(
        DefaultPasswordRule.objects.filter(**scoped)
        .select_related("region", "card_type")
        .prefetch_related(published_sources())
    )
    policies = list(
        PasswordPolicy.objects.filter(**scoped)
        .select_related("region", "card_type")
        .prefetch_related(published_sources())
    )
    # A procedure whose channel is not published cannot be followed: it is left out with its channel.
    procedures = list(
        Procedure.objects.filter(**scoped, channel__status=Status.PUBLISHED)
        .select_related("region", "channel")
        .prefetch_related(Prefetch("card_types", queryset=CardType.objects.published()), "steps", published_sources())
    )
    channels = list(Channel.objects.filter(**scoped).select_related("region").prefetch_related(published_sources()))

    # FAQs about a region go to its fragment; FAQs about no region in particular go to the root's.
    faqs = Faq.objects.filter(status=Status.PUBLISHED).prefetch_related(
        "regions",
        Prefetch("card_types", queryset=CardType.objects.published()),
        Prefetch("procedures", queryset=Procedure.objects.published()),
        published_sources(),
    )
    wanted = set(codes)
    if NATIONAL_CODE in wanted:
        faqs = faqs.filter(regions__code__in=codes) | faqs.filter(regions__isnull=True)
    else:
        faqs = faqs.filter(regions__code__in=codes)
    faqs = list(faqs.distinct())
    # One query for the change notes of all five kinds.
    attach_change_notes([*rules, *policies, *procedures, *channels, *faqs])

    for row in LookupRuleSerializer(rules, many=True).data:
        fragments[row["resolved_from"]["code"]]["rules"].append(row)
    for row in LookupPolicySerializer(policies, many=True).data:
        fragments[row["resolved_from"]["code"]]["policies"].append(row)
    for row in LookupProcedureSerializer(procedures, many=True).data:
        fragments[row["resolved_from"]["code"]]["procedures"].append(row)
    for row in ChannelSerializer(channels, many=True).data:
        fragments[row["region"]["code"]]["channels"].append(row)

    for faq in faqs:
        row = dict(LookupFaqSerializer(faq).data)
        regions = {region.code for region in faq.regions.all()}
        row["_procedures"] = [procedure.slug for procedure in faq.procedures.all()]
        row["_card_types"] = [card_type.slug for card_type in faq.card_types.all()]
        for code in (regions & wanted) if regions else {NATIONAL_CODE} & wanted:
            fragments[code]["faqs"].append(row)
    return plain(fragments)


def region_fragments(codes: list[str]) -> dict[str, dict[str, list]]:
    revision = current_revision().token
    language = get_language()
    keys = {code: revision_key("fragment", code, language) for code in codes}
    fragments = {code: LOCAL.get(key, revision) for code, key in keys.items()}
    fragments = {code: fragment for code, fragment in fragments.items() if fragment is not None}
    if len(fragments) < len(codes):
        found = cache.get_many([key for code, key in keys.items() if code not in fragments])
        fragments |= {code: found[key] for code, key in keys.items() if key in found}
    missing = [code for code in codes if code not in fragments]
    if missing:
        built = build_fragments(missing)
        cache.set_many({keys[code]: fragment for code, fragment in built.items()})
        fragments |= built
    for code, fragment in fragments.items():
        LOCAL.set(keys[code], fragment, revision)
    return fragments


def lookup_answer(*, code: str, card_type: str | None, on: datetime.date) -> dict | None:
    chain = region_chain(code)
    if chain is None:
        return None
    codes = chain["codes"]
    with_content = regions_with_content()
    fragments = region_fragments([c for c in codes if c in with_content])

    def gather(part: str) -> list[dict]:
        return [row for c in codes if c in fragments for row in fragments[c][part]]

    depth = {c: index for index, c in enumerate(codes)}
    procedures = sorted(
        (p for p in gather("procedures") if card_type is None or not p["card_types"] or card_type in p["card_types"]),
        key=lambda p: (depth[p["resolved_from"]["code"]], KIND_ORDER[p["kind"]], p["title"], p["slug"]),
    )
    applicable = {p["slug"] for p in procedures}
    faqs: dict[str, dict] = {}
    for faq in gather("faqs"):
        about_elsewhere = faq["_procedures"] and not applicable.intersection(faq["_procedures"])
        other_card = card_type is not None and faq["_card_types"] and card_type not in faq["_card_types"]
        if not about_elsewhere and not other_card:
            faqs[faq["slug"]] = {key: value for key, value in faq.items() if not key.startswith("_")}
    return {
        "region": chain["region"],
        "card_type": card_type,
        "on": on.isoformat(),
        "default_passwords": nearest_first(
            for_card_type(valid_on(gather("rules"), on), card_type), codes, card_type=card_type
        ),
        "password_policy": nearest_first(for_card_type(gather("policies"), card_type), codes, card_type=card_type),
        "procedures": procedures,
        "channels": sorted(gather("channels"), key=lambda c: (depth[c["region"]["code"]], c["kind"], c["name"])),
        "faqs": [faqs[slug] for slug in sorted(faqs)],
    }
