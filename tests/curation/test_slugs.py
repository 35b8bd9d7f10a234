"""Slugs: proposed from the region and title in pinyin when staff leave the box empty, numbered when taken, and an
invalid one refused with one clear message, in the admin and in the write API alike."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from passwords.models import DefaultPasswordRule
from procedures.models import Procedure
from regions.models import Region
from sources.models import Source
from tests.admin_forms import form_data
from tests.factories import make_rule, make_source
from tests.staff import rule_body, staff_client, write

pytestmark = pytest.mark.django_db

ADD_RULE = reverse("admin:passwords_defaultpasswordrule_add")
SLUG_MESSAGE = (
    "只能使用小写字母、数字和夹在它们之间的连字符，例如 wuhan-reset-password；不能有大写字母、空格、下划线或汉字。"
)
# Django's own slug message, which the issue saw ("有效'字段'" in its Chinese); it must never show beside ours.
DJANGO_SLUG_WORDS = ("下划线或者", "underscores or hyphens", "短语")


def rule_form(client, **fields) -> dict[str, list[str]]:
    data = form_data(client.get(ADD_RULE).content)
    data |= {
        "region": [str(Region.objects.get(code="130700").pk)],
        "password": ["medical_account"],
        "kind": ["fixed"],
        "value": ["654321"],
        "standing": ["official"],
        "citations-0-source": [str(Source.objects.filter(status="published").first().pk)],
    }
    return data | {name: [value] for name, value in fields.items()}


def test_the_add_form_says_an_empty_slug_is_proposed(admin_client):
    page = BeautifulSoup(admin_client.get(ADD_RULE).content, "html.parser")
    box = page.select_one("input[name=slug]")
    assert not box.has_attr("required") and not box.get("value")
    assert "留空则按地区和标题的拼音生成一个" in page.select_one("#id_slug_helptext").text


def test_a_rule_added_with_an_empty_slug_gets_one_in_pinyin(admin_client):
    response = admin_client.post(ADD_RULE, rule_form(admin_client, slug=""))
    assert response.status_code == 302
    rule = DefaultPasswordRule.objects.get(value="654321", region__code="130700")
    assert rule.slug == "zhangjiakou-fixed-654321"


def test_a_taken_slug_is_proposed_with_a_number(admin_client):
    make_rule(slug="zhangjiakou-fixed-654321", region=Region.objects.get(code="130700"), value="654321")
    make_rule(slug="zhangjiakou-fixed-654321-2", region=Region.objects.get(code="130700"), value="654321")
    assert admin_client.post(ADD_RULE, rule_form(admin_client, slug="", note="第三条")).status_code == 302
    assert DefaultPasswordRule.objects.get(note="第三条").slug == "zhangjiakou-fixed-654321-3"


def test_a_typed_slug_is_kept(admin_client):
    assert admin_client.post(ADD_RULE, rule_form(admin_client, slug="zjk-own-choice")).status_code == 302
    assert DefaultPasswordRule.objects.filter(slug="zjk-own-choice").exists()


def test_a_refused_form_comes_back_with_the_proposal_to_keep_or_change(admin_client):
    response = admin_client.post(ADD_RULE, rule_form(admin_client, slug="", value="12"))
    assert response.status_code == 200
    assert 'value="zhangjiakou-fixed-12"' in response.content.decode()
    assert not DefaultPasswordRule.objects.filter(region__code="130700", value="12").exists()


def test_a_source_title_is_written_in_pinyin(admin_client):
    add = reverse("admin:sources_source_add")
    data = form_data(admin_client.get(add).content) | {"slug": [""], "title": ["人社局公告"], "publisher": ["人社局"]}
    assert admin_client.post(add, data).status_code == 302
    assert Source.objects.filter(slug="ren-she-ju-gong-gao").exists()
    make_source(slug="shi-yong-yi-bao-ka-xu-zhi")
    assert Source(title="使用医保卡须知！").propose_slug() == "shi-yong-yi-bao-ka-xu-zhi-2"


def test_a_procedure_slug_starts_with_its_region_and_stays_within_the_limit():
    zhangjiakou = Region.objects.get(code="130700")
    title = "在国家医保服务平台App修改医保电子凭证密码（12333）"
    # Cut at a word, with room left for a number: the whole slug would be 90 characters.
    assert Procedure(region=zhangjiakou, title=title).propose_slug() == (
        "zhangjiakou-zai-guo-jia-yi-bao-fu-wu-ping-tai-app-xiu-gai-yi-bao-dian-zi-ping"
    )
    assert Procedure(region=Region.objects.national(), title="修改密码").propose_slug() == "national-xiu-gai-mi-ma"
    long = Procedure(region=zhangjiakou, title="长" * 60).propose_slug()
    assert len(long) <= 80 and not long.endswith("-")


@pytest.mark.parametrize("slug", ["Wuhan_Rule", "wuhan_rule", "武汉规则", "wuhan rule", "wuhan--rule"])
def test_an_invalid_slug_gets_one_clear_message_in_the_admin(admin_client, slug):
    response = admin_client.post(ADD_RULE, rule_form(admin_client, slug=slug))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["slug"]
    assert errors == [SLUG_MESSAGE]
    page = response.content.decode()
    assert SLUG_MESSAGE in page
    assert not any(words in page for words in DJANGO_SLUG_WORDS)


@pytest.mark.parametrize("slug", ["Wuhan_Rule", "武汉规则", "wuhan rule"])
def test_an_invalid_slug_gets_the_same_message_from_the_write_api(slug):
    response = write(staff_client("editors", "editor-slug"), "post", "/api/v1/password-rules/", rule_body(slug=slug))
    assert response.status_code == 400
    assert response.json()["errors"] == [{"parameter": "slug", "detail": SLUG_MESSAGE}]


def test_the_add_form_asks_the_server_for_a_proposal_while_staff_type(admin_client, client):
    page = BeautifulSoup(admin_client.get(ADD_RULE).content, "html.parser")
    assert page.select_one('script[src$="curation/slug.js"]') is not None
    propose = reverse("admin:passwords_defaultpasswordrule_propose_slug")
    assert propose == ADD_RULE.replace("/add/", "/propose-slug/")  # where the script looks for it
    region = Region.objects.get(code="130700").pk
    answer = admin_client.get(propose, {"region": region, "kind": "fixed", "value": "654321", "slug": "ignored"})
    assert answer.json() == {"slug": "zhangjiakou-fixed-654321"}
    # Half a form still gets what it allows: no region yet.
    assert admin_client.get(propose, {"kind": "fixed", "value": "654321"}).json() == {"slug": "fixed-654321"}
    assert client.get(propose, {"region": region}).status_code == 302  # to the sign-in page
