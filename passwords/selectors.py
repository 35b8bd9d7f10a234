"""Which rules and policies apply in a region: the nearest region that says something wins.

Precedence, for each password (and card type):
1. Only published rows valid on the day asked about (rules) on the region or one of its ancestors count.
2. Rows are grouped by (card type, password); a group's rows come from the nearest region that has any, and
   broader regions' rows for that group are left out. All rows of that nearest region stay, so that rules for
   different groups of insured people, and disagreeing claims, are shown side by side with their standing.
3. A rule for one card type stated on a broader region gives way to a rule for every card type stated on a
   nearer region: 武汉's all-cards 1234 outranks the nationwide hearsay about first-generation cards.
4. With a card type asked for, only rows for that card type and rows for every card type take part.
"""

import datetime
from collections.abc import Iterable
from typing import TypeVar

from django.db.models import Q, QuerySet

from kb.api.viewsets import published_sources
from regions.models import Region
from sources.choices import Standing

from .choices import Password
from .models import CardType, DefaultPasswordRule, PasswordPolicy, RegionScoped

Row = TypeVar("Row", bound=RegionScoped)

PASSWORD_ORDER = {value: index for index, value in enumerate(Password.values)}
STANDING_ORDER = {value: index for index, value in enumerate(Standing.values)}


def nearest_first(rows: Iterable[Row], chain: list[Region]) -> list[Row]:
    depth = {region.pk: index for index, region in enumerate(chain)}
    nearest: dict[tuple[int | None, str], int] = {}
    for row in rows:
        key = (row.card_type_id, row.password)
        nearest[key] = min(nearest.get(key, len(chain)), depth[row.region_id])

    def applies(row: Row) -> bool:
        own_depth = depth[row.region_id]
        if own_depth != nearest[(row.card_type_id, row.password)]:
            return False
        all_cards_depth = nearest.get((None, row.password))
        return row.card_type_id is None or all_cards_depth is None or all_cards_depth >= own_depth

    kept = [row for row in rows if applies(row)]
    return sorted(
        kept,
        key=lambda row: (
            PASSWORD_ORDER[row.password],
            row.card_type.slug if row.card_type_id else "",
            depth[row.region_id],
            STANDING_ORDER[row.standing],
            getattr(row, "valid_from", None) or datetime.date.min,
            row.slug,
        ),
    )


def _scoped(queryset: QuerySet, *, chain: list[Region], card_type: CardType | None) -> QuerySet:
    queryset = queryset.published().filter(region__in=chain)
    if card_type is not None:
        queryset = queryset.filter(Q(card_type=card_type) | Q(card_type__isnull=True))
    return queryset.select_related("region", "card_type").prefetch_related(published_sources())


def rules_for_region(
    *, chain: list[Region], card_type: CardType | None = None, on: datetime.date
) -> list[DefaultPasswordRule]:
    rules = _scoped(DefaultPasswordRule.objects, chain=chain, card_type=card_type).filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=on), Q(valid_until__isnull=True) | Q(valid_until__gte=on)
    )
    return nearest_first(rules, chain)


def policies_for_region(*, chain: list[Region], card_type: CardType | None = None) -> list[PasswordPolicy]:
    return nearest_first(_scoped(PasswordPolicy.objects, chain=chain, card_type=card_type), chain)
