"""Which rules and policies apply in a region: the nearest region that says something wins.

Precedence, for each password (and card type):
1. Only published rows valid on the day asked about (rules) on the region or one of its ancestors count.
2. Rows are grouped by (card type, password); a group's rows come from the nearest region that has any, and
   broader regions' rows for that group are left out. All rows of that nearest region stay, so that rules for
   different groups of insured people, and disagreeing claims, are shown side by side with their standing.
3. A rule for one card type stated on a broader region gives way to a rule for every card type stated on a
   nearer region: 武汉's all-cards 1234 outranks the nationwide hearsay about first-generation cards.
4. With a card type asked for, only rows for that card type and rows for every card type take part; of these, a
   rule for physical cards only leaves an electronic card type out.
5. With an insurance asked for (employee or resident), rows for the other insurance are left out.

The functions work on the serialized rows the lookup caches per region (see lookup.cache), so that
resolving costs no SQL.
"""

import datetime
from collections.abc import Iterable

from curation.choices import Standing
from passwords.choices import Insurance, Medium, MediumScope, Password

Row = dict
PASSWORD_ORDER = {value: index for index, value in enumerate(Password.values)}
STANDING_ORDER = {value: index for index, value in enumerate(Standing.values)}


def for_card_type(rows: Iterable[Row], card_type: str | None, medium: str | None = None) -> list[Row]:
    """Rows that hold for `card_type` (of `medium`); every row without a card type asked for."""
    if card_type is None:
        return list(rows)
    return [
        row
        for row in rows
        if row["card_type"] in (card_type, None)
        and not (row.get("medium") == MediumScope.PHYSICAL and medium != Medium.PHYSICAL)
    ]


def for_audience(rows: Iterable[Row], insurance: str | None) -> list[Row]:
    """Rows for `insurance` and for everyone insured; every row without an insurance asked for."""
    if insurance is None:
        return list(rows)
    return [row for row in rows if row["insurance"] in (insurance, Insurance.ANY)]


def valid_on(rows: Iterable[Row], day: datetime.date) -> list[Row]:
    # ISO dates compare correctly as strings.
    iso = day.isoformat()
    return [
        row
        for row in rows
        if (row["valid_from"] is None or row["valid_from"] <= iso)
        and (row["valid_until"] is None or iso <= row["valid_until"])
    ]


def nearest_first(rows: Iterable[Row], chain: list[str], *, card_type: str | None = None) -> list[Row]:
    """Keeps the rows that apply under rules 2 to 4 above; `chain` lists region codes, nearest first.

    With a card type asked for, every remaining row holds for that card, so the nearest region wins per password,
    whether its rule names the card or every card."""
    rows = list(rows)
    depth = {code: index for index, code in enumerate(chain)}

    def depth_of(row: Row) -> int:
        return depth[row["resolved_from"]["code"]]

    def group(row: Row) -> tuple[str | None, str]:
        return (None, row["password"]) if card_type is not None else (row["card_type"], row["password"])

    nearest: dict[tuple[str | None, str], int] = {}
    for row in rows:
        nearest[group(row)] = min(nearest.get(group(row), len(chain)), depth_of(row))

    def applies(row: Row) -> bool:
        own = depth_of(row)
        if own != nearest[group(row)]:
            return False
        all_cards = nearest.get((None, row["password"]))
        return row["card_type"] is None or all_cards is None or all_cards >= own

    return sorted(
        (row for row in rows if applies(row)),
        key=lambda row: (
            PASSWORD_ORDER[row["password"]],
            row["card_type"] or "",
            depth_of(row),
            STANDING_ORDER[row["standing"]],
            row.get("valid_from") or "",
            row["slug"],
        ),
    )
