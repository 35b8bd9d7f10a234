"""/api/v1/card-types/, /api/v1/password-rules/ and /api/v1/password-policies/."""

import pytest

from curation.models import ChangeNote
from passwords.filtersets import DefaultPasswordRuleFilterSet
from passwords.models import DefaultPasswordRule
from regions.models import Region
from tests.factories import make_rule
from tests.http import assert_problem, results

pytestmark = pytest.mark.django_db


def slugs(response) -> list[str]:
    return [row["slug"] for row in results(response)]


def test_card_type_detail_by_slug(client):
    body = client.get("/api/v1/card-types/ssc-gen2/").json()
    assert body["medium"] == "physical" and body["has_financial_account"] is True
    assert body["sources"] and {"slug", "title", "publisher", "url"} <= body["sources"][0].keys()


def test_rule_fields(client):
    rule = results(client.get("/api/v1/password-rules/", {"region": "420100", "kind": "fixed"}))[0]
    assert rule | {"region": {"code": "420100", "name": "武汉市", "level": "prefecture"}, "value": "1234"} == rule
    assert {"card_type", "password", "standing", "valid_from", "valid_until", "must_change_before_use"} <= rule.keys()


def test_value_is_null_unless_fixed(client):
    rules = results(client.get("/api/v1/password-rules/", {"page_size": 100}))
    assert "fixed" in {rule["kind"] for rule in rules} and len({rule["kind"] for rule in rules}) > 1
    for rule in rules:
        assert (rule["value"] is not None) == (rule["kind"] == "fixed"), rule


@pytest.mark.parametrize(
    ("day", "must_change"),
    [("2022-03-01", False), ("2022-03-02", True)],
)
def test_valid_on_around_zhangjiakous_change(client, day, must_change):
    rules = results(client.get("/api/v1/password-rules/", {"region": "130700", "valid_on": day, "kind": "fixed"}))
    # The article that only guesses (666666, 888888) gives no dates: its rules hold on both days.
    assert sorted((r["value"], r["must_change_before_use"]) for r in rules) == [
        ("123456", must_change),
        ("666666", False),
        ("888888", False),
    ]


def test_region_within_collects_a_province(client):
    found = {r["region"]["code"] for r in results(client.get("/api/v1/password-rules/", {"region_within": "410000"}))}
    assert found == {"410000", "410700"}


def test_card_type_filter_keeps_rules_for_every_card(client):
    rules = results(
        client.get("/api/v1/password-rules/", {"region": "000000", "card_type": "ssc-gen1", "page_size": 100})
    )
    assert {r["card_type"] for r in rules} == {"ssc-gen1", None}


def test_standing_filter(client):
    rules = results(client.get("/api/v1/password-rules/", {"standing": "widely_reported", "page_size": 100}))
    assert rules and {r["standing"] for r in rules} == {"widely_reported"}


def test_drafts_are_not_listed_and_have_no_detail(client):
    draft = make_rule(slug="draft-rule", status="draft")
    assert draft.slug not in slugs(client.get("/api/v1/password-rules/", {"page_size": 100}))
    assert_problem(client.get("/api/v1/password-rules/draft-rule/"), 404, "not_found")


def test_archived_rule_is_gone_and_points_to_its_successor(client):
    successor = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    make_rule(slug="old-rule", status="archived", replaced_by=successor)
    body = assert_problem(client.get("/api/v1/password-rules/old-rule/"), 410, "gone")
    assert body["successor"] == "http://testserver/api/v1/password-rules/wuhan-fixed-1234/"
    make_rule(slug="older-rule", status="archived")
    assert assert_problem(client.get("/api/v1/password-rules/older-rule/"), 410, "gone")["successor"] is None


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"valid_on": "2022-02-30"}, "valid_on"),
        ({"valid_on": "yesterday"}, "valid_on"),
        ({"kind": "birthday"}, "kind"),
        ({"password": "pin"}, "password"),
        ({"card_type": "platinum"}, "card_type"),
        ({"region": "4201"}, "region"),
        ({"standing": "rumour"}, "standing"),
    ],
)
def test_malformed_rule_filters_are_400(client, params, parameter):
    assert_problem(client.get("/api/v1/password-rules/", params), 400, "invalid_parameter", parameter)


def test_policies_list_and_filter(client):
    policies = results(client.get("/api/v1/password-policies/", {"region": "410700"}))
    assert [(p["min_length"], p["max_length"], p["allowed_characters"]) for p in policies] == [(6, 6, "digits")]


def test_filterset_valid_on_directly():
    queryset = DefaultPasswordRuleFilterSet(
        {"region": "130700", "valid_on": "2022-03-02", "kind": "fixed"}, DefaultPasswordRule.objects.all()
    ).qs
    assert sorted(queryset.values_list("slug", flat=True)) == [
        "zhangjiakou-123456-from-2022-03-02",
        "zhangjiakou-alt-666666",
        "zhangjiakou-alt-888888",
    ]


@pytest.mark.parametrize("count", [1, 100])
def test_rule_list_query_count_does_not_grow(client, django_assert_num_queries, revision_cached, count):
    county = Region.objects.get(code="420102")
    for index in range(count):
        rule = make_rule(slug=f"bulk-{index}", region=county, status="published")
        ChangeNote.objects.create(content_object=rule, note=f"第{index}次修订")
    # the region filter's code, count, the page's ids, its rows (region and card type joined), their sources, their
    # change notes
    with django_assert_num_queries(6):
        rows = results(client.get("/api/v1/password-rules/", {"region": "420102", "page_size": 100}))
    assert sorted(row["changes"][0]["note"] for row in rows) == sorted(f"第{index}次修订" for index in range(count))


@pytest.mark.parametrize(("path", "queries"), [("/api/v1/card-types/", 6), ("/api/v1/password-policies/", 5)])
def test_other_lists_have_constant_query_counts(client, django_assert_num_queries, revision_cached, path, queries):
    # count, the page's ids, the rows not yet rendered, their sources, their change notes; and the card types'
    # availability
    with django_assert_num_queries(queries):
        client.get(path, {"page_size": 1})
    with django_assert_num_queries(queries):
        client.get(path, {"page_size": 100})
