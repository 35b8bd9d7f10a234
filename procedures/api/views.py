"""Endpoints for channels, procedures and FAQs."""

from django.db.models import Prefetch

from curation.api.writes import STAFF_RELATED, ContentViewSet
from curation.choices import Status
from passwords.models import CardType
from procedures.filtersets import ChannelFilterSet, FaqFilterSet, ProcedureFilterSet
from procedures.models import Channel, Faq, Procedure
from sources.selectors import published_sources

from .serializers import ChannelSerializer, FaqSerializer, ProcedureSerializer
from .staff import StaffChannelSerializer, StaffFaqSerializer, StaffProcedureSerializer


def published_card_types() -> Prefetch:
    return Prefetch("card_types", queryset=CardType.objects.published())


class ChannelViewSet(ContentViewSet):
    # region and sources: ChannelSerializer
    queryset = Channel.objects.select_related("region").prefetch_related(published_sources())
    serializer_class = ChannelSerializer
    staff_queryset = Channel.objects.select_related(*STAFF_RELATED, "region").prefetch_related("sources")
    staff_serializer_class = StaffChannelSerializer
    filterset_class = ChannelFilterSet


class ProcedureViewSet(ContentViewSet):
    # region, channel, card_types, steps (ordered by Step.Meta.ordering) and sources: ProcedureSerializer
    # A procedure whose channel is not published cannot be followed: it is not served either.
    queryset = (
        Procedure.objects.filter(channel__status=Status.PUBLISHED)
        .select_related("region", "channel")
        .prefetch_related(published_card_types(), "steps", published_sources())
    )
    serializer_class = ProcedureSerializer
    staff_queryset = Procedure.objects.select_related(*STAFF_RELATED, "region", "channel").prefetch_related(
        "card_types", "sources", "steps"
    )
    staff_serializer_class = StaffProcedureSerializer
    filterset_class = ProcedureFilterSet


class FaqViewSet(ContentViewSet):
    # regions, card_types, procedures and sources: FaqSerializer
    queryset = Faq.objects.prefetch_related(
        "regions",
        published_card_types(),
        Prefetch("procedures", queryset=Procedure.objects.published()),
        published_sources(),
    )
    serializer_class = FaqSerializer
    staff_queryset = Faq.objects.select_related(*STAFF_RELATED).prefetch_related(
        "regions", "card_types", "procedures", "sources"
    )
    staff_serializer_class = StaffFaqSerializer
    filterset_class = FaqFilterSet
