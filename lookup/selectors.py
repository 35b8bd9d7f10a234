"""The lookup's reads: what is published on a set of regions, and which regions have anything published at all.

Only queries; the rows are serialized and cached in `lookup.cache`."""

from dataclasses import dataclass

from django.db.models import Prefetch

from curation.changes import attach_change_notes
from curation.choices import Status
from passwords.models import CardType, DefaultPasswordRule, PasswordPolicy
from procedures.api.views import steps_with_channels
from procedures.models import Channel, Faq, Procedure, followable
from regions.models import NATIONAL_CODE
from sources.selectors import published_sources


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


def codes_with_content() -> frozenset[str]:
    """Codes of the regions that something published is stated on (and the root's); one query."""
    published = {"status": Status.PUBLISHED}
    # One query; each part unordered, as a compound statement requires.
    parts = [
        model.objects.filter(**published).order_by().values_list("region__code")
        for model in (DefaultPasswordRule, PasswordPolicy, Procedure, Channel)
    ]
    faq_regions = Faq.regions.through.objects.filter(faq__status=Status.PUBLISHED).order_by()
    codes = parts[0].union(*parts[1:], faq_regions.values_list("region__code"))
    return frozenset({code for (code,) in codes} | {NATIONAL_CODE})


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
