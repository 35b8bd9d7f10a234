"""The lookup's reads: what is published on a set of regions, and a fingerprint of it for each region that has any.

Only queries; the rows are serialized and cached in `lookup.cache`."""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet, Value

from curation.changes import attach_change_notes
from curation.choices import Status
from kb.fingerprints import summed
from passwords.models import CardType, DefaultPasswordRule, PasswordPolicy
from procedures.api.views import steps_with_channels
from procedures.models import Channel, Faq, Procedure, followable
from regions.models import NATIONAL_CODE, Region
from sources.selectors import published_sources

# The group of rows that every region's fingerprint takes in: no region's id.
EVERYWHERE = 0


@dataclass
class Published:
    """What is published on some regions, each kind with what its serializer reads prefetched."""

    rules: list[DefaultPasswordRule]
    policies: list[PasswordPolicy]
    procedures: list[Procedure]
    channels: list[Channel]
    faqs: list[Faq]


def published_card_types() -> dict[str, str]:
    """The published card types' names by slug."""
    return dict(CardType.objects.published().values_list("slug", "name"))


def published_card_type_media() -> dict[str, str]:
    """The medium (physical or electronic) of each published card type, by slug."""
    return dict(CardType.objects.published().values_list("slug", "medium"))


def stamped(queryset: QuerySet, kind: int, code, ids: str = "pk", updated_at: str = "updated_at") -> QuerySet:
    """`queryset` as (group, `kind`, rows, sum of ids, sum of `updated_at`) per group `code`: a field (a region's id),
    or a Value that puts every row in one group."""
    if isinstance(code, Value):
        queryset = queryset.annotate(group=code)
        code = "group"
    return (
        queryset.order_by()
        .values(code)
        .annotate(kind=Value(kind), **summed(ids, updated_at))
        .values_list(code, "kind", "rows", "ids", "stamps")
    )


def content_fingerprints(codes: Mapping[int, str]) -> dict[str, str]:
    """For each region that something published is stated on (and the root), a fingerprint of that content: it
    changes whenever a row that region's lookup fragment shows is added, removed, or changed. One query.

    Every change moves the `updated_at` of the rows that show it (a step its procedure's, a source every row citing
    it: `curation.signals`), so a region's rows of each kind summed up (`kb.fingerprints`) tell when its fragment
    must be built again. What fragments show of other tables (regions' names, card types) is in every fingerprint."""
    published = Q(status=Status.PUBLISHED)
    # Grouped by region id, named by `codes` (id → code, from the regions' index): no join to the regions' table.
    root = next((pk for pk, code in codes.items() if code == NATIONAL_CODE), None)
    if root is None:
        return {}  # no regions imported yet
    national = Value(root)
    everywhere = Value(EVERYWHERE)
    faq_regions = Faq.regions.through.objects.filter(faq__status=Status.PUBLISHED)
    parts = [
        *(
            stamped(model.objects.filter(published), kind, "region_id")
            for kind, model in enumerate((DefaultPasswordRule, PasswordPolicy, Procedure, Channel))
        ),
        stamped(faq_regions, 4, "region_id", "faq_id", "faq__updated_at"),
        stamped(Faq.objects.filter(published, regions__isnull=True), 5, national),
        # A FAQ's fragment row lists the published procedures it is about, which move only their own `updated_at`.
        stamped(
            faq_regions.filter(faq__procedures__status=Status.PUBLISHED),
            6,
            "region_id",
            "faq__procedures__id",
            "faq__procedures__updated_at",
        ),
        stamped(
            Faq.objects.filter(published, procedures__status=Status.PUBLISHED, regions__isnull=True),
            7,
            national,
            "procedures__id",
            "procedures__updated_at",
        ),
        stamped(Region.objects.all(), 8, everywhere),
        # Published ones only: a draft's save changes no fragment (a published one's changes move the rows naming it).
        stamped(CardType.objects.filter(published), 9, everywhere),
    ]
    found: dict[str | int, list[tuple]] = {NATIONAL_CODE: []}
    for group, *figures in parts[0].union(*parts[1:], all=True):
        if figures[1]:
            # A region the index does not know yet changes every fingerprint: more work, never a stale fragment.
            found.setdefault(codes.get(group, EVERYWHERE), []).append(tuple(figures))
    shared = sorted(found.pop(EVERYWHERE, []))
    return {
        code: hashlib.blake2b(repr((shared, sorted(figures))).encode(), digest_size=8).hexdigest()
        for code, figures in found.items()
    }


def published_on(codes: list[str]) -> Published:
    """Everything published that is stated on these regions; a fixed number of queries for any number of them."""
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
    # A procedure taking a channel that is not published cannot be followed: it is left out with its channel.
    procedures = list(
        Procedure.objects.filter(followable(), **scoped)
        .select_related("region", "channel")
        .prefetch_related(
            Prefetch("card_types", queryset=CardType.objects.published()), steps_with_channels(), published_sources()
        )
    )
    channels = list(Channel.objects.filter(**scoped).select_related("region").prefetch_related(published_sources()))

    # FAQs about one of these regions, and, with the root among them, FAQs about no region in particular.
    faqs = Faq.objects.filter(status=Status.PUBLISHED).prefetch_related(
        "regions",
        Prefetch("card_types", queryset=CardType.objects.published()),
        Prefetch("procedures", queryset=Procedure.objects.published()),
        published_sources(),
    )
    if NATIONAL_CODE in codes:
        faqs = faqs.filter(regions__code__in=codes) | faqs.filter(regions__isnull=True)
    else:
        faqs = faqs.filter(regions__code__in=codes)
    faqs = list(faqs.distinct())
    # One query for the change notes of all five kinds.
    attach_change_notes([*rules, *policies, *procedures, *channels, *faqs])
    return Published(rules, policies, procedures, channels, faqs)
