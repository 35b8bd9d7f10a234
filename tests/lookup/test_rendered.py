"""The API's lookup keeps each answer's sections rendered, under what decides them (lookup/answer.py).

Counties of one prefecture share them, on every day between two dates their rules and cards name. Every test here
asks in one worker without emptying any cache, so that an answer kept under too broad a key would be given where it
is wrong; each answer is compared with the one `lookup_answer` resolves from scratch."""

import datetime
import json

import pytest

from lookup.answer import lookup_answer
from passwords.models import CardType, CardTypeAvailability
from regions.models import Region
from sources.models import Source
from tests.factories import make_rule

pytestmark = pytest.mark.django_db

# Counties of 张家口 (a rule from 2022-03-02) and of 新乡 (in 河南, whose resident card is withdrawn from 2020-01-01).
ZHANGJIAKOU = ["130702", "130703", "130708", "130709"]
XINXIANG = ["410702", "410703", "410704", "410711"]


def asked(client, code: str, day: str, **params) -> dict:
    response = client.get("/api/v1/lookup/", {"region": code, "on": day, **params})
    assert response.status_code == 200, response.content
    return response.json()


def resolved(code: str, day: str, **params) -> dict:
    """The answer as `lookup_answer` resolves it, through JSON as the API's is."""
    answer = lookup_answer(
        code=code,
        card_type=params.get("card_type"),
        on=datetime.date.fromisoformat(day),
        insurance=params.get("insurance"),
        include=frozenset(params["include"].split(",")) if "include" in params else frozenset(),
        full=params.get("detail") == "full",
    )
    return json.loads(json.dumps(answer, ensure_ascii=False))


def state_card(code: str, **days: str) -> None:
    """A published statement of the resident card's issue or withdrawal on the region `code`."""
    CardTypeAvailability.objects.create(
        card_type=CardType.objects.get(slug="resident-medical-card"),
        region=Region.objects.get(code=code),
        source=Source.objects.filter(status="published").first(),
        **days,
    )


def days_around(*days: str) -> list[str]:
    around = set()
    for day in days:
        moment = datetime.date.fromisoformat(day)
        around |= {(moment + datetime.timedelta(days=shift)).isoformat() for shift in (-1, 0, 1)}
    return sorted(around)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"detail": "full", "include": "channels,faqs"},
        {"card_type": "resident-medical-card"},
        {"insurance": "resident", "detail": "full"},
    ],
)
def test_each_county_on_each_day_gets_what_resolving_it_afresh_gives(client, params):
    days = days_around("2020-01-01", "2022-03-02")
    for counties in (ZHANGJIAKOU, XINXIANG):
        # Each county on each day, in an order where neighbours ask on either side of every date in turn.
        for index, day in enumerate(days + days[::-1]):
            code = counties[index % len(counties)]
            assert asked(client, code, day, **params) == resolved(code, day, **params), (code, day)


def test_the_first_and_last_day_of_a_rules_validity_are_in_it_and_the_days_beyond_are_not(client):
    make_rule(
        slug="zhangjiakou-summer-only",
        region=Region.objects.get(code="130700"),
        value="246810",
        valid_from="2024-06-01",
        valid_until="2024-08-31",
        status="published",
    )
    shown = {}
    for index, day in enumerate(days_around("2024-06-01", "2024-08-31")):
        code = ZHANGJIAKOU[index % len(ZHANGJIAKOU)]
        answer = asked(client, code, day, detail="full")
        assert answer == resolved(code, day, detail="full")
        shown[day] = "246810" in {rule["value"] for rule in answer["default_passwords"]}
    assert shown == {
        "2024-05-31": False,
        "2024-06-01": True,
        "2024-06-02": True,
        "2024-08-30": True,
        "2024-08-31": True,
        "2024-09-01": False,
    }


def test_a_card_issued_from_a_day_is_not_yet_issued_the_day_before_in_every_county(client):
    state_card("130700", issued_from="2023-05-10")
    statuses = {}
    for index, day in enumerate(["2023-05-10", "2023-05-09", "2023-05-11", "2023-05-08"]):
        code = ZHANGJIAKOU[index % len(ZHANGJIAKOU)]
        answer = asked(client, code, day, card_type="resident-medical-card")
        assert answer == resolved(code, day, card_type="resident-medical-card")
        statuses[day] = [row["status"] for row in answer["card_availability"]]
    assert statuses == {
        "2023-05-08": ["not_yet_issued"],
        "2023-05-09": ["not_yet_issued"],
        "2023-05-10": ["issued"],
        "2023-05-11": ["issued"],
    }


def test_a_county_with_a_rule_of_its_own_does_not_share_its_prefectures_answer(client):
    make_rule(slug="xuanhua-own", region=Region.objects.get(code="130708"), value="135790", status="published")
    for code in ("130702", "130708", "130703", "130708"):
        answer = asked(client, code, "2025-01-01")
        assert answer == resolved(code, "2025-01-01")
        assert ("135790" in {rule["value"] for rule in answer["default_passwords"]}) is (code == "130708")
        assert answer["region"]["code"] == code


def test_a_county_where_only_a_cards_withdrawal_is_stated_does_not_share_its_prefectures_answer(client):
    state_card("130703", withdrawn_from="2021-01-01")
    for code in ("130702", "130703", "130709", "130703"):
        answer = asked(client, code, "2025-01-01")
        assert answer == resolved(code, "2025-01-01")
        stated = [(row["region"]["code"], row["status"]) for row in answer["card_availability"]]
        assert (("130703", "withdrawn") in stated) is (code == "130703")
