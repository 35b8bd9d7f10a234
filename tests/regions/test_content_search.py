"""The admin lists of content that belongs to regions find it by region: Chinese name, pinyin, initials or code prefix,
including the content of the regions below the one named (张家口 finds its counties' rules)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from passwords.models import PasswordPolicy
from procedures.models import Faq
from regions.models import Region
from tests.factories import made, make_channel, make_procedure, make_rule

pytestmark = pytest.mark.django_db

# 桥东区 is a county of 张家口市 (130700); 江岸区 one of 武汉市 (420100).
ZHANGJIAKOU_COUNTY, WUHAN_COUNTY = "130702", "420102"
LISTS = ("passwords_defaultpasswordrule", "passwords_passwordpolicy", "procedures_procedure", "procedures_channel",
         "procedures_faq")  # fmt: skip


def content_in(code: str, tag: str) -> dict[str, str]:
    """One row of every region-scoped kind in the region `code`, as list name → slug."""
    region = Region.objects.get(code=code)
    policy = made(
        PasswordPolicy, slug=f"{tag}-policy", region=region, card_type=None, password="medical_account",
        standing="official", min_length=6, max_length=6, allowed_characters="digits", unlock="bank",
    )  # fmt: skip
    faq = made(Faq, slug=f"{tag}-faq", question="怎样改密码？", answer="到柜台。")
    faq.regions.add(region)
    return {
        "passwords_defaultpasswordrule": make_rule(slug=f"{tag}-rule", region=region).slug,
        "passwords_passwordpolicy": policy.slug,
        "procedures_procedure": make_procedure(slug=f"{tag}-procedure", region=region, title="修改密码").slug,
        "procedures_channel": make_channel(slug=f"{tag}-channel", region=region, name="社保窗口").slug,
        "procedures_faq": faq.slug,
    }


def found(client, changelist: str, term: str) -> set[str]:
    response = client.get(reverse(f"admin:{changelist}_changelist"), {"q": term})
    assert response.status_code == 200
    page = response.content.decode()
    slugs = {obj.slug for obj in response.context["cl"].result_list}
    # What staff see: the rows are on the page, not only in the context.
    assert all(f"/{obj.pk}/change/" in page for obj in response.context["cl"].result_list)
    return slugs


@pytest.mark.parametrize("changelist", LISTS)
@pytest.mark.parametrize("term", ["zjk", "张家口", "1307", "zhangjiakou", "130702", "桥东区"])
def test_searching_a_region_finds_the_content_of_its_counties(admin_client, changelist, term):
    zhangjiakou = content_in(ZHANGJIAKOU_COUNTY, "qiaodong")
    wuhan = content_in(WUHAN_COUNTY, "jiangan")
    slugs = found(admin_client, changelist, term)
    assert zhangjiakou[changelist] in slugs
    assert wuhan[changelist] not in slugs


@pytest.mark.parametrize(
    ("changelist", "term", "expected"),
    [
        ("passwords_defaultpasswordrule", "zjk", "zhangjiakou-123456-from-2022-03-02"),
        ("procedures_channel", "zjk", "zhangjiakou-card-service-centre"),
        ("procedures_faq", "yg", "yanggao-000000"),
    ],
)
def test_searching_a_region_finds_its_own_content(admin_client, changelist, term, expected):
    slugs = found(admin_client, changelist, term)
    assert expected in slugs
    assert not any(slug.startswith("wuhan") for slug in slugs)


def test_text_search_still_finds_titles_and_combines_with_a_region(admin_client):
    content_in(ZHANGJIAKOU_COUNTY, "qiaodong")
    content_in(WUHAN_COUNTY, "jiangan")
    assert {"qiaodong-procedure", "jiangan-procedure"} <= found(admin_client, "procedures_procedure", "修改密码")
    assert "help-family-nhsa-app" in found(admin_client, "procedures_procedure", "亲情账户")
    # Each word narrows the list: a word of the title and a region.
    both = found(admin_client, "procedures_procedure", "修改密码 zjk")
    assert "qiaodong-procedure" in both and "jiangan-procedure" not in both
    assert found(admin_client, "procedures_procedure", "no-such-words-anywhere") == set()


def test_a_faq_in_several_regions_is_listed_once(admin_client):
    faq = made(Faq, slug="twice-faq", question="问", answer="答")
    faq.regions.add(*Region.objects.filter(code__in=["130702", "130703"]))
    response = admin_client.get(reverse("admin:procedures_faq_changelist"), {"q": "张家口"})
    assert [obj.slug for obj in response.context["cl"].result_list].count("twice-faq") == 1


def test_region_search_costs_the_same_queries_however_many_regions_match(admin_client):
    content_in(ZHANGJIAKOU_COUNTY, "qiaodong")
    url = reverse("admin:passwords_defaultpasswordrule_changelist")

    def queries(term: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url, {"q": term}).status_code == 200
        return len(captured)

    # "z" names hundreds of regions, 130702 one: their ids stay a subquery, never a list read back into Python.
    assert queries("z") == queries("130702")
