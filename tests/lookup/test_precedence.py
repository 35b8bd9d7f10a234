"""The lookup's precedence rules, on hand-built rows: which of the rules stated along a region's chain apply.

The chain is 洪山区 (420111) → 武汉市 (420100) → 湖北省 (420000) → nationwide (000000). Each row is written as
"region/card/password/standing" (card `*` for every card type); the expected answer lists the rows that apply, in
the order the lookup shows them.
"""

import datetime

import pytest

from lookup.precedence import for_card_type, nearest_first, valid_on

CHAIN = ["420111", "420100", "420000", "000000"]
SHORT = {"district": "420111", "city": "420100", "province": "420000", "nation": "000000"}
PASSWORDS = {"med": "medical_account", "fin": "financial_account"}
STANDINGS = {"off": "official", "wide": "widely_reported", "unv": "unverified"}


def row(spec: str, *, valid_from: str | None = None, valid_until: str | None = None) -> dict:
    region, card, password, standing = spec.split("/")
    return {
        "slug": spec,
        "resolved_from": {"code": SHORT[region]},
        "card_type": None if card == "*" else card,
        "password": PASSWORDS[password],
        "standing": STANDINGS[standing],
        "valid_from": valid_from,
        "valid_until": valid_until,
    }


def resolve(specs: list[str], card_type: str | None = None) -> list[str]:
    rows = [row(spec) for spec in specs]
    return [
        r["slug"].replace("-all-", "-*-")
        for r in nearest_first(for_card_type(rows, card_type), CHAIN, card_type=card_type)
    ]


def names(specs: list[str]) -> list[str]:
    return [spec.replace("/", "-") for spec in specs]


CASES = [
    # (rows stated along the chain, card type asked for, rows that apply)
    pytest.param(["nation/gen1/med/wide", "city/gen1/med/unv"], None, ["city/gen1/med/unv"], id="nearest-wins"),
    pytest.param(
        ["city/gen1/med/unv", "city/gen1/med/off"],
        None,
        ["city/gen1/med/off", "city/gen1/med/unv"],
        id="same-region-rows-stay-side-by-side-official-first",
    ),
    pytest.param(
        ["nation/gen1/med/wide", "city/gen2/med/unv"],
        None,
        ["nation/gen1/med/wide", "city/gen2/med/unv"],
        id="different-cards-do-not-compete",
    ),
    pytest.param(
        ["nation/gen1/med/wide", "city/*/med/unv"],
        None,
        ["city/*/med/unv"],
        id="nearer-every-card-outranks-broader-card",
    ),
    pytest.param(
        ["nation/*/med/wide", "city/gen1/med/unv"],
        None,
        ["nation/*/med/wide", "city/gen1/med/unv"],
        id="nearer-card-rule-leaves-broader-every-card-rule-for-other-cards",
    ),
    pytest.param(
        ["province/gen1/med/off", "district/gen1/fin/unv"],
        None,
        ["province/gen1/med/off", "district/gen1/fin/unv"],
        id="passwords-are-independent",
    ),
    pytest.param(
        ["nation/*/med/wide", "city/gen1/med/unv"], "gen1", ["city/gen1/med/unv"], id="asked-card-nearest-per-password"
    ),
    pytest.param(
        ["nation/*/med/wide", "city/gen1/med/unv"],
        "gen2",
        ["nation/*/med/wide"],
        id="asked-card-ignores-other-cards-rules",
    ),
    pytest.param(
        ["nation/gen1/med/wide", "province/*/med/off"],
        "gen1",
        ["province/*/med/off"],
        id="asked-card-every-card-nearer",
    ),
    pytest.param(["nation/gen2/med/wide"], "gen1", [], id="asked-card-nothing-applies"),
    pytest.param([], None, [], id="nothing-stated"),
]


@pytest.mark.parametrize(("specs", "card_type", "expected"), CASES)
def test_the_rules_that_apply(specs, card_type, expected):
    assert resolve(specs, card_type) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2022-03-01", ["old"]),  # the last day of the old rule
        ("2022-03-02", ["new"]),  # the first day of the new one
        ("1999-01-01", ["old"]),
        ("2030-01-01", ["new"]),
    ],
)
def test_a_rule_applies_from_its_first_to_its_last_day(day, expected):
    old = row("city/gen1/med/off", valid_until="2022-03-01") | {"slug": "old"}
    new = row("city/gen1/med/off", valid_from="2022-03-02") | {"slug": "new"}
    applying = valid_on([old, new], datetime.date.fromisoformat(day))
    assert [r["slug"] for r in nearest_first(applying, CHAIN)] == expected


def test_an_expired_nearer_rule_leaves_the_broader_rule_in_force():
    expired = row("city/gen1/med/off", valid_until="2020-12-31")
    national = row("nation/gen1/med/wide")
    applying = valid_on([expired, national], datetime.date(2021, 1, 1))
    assert [r["slug"] for r in nearest_first(applying, CHAIN)] == [national["slug"]]
