"""/api/v1/regions/: list, detail by code, filters and search."""

import pytest

from regions.filtersets import RegionFilterSet
from regions.models import Region
from tests.http import assert_problem, results

pytestmark = pytest.mark.django_db


def codes(response) -> list[str]:
    return [region["code"] for region in results(response)]


def test_detail_by_code(client):
    body = client.get("/api/v1/regions/420102/").json()
    assert body == body | {
        "code": "420102",
        "name": "江岸区",
        "full_name": "湖北省武汉市江岸区",
        "level": "county",
        "parent": "420100",
        "pinyin": "jianganqu",
        "initials": "jaq",
    }


def test_unknown_code_is_404_and_malformed_address_is_404(client):
    assert_problem(client.get("/api/v1/regions/999999/"), 404, "not_found")
    assert_problem(client.get("/api/v1/regions/12345/"), 404, "not_found")


def test_list_is_paginated_with_count_and_links(client):
    body = client.get("/api/v1/regions/", {"page_size": 10}).json()
    assert body["count"] == Region.objects.count()
    assert len(body["results"]) == 10 and body["previous"] is None
    assert body["next"].endswith("/api/v1/regions/?page=2&page_size=10")


@pytest.mark.parametrize(
    ("term", "expected"),
    [("张家口", "130700"), ("zhangjiakou", "130700"), ("zjk", "130700"), ("1307", "130700"), ("wuhan", "420100")],
)
def test_search_by_chinese_pinyin_initials_and_code_prefix(client, term, expected):
    assert expected in codes(client.get("/api/v1/regions/", {"search": term}))


def test_search_by_code_prefix_lists_the_subtree(client):
    found = codes(client.get("/api/v1/regions/", {"search": "1307", "page_size": 100}))
    assert found[0] == "130700" and all(code.startswith("1307") for code in found) and len(found) > 10


def test_level_and_parent_filters_combine(client):
    found = codes(client.get("/api/v1/regions/", {"parent": "420000", "level": "prefecture", "page_size": 100}))
    assert "420100" in found and "420102" not in found
    assert set(Region.objects.filter(code__in=found).values_list("level", flat=True)) == {"prefecture"}


def test_region_within_includes_the_region_and_everything_below(client):
    found = codes(client.get("/api/v1/regions/", {"region_within": "420100", "page_size": 100}))
    assert found[0] == "420100" and "420102" in found and "420000" not in found


def test_ordering_by_pinyin(client):
    found = results(client.get("/api/v1/regions/", {"level": "province", "ordering": "pinyin", "page_size": 100}))
    assert [r["pinyin"] for r in found] == sorted(r["pinyin"] for r in found)


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"level": "city"}, "level"),
        ({"parent": "42"}, "parent"),
        ({"region_within": "abcdef"}, "region_within"),
        ({"ordering": "secret"}, "ordering"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"page_size": "0"}, "page_size"),
        ({"page": "-1"}, "page"),
        ({"search": "x" * 51}, "search"),
    ],
)
def test_malformed_filters_are_400_naming_the_parameter(client, params, parameter):
    assert_problem(client.get("/api/v1/regions/", params), 400, "invalid_parameter", parameter)


def test_updated_since_lists_only_later_changes(client):
    Region.objects.filter(code="420102").update(updated_at="2099-01-01T00:00:00Z")
    assert codes(client.get("/api/v1/regions/", {"updated_since": "2098-12-31T00:00:00Z"})) == ["420102"]


def test_filterset_directly():
    queryset = RegionFilterSet({"search": "zjk"}, Region.objects.all()).qs
    assert list(queryset.values_list("code", flat=True)) == ["130700"]


@pytest.mark.parametrize("page_size", [1, 100])
def test_list_query_count_does_not_grow_with_page_size(client, django_assert_num_queries, revision_cached, page_size):
    # count, the page's ids, the rows to render
    with django_assert_num_queries(3):
        assert len(results(client.get("/api/v1/regions/", {"page_size": page_size}))) == page_size
    # rows rendered once are reused by any later page: only count and ids are read
    with django_assert_num_queries(2):
        assert len(results(client.get("/api/v1/regions/", {"page_size": page_size, "ordering": "code"}))) == page_size


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("１３０７", "1307"),
        ("ｚｊｋ", "zjk"),
        ("張家口", "张家口"),
        ("ＺＨＡＮＧ　ＪＩＡ", "zhang jia"),
        ("廣州", "广州"),
    ],
)
def test_full_width_and_traditional_forms_find_what_their_plain_forms_find(client, typed, plain):
    expected = results(client.get("/api/v1/regions/", {"search": plain, "page_size": 100}))
    assert expected
    assert results(client.get("/api/v1/regions/", {"search": typed, "page_size": 100})) == expected
    # The filters on other resources and the admin search through the database: the same regions.
    assert set(Region.objects.search(typed).values_list("code", flat=True)) == {region["code"] for region in expected}


@pytest.mark.parametrize(
    "term", ["张家口", "zhangjiakou", "jiakou", "zjk", "Z J K", "1307", "42", "江", "", "  ", "qu"]
)
def test_the_index_and_the_database_find_the_same_regions_in_the_same_order(client, term):
    indexed = client.get("/api/v1/regions/", {"search": term, "page_size": 100, "page": 1}).json()
    # With another filter (here one that changes nothing), the search runs in the database.
    through_sql = client.get("/api/v1/regions/", {"search": term, "page_size": 100, "region_within": "000000"}).json()
    assert indexed["count"] == through_sql["count"]
    assert indexed["results"] == through_sql["results"]


def test_a_repeated_search_reads_nothing_from_the_database(client, django_assert_num_queries, revision_cached):
    client.get("/api/v1/regions/", {"search": "zhang", "page_size": 100})
    # A new search: the index and the rows are held, only the answer is new.
    with django_assert_num_queries(0):
        body = client.get("/api/v1/regions/", {"search": "zhangj", "page_size": 5}).json()
    assert body["results"] and all("zhangj" in region["pinyin"] for region in body["results"])


def test_the_index_outlives_a_publish_of_content_and_not_a_change_to_a_region(client, committed):
    from passwords.models import DefaultPasswordRule
    from regions.search import region_index

    index = region_index()

    def edit_a_rule():
        rule = DefaultPasswordRule.objects.filter(status="published").first()
        rule.note = "改过的说明"
        rule.save()

    committed(edit_a_rule)
    # The public revision moved; the regions did not, and rebuilding the index costs each worker its CPU.
    assert region_index() is index

    def rename_a_county():
        county = Region.objects.get(code="130702")
        county.name = "新改名区"
        county.save()

    committed(rename_a_county)
    assert region_index() is not index
    found = client.get("/api/v1/regions/", {"search": "新改名"}).json()["results"]
    assert [region["code"] for region in found] == ["130702"]
