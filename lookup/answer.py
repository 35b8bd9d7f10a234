"""The lookup's answer for a region, a card type and a day, assembled from cached fragments without SQL."""

import datetime

from passwords.choices import Availability
from procedures.choices import ProcedureKind

from .cache import (
    COMPACT_PART,
    card_availability,
    fragment_fingerprints,
    published_card_type_media,
    region_chain,
    region_fragments,
)
from .precedence import for_audience, for_card_type, nearest_first, valid_on

KIND_ORDER = {kind: index for index, kind in enumerate(ProcedureKind.values)}


def lookup_answer(
    *,
    code: str,
    card_type: str | None,
    on: datetime.date,
    insurance: str | None = None,
    include: frozenset[str] = frozenset(),
    full: bool = False,
) -> dict | None:
    """The answer for `code`: compact unless `full`, with the optional sections named in `include`."""
    answer = whole_answer(code=code, card_type=card_type, on=on, insurance=insurance, compact=not full)
    if answer is None:
        return None
    for section in ("channels", "faqs"):
        if section not in include:
            del answer[section]
    return answer


def availability_in(codes: list[str], card_type: str | None, on: datetime.date) -> list[dict]:
    """For each card type (or the one asked for), the statement nearest to the region, and its status on `on`."""
    depth = {c: index for index, c in enumerate(codes)}
    found = []
    for slug, rows in sorted(card_availability().items()):
        if card_type is not None and slug != card_type:
            continue
        here = [row for row in rows if row["region"]["code"] in depth]
        if not here:
            continue
        row = min(here, key=lambda r: depth[r["region"]["code"]])
        iso = on.isoformat()
        if row["withdrawn_from"] is not None and iso >= row["withdrawn_from"]:
            status = Availability.WITHDRAWN
        elif row["issued_from"] is not None and iso < row["issued_from"]:
            status = Availability.NOT_YET_ISSUED
        else:
            status = Availability.ISSUED
        found.append({"card_type": slug, "status": status.value, **{k: v for k, v in row.items() if k != "card_type"}})
    return found


def whole_answer(
    *, code: str, card_type: str | None, on: datetime.date, insurance: str | None = None, compact: bool = False
) -> dict | None:
    """Every section, resolved; with `compact`, the rows of the sections serializers.COMPACT shapes in that shape."""
    chain = region_chain(code)
    if chain is None:
        return None
    codes = chain["codes"]
    fingerprints = fragment_fingerprints()
    fragments = region_fragments([c for c in codes if c in fingerprints], fingerprints)

    def gather(part: str) -> list[dict]:
        return [row for c in codes if c in fragments for row in fragments[c][part]]

    depth = {c: index for index, c in enumerate(codes)}
    availability = availability_in(codes, card_type, on)
    # Rules and policies of a card type that does not exist there on the day would answer for nothing.
    absent = {row["card_type"] for row in availability if row["status"] != Availability.ISSUED}
    if card_type in absent:
        rules, policies = [], []
    else:
        medium = published_card_type_media().get(card_type) if card_type is not None else None
        rules = [
            row
            for row in for_card_type(for_audience(valid_on(gather("rules"), on), insurance), card_type, medium)
            if row["card_type"] not in absent
        ]
        policies = [
            row for row in for_card_type(gather("policies"), card_type, medium) if row["card_type"] not in absent
        ]
    procedures = sorted(
        (
            p
            for p in for_audience(gather("procedures"), insurance)
            if card_type is None or not p["card_types"] or card_type in p["card_types"]
        ),
        key=lambda p: (depth[p["resolved_from"]["code"]], KIND_ORDER[p["kind"]], p["title"], p["slug"]),
    )
    applicable = {p["slug"] for p in procedures}
    faqs: dict[str, dict] = {}
    for faq in gather("faqs"):
        about_elsewhere = faq["_procedures"] and not applicable.intersection(faq["_procedures"])
        other_card = card_type is not None and faq["_card_types"] and card_type not in faq["_card_types"]
        if not about_elsewhere and not other_card:
            faqs[faq["slug"]] = {key: value for key, value in faq.items() if not key.startswith("_")}
    rules = nearest_first(rules, codes, card_type=card_type)
    policies = nearest_first(policies, codes, card_type=card_type)
    if compact:
        # Rows are resolved whole (precedence reads fields the compact shape leaves out), then shown compact.
        def shown(part: str, rows: list[dict]) -> list[dict]:
            return [fragments[row["resolved_from"]["code"]][COMPACT_PART][part][row["slug"]] for row in rows]

        rules, policies, procedures = (
            shown("rules", rules),
            shown("policies", policies),
            shown("procedures", procedures),
        )
    return {
        "region": chain["region"],
        "card_type": card_type,
        "on": on.isoformat(),
        "insurance": insurance,
        "card_availability": availability,
        "default_passwords": rules,
        "password_policy": policies,
        "procedures": procedures,
        "channels": sorted(gather("channels"), key=lambda c: (depth[c["region"]["code"]], c["kind"], c["name"])),
        "faqs": [faqs[slug] for slug in sorted(faqs)],
    }
