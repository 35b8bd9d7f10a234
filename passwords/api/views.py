"""Endpoints for card types, default-password rules and password policies."""

from django.db.models import Prefetch

from curation.api.viewsets import PublishedContentViewSet
from curation.api.writes import STAFF_RELATED, StaffContentViewSet
from passwords.filtersets import CardTypeFilterSet, DefaultPasswordRuleFilterSet, PasswordPolicyFilterSet
from passwords.models import CardType, CardTypeAvailability, DefaultPasswordRule, PasswordPolicy
from passwords.selectors import published_availability
from sources.selectors import published_sources

from .serializers import CardTypeSerializer, DefaultPasswordRuleSerializer, PasswordPolicySerializer
from .staff import StaffCardTypeSerializer, StaffDefaultPasswordRuleSerializer, StaffPasswordPolicySerializer


class CardTypeViewSet(PublishedContentViewSet):
    # availability and sources: CardTypeSerializer
    queryset = CardType.objects.prefetch_related(published_availability(), published_sources()).order_by("slug")
    serializer_class = CardTypeSerializer
    filterset_class = CardTypeFilterSet


class CardTypeStaffViewSet(StaffContentViewSet):
    public = CardTypeViewSet
    # availability (every statement, whatever its source's status) and sources: StaffCardTypeSerializer
    queryset = CardType.objects.select_related(*STAFF_RELATED).prefetch_related(
        Prefetch("availability", queryset=CardTypeAvailability.objects.select_related("region", "source")), "sources"
    )
    serializer_class = StaffCardTypeSerializer


class DefaultPasswordRuleViewSet(PublishedContentViewSet):
    # region, card_type and sources: DefaultPasswordRuleSerializer
    queryset = DefaultPasswordRule.objects.select_related("region", "card_type").prefetch_related(published_sources())
    serializer_class = DefaultPasswordRuleSerializer
    filterset_class = DefaultPasswordRuleFilterSet


class DefaultPasswordRuleStaffViewSet(StaffContentViewSet):
    public = DefaultPasswordRuleViewSet
    queryset = DefaultPasswordRule.objects.select_related(*STAFF_RELATED, "region", "card_type").prefetch_related(
        "sources"
    )
    serializer_class = StaffDefaultPasswordRuleSerializer


class PasswordPolicyViewSet(PublishedContentViewSet):
    queryset = PasswordPolicy.objects.select_related("region", "card_type").prefetch_related(published_sources())
    serializer_class = PasswordPolicySerializer
    filterset_class = PasswordPolicyFilterSet


class PasswordPolicyStaffViewSet(StaffContentViewSet):
    public = PasswordPolicyViewSet
    queryset = PasswordPolicy.objects.select_related(*STAFF_RELATED, "region", "card_type").prefetch_related("sources")
    serializer_class = StaffPasswordPolicySerializer
