"""Which procedures, channels and FAQs concern a region: its own and those of every region above it."""

from django.db.models import Prefetch, Q, QuerySet

from kb.api.filters import listing_or_unlisted
from kb.api.viewsets import published_sources
from passwords.models import CardType
from regions.models import Region

from .choices import ProcedureKind
from .models import Channel, Faq, Procedure


def _for_card_type(queryset: QuerySet, card_type: CardType | None) -> QuerySet:
    if card_type is None:
        return queryset
    return queryset.filter(listing_or_unlisted(queryset, "card_types", [card_type]))


def procedures_for_region(*, chain: list[Region], card_type: CardType | None = None) -> list[Procedure]:
    """Nearest region's procedures first, then by kind, so a region's own way of doing a thing comes first."""
    depth = {region.pk: index for index, region in enumerate(chain)}
    procedures = _for_card_type(Procedure.objects.published().filter(region__in=chain), card_type)
    procedures = procedures.select_related("region", "channel").prefetch_related(
        Prefetch("card_types", queryset=CardType.objects.published()), "steps", published_sources()
    )
    kinds = {kind: index for index, kind in enumerate(ProcedureKind.values)}
    return sorted(procedures, key=lambda p: (depth[p.region_id], kinds[p.kind], p.title, p.slug))


def channels_for_region(*, chain: list[Region]) -> list[Channel]:
    depth = {region.pk: index for index, region in enumerate(chain)}
    channels = Channel.objects.published().filter(region__in=chain).select_related("region")
    return sorted(channels.prefetch_related(published_sources()), key=lambda c: (depth[c.region_id], c.kind, c.name))


def faqs_for_region(
    *, chain: list[Region], card_type: CardType | None = None, procedures: list[Procedure] = ()
) -> list[Faq]:
    """FAQs about the region or a region above it; and FAQs about no region in particular, unless they are
    about procedures that do not apply here (a question on 上海's loss hotline is not for 武汉)."""
    faqs = Faq.objects.published()
    with_regions = Faq.objects.filter(regions__isnull=False).values("pk")
    with_procedures = Faq.objects.filter(procedures__isnull=False).values("pk")
    about_applicable = Faq.objects.filter(procedures__in=[p.pk for p in procedures]).values("pk")
    concerned = Q(regions__in=chain) | (
        ~Q(pk__in=with_regions) & (~Q(pk__in=with_procedures) | Q(pk__in=about_applicable))
    )
    faqs = faqs.filter(pk__in=Faq.objects.filter(concerned).values("pk"))
    return list(_for_card_type(faqs, card_type).prefetch_related(published_sources()).order_by("slug"))
