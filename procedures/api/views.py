"""Endpoints for channels, procedures and FAQs."""

from django.db.models import Prefetch

from curation.api.viewsets import PublishedContentViewSet
from curation.api.writes import STAFF_RELATED, StaffContentViewSet
from passwords.models import CardType
from procedures.filtersets import ChannelFilterSet, FaqFilterSet, ProcedureFilterSet
from procedures.models import Channel, Faq, Procedure, Step, followable
from sources.selectors import published_sources

from .serializers import ChannelSerializer, FaqSerializer, ProcedureSerializer
from .staff import StaffChannelSerializer, StaffFaqSerializer, StaffProcedureSerializer


def published_card_types() -> Prefetch:
    return Prefetch("card_types", queryset=CardType.objects.published())


def steps_with_channels() -> Prefetch:
    """Prefetched for StepSerializer.channel and ProcedureSerializer.channels: each step with the channel it names."""
    return Prefetch("steps", queryset=Step.objects.select_related("channel"))


class ChannelViewSet(PublishedContentViewSet):
    # region and sources: ChannelSerializer
    queryset = Channel.objects.select_related("region").prefetch_related(published_sources())
    serializer_class = ChannelSerializer
    filterset_class = ChannelFilterSet


class ChannelStaffViewSet(StaffContentViewSet):
    public = ChannelViewSet
    queryset = Channel.objects.select_related(*STAFF_RELATED, "region").prefetch_related("sources")
    serializer_class = StaffChannelSerializer


class ProcedureViewSet(PublishedContentViewSet):
    # region, channel, card_types, steps (ordered by Step.Meta.ordering) and sources: ProcedureSerializer
    # A procedure taking a channel that is not published cannot be followed: it is not served either.
    queryset = (
        Procedure.objects.filter(followable())
        .select_related("region", "channel")
        .prefetch_related(published_card_types(), steps_with_channels(), published_sources())
    )
    serializer_class = ProcedureSerializer
    filterset_class = ProcedureFilterSet


class ProcedureStaffViewSet(StaffContentViewSet):
    public = ProcedureViewSet
    queryset = Procedure.objects.select_related(*STAFF_RELATED, "region", "channel").prefetch_related(
        "card_types", "sources", steps_with_channels()
    )
    serializer_class = StaffProcedureSerializer


class FaqViewSet(PublishedContentViewSet):
    # regions, card_types, procedures and sources: FaqSerializer
    queryset = Faq.objects.prefetch_related(
        "regions",
        published_card_types(),
        Prefetch("procedures", queryset=Procedure.objects.published()),
        published_sources(),
    )
    serializer_class = FaqSerializer
    filterset_class = FaqFilterSet


class FaqStaffViewSet(StaffContentViewSet):
    public = FaqViewSet
    queryset = Faq.objects.select_related(*STAFF_RELATED).prefetch_related(
        "regions", "card_types", "procedures", "sources"
    )
    serializer_class = StaffFaqSerializer
