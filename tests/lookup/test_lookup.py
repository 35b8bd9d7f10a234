"""/api/v1/lookup/: the whole answer for one region, resolved up the hierarchy, in one request."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from curation.revisions import RevisionMemo
from lookup.answer import lookup_answer
from tests.factories import make_rule
from tests.http import assert_problem

pytestmark = pytest.mark.django_db


def lookup(client, **params) -> dict:
    """The whole answer (the compact default is tested on its own)."""
    response = client.get("/api/v1/lookup/", {"detail": "full", "include": "channels,faqs", **params})
    assert response.status_code == 200, response.content
    return response.json()


def medical(answer: dict) -> list[dict]:
    return [rule for rule in answer["default_passwords"] if rule["password"] == "medical_account"]


def test_a_county_without_rules_answers_with_its_prefectures_rule(client):
    answer = lookup(client, region="420102")
    assert (
        answer["region"] | {"code": "420102", "name": "江岸区", "full_name": "湖北省武汉市江岸区"} == answer["region"]
    )
    assert [a["code"] for a in answer["region"]["ancestors"]] == ["420100", "420000", "000000"]
    rules = medical(answer)
    assert [(r["kind"], r["value"]) for r in rules] == [("fixed", "1234")]
    assert rules[0]["resolved_from"] == {"code": "420100", "name": "武汉市", "level": "prefecture"}
    assert rules[0]["nationwide"] is False and rules[0]["sources"]


def test_a_region_with_nothing_of_its_own_gets_the_nationwide_hearsay_marked_so(client):
    rules = medical(lookup(client, region="320102"))  # 南京市玄武区: no rule anywhere above but the root
    assert {r["value"] for r in rules if r["kind"] == "fixed"} >= {"123456", "888888", "111111", "666666"}
    assert all(r["nationwide"] and r["resolved_from"]["code"] == "000000" for r in rules)
    assert "official" not in {r["standing"] for r in rules}


def test_the_nearest_region_wins_and_broader_rules_are_left_out(client):
    values = {r["value"] for r in medical(lookup(client, region="410702"))}  # a district of 新乡
    assert values == {"123456"}
    resolved = {r["resolved_from"]["code"] for r in medical(lookup(client, region="410702"))}
    assert resolved == {"410700"}  # not 河南's copy of the same claim, nor the nationwide list


@pytest.mark.parametrize(("day", "must_change"), [("2022-03-01", False), ("2022-03-02", True)])
def test_on_resolves_zhangjiakous_rule_for_that_day(client, day, must_change):
    rules = medical(lookup(client, region="130702", on=day))
    fixed = [r for r in rules if r["value"] == "123456"]
    assert [(r["must_change_before_use"], r["resolved_from"]["code"]) for r in fixed] == [(must_change, "130700")]
    assert lookup(client, region="130702", on=day)["on"] == day


def test_a_card_type_keeps_its_own_rules_and_those_for_every_card(client):
    answer = lookup(client, region="320102", card_type="ssc-gen1")
    assert answer["card_type"] == "ssc-gen1"
    assert {r["card_type"] for r in answer["default_passwords"]} <= {"ssc-gen1", None}
    assert "birthdate_yymmdd" in {r["kind"] for r in answer["default_passwords"]}
    assert all(not p["card_types"] or "ssc-gen1" in p["card_types"] for p in answer["procedures"])


def test_a_nearer_rule_for_every_card_outranks_a_broader_card_specific_one(client):
    kinds = {r["kind"] for r in medical(lookup(client, region="420102", card_type="ssc-gen1"))}
    assert kinds == {"fixed"}  # 武汉's 1234, not the nationwide first-generation birth-date hearsay


def test_several_rules_of_the_nearest_region_stand_side_by_side(client):
    rules = medical(lookup(client, region="140221"))  # 阳高县: new and previously insured
    assert {(r["value"], r["enrolment"]) for r in rules} == {("000000", "new"), ("000000", "existing")}


def test_procedures_are_the_regions_own_first_then_inherited_with_steps_in_order(client):
    procedures = lookup(client, region="310101")["procedures"]  # 黄浦区, in 上海
    regions = [p["resolved_from"]["code"] for p in procedures]
    assert regions == sorted(regions, key=lambda code: ["310000", "000000"].index(code))
    assert "310000" in regions and "000000" in regions
    for procedure in procedures:
        assert [s["position"] for s in procedure["steps"]] == list(range(1, len(procedure["steps"]) + 1))
        assert {"kind", "name", "phone", "url"} <= procedure["channel"].keys()


def test_one_call_answers_the_initial_password_and_how_to_change_it_by_phone(client):
    answer = lookup(client, region="420102")
    assert medical(answer)[0]["value"] == "1234"
    by_phone = [p for p in answer["procedures"] if p["kind"] == "change_password" and p["channel"]["kind"] == "hotline"]
    assert by_phone and by_phone[0]["channel"]["phone"] == "12333" and by_phone[0]["steps"]


def test_channels_are_the_regions_own_and_national_ones(client):
    channels = lookup(client, region="510703")["channels"]  # a district of 绵阳
    phones = {c["phone"] for c in channels}
    assert {"0816-12393", "12333"} <= phones and "0838-26733" not in phones


def test_faqs_concern_the_region_or_its_procedures(client):
    slugs = {f["slug"] for f in lookup(client, region="410702")["faqs"]}
    assert {"xinxiang-activate-by-phone", "is-yibaoma-a-password"} <= slugs
    assert not slugs & {"wuhan-initial-password", "shanghai-initial-password", "yanggao-000000"}


def test_faqs_in_the_lookup_carry_their_change_notes(client):
    from curation.models import ChangeNote
    from procedures.models import Faq

    ChangeNote.objects.create(
        content_object=Faq.objects.get(slug="xinxiang-activate-by-phone"),
        note="电话号码已核对",
        changed_on="2026-11-01",
    )
    faqs = {f["slug"]: f for f in lookup(client, region="410702")["faqs"]}
    assert faqs["xinxiang-activate-by-phone"]["changes"] == [{"date": "2026-11-01", "note": "电话号码已核对"}]
    assert faqs["is-yibaoma-a-password"]["changes"] == []


def test_policies_resolve_like_rules(client):
    policies = lookup(client, region="410702")["password_policy"]
    medical_policies = [p for p in policies if p["password"] == "medical_account"]
    assert {p["resolved_from"]["code"] for p in medical_policies} == {"410700"}


def test_drafts_never_appear(client):
    make_rule(slug="draft-wuhan", status="draft", value="999999", region=_region("420100"))
    assert "999999" not in {r["value"] for r in lookup(client, region="420102")["default_passwords"]}


def _region(code):
    from regions.models import Region

    return Region.objects.get(code=code)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({}, "region"),
        ({"region": "4201"}, "region"),
        ({"region": "42010a"}, "region"),
        ({"region": "420102", "on": "2022-02-30"}, "on"),
        ({"region": "420102", "on": "tomorrow"}, "on"),
        ({"region": "420102", "card_type": "platinum"}, "card_type"),
        ({"region": "420102", "include": "channels,notes"}, "include"),
        ({"region": "420102", "include": "channels,"}, "include"),
        ({"region": "420102", "detail": "everything"}, "detail"),
    ],
)
def test_malformed_parameters_are_400_naming_the_parameter(client, params, parameter):
    assert_problem(client.get("/api/v1/lookup/", params), 400, "invalid_parameter", parameter)


def test_the_default_answer_is_compact_and_the_whole_one_is_asked_for(client):
    from lookup.serializers import COMPACT

    compact = client.get("/api/v1/lookup/", {"region": "420102"}).json()
    whole = lookup(client, region="420102")
    assert set(compact) == {
        "region", "card_type", "on", "insurance", "card_availability", "default_passwords", "password_policy",
        "procedures",
    }  # fmt: skip
    # The same rows in the same order, each with the compact fields only, and their values unchanged.
    for section, fields in COMPACT.items():
        assert [row["slug"] for row in compact[section]] == [row["slug"] for row in whole[section]]
        for short, full in zip(compact[section], whole[section], strict=True):
            assert set(short) == set(fields)
            assert {name: short[name] for name in short if fields[name] is None} == {
                name: full[name] for name in short if fields[name] is None
            }
    first = whole["procedures"][0]
    assert compact["procedures"][0]["steps"] == [
        {"instruction": step["instruction"], "ui_path": step["ui_path"], "channel": step["channel"]}
        for step in first["steps"]
    ]
    assert compact["procedures"][0]["channel"]["name"] == first["channel"]["name"]
    # Sections come when asked for, in the compact answer as in the whole one.
    with_faqs = client.get("/api/v1/lookup/", {"region": "420102", "include": "faqs"}).json()
    assert with_faqs["faqs"] == whole["faqs"] and "channels" not in with_faqs


def test_an_unknown_region_is_404(client):
    assert_problem(client.get("/api/v1/lookup/", {"region": "999999"}), 404, "not_found")


def count_queries(client, code: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        lookup(client, region=code)
    return len(queries.captured_queries)


def test_a_cold_lookup_runs_the_same_fixed_number_of_queries_anywhere(client):
    counts = []
    for code in ("420102", "310101", "000000", "140221", "320102"):
        cache.clear()
        RevisionMemo.clear_all()
        counts.append(count_queries(client, code))
    # revision, the regions' fingerprint and index, the fragments' fingerprints, card types' availability, and the
    # fragments' fixed set of queries, for any number of regions
    assert counts == [counts[0]] * len(counts) and counts[0] <= 21, counts


def test_once_fragments_are_cached_a_new_lookup_costs_no_query(client):
    lookup(client, region="420102")
    # Another district of 武汉: its chain comes from the regions' index, its fragments are its prefecture's.
    assert count_queries(client, "420103") == 0
    assert count_queries(client, "420103") == 0  # the same question again: served from the cache


@pytest.mark.parametrize("code", ["000000", "420000", "420100", "420102", "110101"])
def test_the_region_read_from_the_index_is_shown_as_its_serializer_shows_it(code):
    from lookup.cache import region_chain
    from lookup.serializers import LookupRegionSerializer
    from regions.models import Region

    region = Region.objects.get(code=code)
    chain = region_chain(code)
    assert chain["region"] == LookupRegionSerializer(region).data
    assert chain["codes"] == [code, *(ancestor.code for ancestor in region.ancestors())]
    assert region_chain("999999") is None


def test_selector_directly():
    answer = lookup_answer(code="420102", card_type=None, on=datetime.date(2024, 1, 1), full=True)
    assert [r["value"] for r in answer["default_passwords"] if r["password"] == "medical_account"] == ["1234"]
    assert lookup_answer(code="999999", card_type=None, on=datetime.date(2024, 1, 1)) is None


def test_with_a_card_type_a_nearer_card_rule_hides_a_broader_all_cards_rule(client):
    make_rule(slug="jiangan-gen2", region=_region("420102"), card_type=_card_type("ssc-gen2"), value="999999",
              status="published")  # fmt: skip
    rules = medical(lookup(client, region="420102", card_type="ssc-gen2"))
    assert [(r["value"], r["resolved_from"]["code"]) for r in rules] == [("999999", "420102")]


def _card_type(slug):
    from passwords.models import CardType

    return CardType.objects.get(slug=slug)
