"""Endpoints for card types, default-password rules and password policies."""

from curation.api.writes import STAFF_RELATED, ContentViewSet
from passwords.filtersets import CardTypeFilterSet, DefaultPasswordRuleFilterSet, PasswordPolicyFilterSet
from passwords.models import CardType, DefaultPasswordRule, PasswordPolicy
from sources.selectors import published_sources

from .serializers import CardTypeSerializer, DefaultPasswordRuleSerializer, PasswordPolicySerializer
from .staff import StaffCardTypeSerializer, StaffDefaultPasswordRuleSerializer, StaffPasswordPolicySerializer


class CardTypeViewSet(ContentViewSet):
    # sources: CardTypeSerializer.sources
    queryset = CardType.objects.prefetch_related(published_sources()).order_by("slug")
    serializer_class = CardTypeSerializer
    staff_queryset = CardType.objects.select_related(*STAFF_RELATED).prefetch_related("sources")
    staff_serializer_class = StaffCardTypeSerializer
    filterset_class = CardTypeFilterSet


class DefaultPasswordRuleViewSet(ContentViewSet):
    # region, card_type and sources: DefaultPasswordRuleSerializer
    queryset = DefaultPasswordRule.objects.select_related("region", "card_type").prefetch_related(published_sources())
    serializer_class = DefaultPasswordRuleSerializer
    staff_queryset = DefaultPasswordRule.objects.select_related(*STAFF_RELATED, "region", "card_type").prefetch_related(
        "sources"
    )
    staff_serializer_class = StaffDefaultPasswordRuleSerializer
    filterset_class = DefaultPasswordRuleFilterSet


class PasswordPolicyViewSet(ContentViewSet):
    queryset = PasswordPolicy.objects.select_related("region", "card_type").prefetch_related(published_sources())
    serializer_class = PasswordPolicySerializer
    staff_queryset = PasswordPolicy.objects.select_related(*STAFF_RELATED, "region", "card_type").prefetch_related(
        "sources"
    )
    staff_serializer_class = StaffPasswordPolicySerializer
    filterset_class = PasswordPolicyFilterSet
