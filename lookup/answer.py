"""The lookup's answer for a region, a card type and a day, assembled from cached fragments without SQL.

`lookup_answer` resolves precedence over the fragments' rows on every call. The API's view asks `rendered_answer`,
which keeps each answer's sections rendered to JSON in the worker, under what decides them: most lookups that the
response cache has never seen (a county asked for the first time, another day) then cost no resolving and no
encoding of their 25–110 kB, only the few fields that name the request around the sections' bytes.
"""

import bisect
import datetime

import orjson
from django.utils.translation import get_language

from curation.revisions import RevisionMemo, SizedRevisionMemo, current_revision, read_alias
from kb.api.renderers import dumps
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
# The fields of an answer that name the request rather than the content: all the others are its sections.
NAMING = ("region", "card_type", "on", "insurance")

# Sections rendered (orjson.Fragment), by what decides them, the least recently asked for given up beyond 32 MB (some
# 1,000 compact answers); and the days on which a chain's answers change. Both are kept by the worker alone:
# rebuilding an entry costs a millisecond or two of CPU, less than a round trip to Redis and unpickling 25–110 kB.
RENDERED = SizedRevisionMemo(max_bytes=32 << 20)
DATED = RevisionMemo(size=2048)


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


def rendered_answer(
    *,
    code: str,
    card_type: str | None,
    on: datetime.date,
    insurance: str | None = None,
    include: frozenset[str] = frozenset(),
    full: bool = False,
) -> dict | None:
    """`lookup_answer`'s answer, its sections as pre-rendered JSON (for kb.api.renderers, which copies them as they
    are): what `kb.api.renderers.dumps` makes of it is what it makes of `lookup_answer`'s.

    The sections depend on the region only through the regions of its chain that something is stated on (most
    counties state nothing and show their prefecture's), and on the day only through which of the dates those
    statements name (a rule's validity, a card's issue and withdrawal) it falls before or after: both are in the
    key, so the counties of a prefecture share their sections, on every day between two such dates."""
    chain = region_chain(code)
    if chain is None:
        return None
    revision = current_revision().token
    fingerprints = fragment_fingerprints()
    stated = availability_regions(revision)
    relevant = tuple(c for c in chain["codes"] if c in fingerprints or c in stated)
    where = (read_alias(), get_language())
    # Keys name the revision too: a thread still answering under the last one may store after a newer has emptied it.
    dates = DATED.get((revision, where, relevant), revision)
    if dates is None:
        dates = changing_days(relevant, fingerprints)
        DATED.set((revision, where, relevant), dates, revision)
    starts, ends = dates
    iso = on.isoformat()
    # How many starts the day has reached and how many ends it has passed decide every date comparison in the answer.
    period = (bisect.bisect_right(starts, iso), bisect.bisect_left(ends, iso))
    key = (where, relevant, card_type, insurance, include, full, period)
    sections = RENDERED.get(key, revision)
    if sections is None:
        answer = lookup_answer(code=code, card_type=card_type, on=on, insurance=insurance, include=include, full=full)
        rendered = {name: dumps(value) for name, value in answer.items() if name not in NAMING}
        sections = {name: orjson.Fragment(value) for name, value in rendered.items()}
        RENDERED.set(key, sections, revision, size=sum(map(len, rendered.values())))
    return {"region": chain["region"], "card_type": card_type, "on": iso, "insurance": insurance, **sections}


def availability_regions(revision: str) -> frozenset[str]:
    """The codes of the regions a card type's issue or withdrawal is stated on."""
    codes = DATED.get((revision, "availability"), revision)
    if codes is None:
        codes = frozenset(row["region"]["code"] for rows in card_availability().values() for row in rows)
        DATED.set((revision, "availability"), codes, revision)
    return codes


def changing_days(codes: tuple[str, ...], fingerprints: dict[str, str]) -> tuple[list[str], list[str]]:
    """The ISO days stated on these regions from which something holds (a rule's `valid_from`, a card's issue or
    withdrawal), and those until which a rule holds (`valid_until`), each sorted."""
    starts, ends = set(), set()
    fragments = region_fragments([c for c in codes if c in fingerprints], fingerprints)
    for fragment in fragments.values():
        for rule in fragment["rules"]:
            starts.add(rule["valid_from"])
            ends.add(rule["valid_until"])
    wanted = set(codes)
    for rows in card_availability().values():
        for row in rows:
            if row["region"]["code"] in wanted:
                starts.update((row["issued_from"], row["withdrawn_from"]))
    return sorted(starts - {None}), sorted(ends - {None})


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
