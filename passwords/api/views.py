"""Read-only endpoints for card types, default-password rules and password policies."""

from kb.api.viewsets import PublishedContentViewSet, published_sources
from passwords.filtersets import CardTypeFilterSet, DefaultPasswordRuleFilterSet, PasswordPolicyFilterSet
from passwords.models import CardType, DefaultPasswordRule, PasswordPolicy

from .serializers import CardTypeSerializer, DefaultPasswordRuleSerializer, PasswordPolicySerializer


class CardTypeViewSet(PublishedContentViewSet):
    # sources: CardTypeSerializer.sources
    queryset = CardType.objects.prefetch_related(published_sources()).order_by("slug")
    serializer_class = CardTypeSerializer
    filterset_class = CardTypeFilterSet


class DefaultPasswordRuleViewSet(PublishedContentViewSet):
    # region, card_type and sources: DefaultPasswordRuleSerializer
    queryset = DefaultPasswordRule.objects.select_related("region", "card_type").prefetch_related(published_sources())
    serializer_class = DefaultPasswordRuleSerializer
    filterset_class = DefaultPasswordRuleFilterSet


class PasswordPolicyViewSet(PublishedContentViewSet):
    queryset = PasswordPolicy.objects.select_related("region", "card_type").prefetch_related(published_sources())
    serializer_class = PasswordPolicySerializer
    filterset_class = PasswordPolicyFilterSet
