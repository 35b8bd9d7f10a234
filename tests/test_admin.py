"""Every model's admin pages render for staff, in Chinese by default and in English on request."""

import pytest
from bs4 import BeautifulSoup
from django.contrib import admin
from django.urls import reverse

pytestmark = pytest.mark.django_db

MODELS = [
    model
    for model in admin.site._registry
    if model._meta.app_label in {"regions", "sources", "passwords", "procedures"}
    # The audit log is written by the workflow, never through the admin; tests/test_workflow_admin.py reads it.
    and model._meta.model_name != "auditentry"
]


@pytest.fixture(autouse=True)
def change_note(db):
    """The curated content has no change notes; one makes their list and change page worth rendering."""
    from curation.models import ChangeNote
    from passwords.models import DefaultPasswordRule

    ChangeNote.objects.create(content_object=DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234"), note="核对")


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_renders_with_content(admin_client, model):
    response = admin_client.get(url(model, "changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count > 0


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_add_page_renders(admin_client, model):
    assert admin_client.get(url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_change_page_renders(admin_client, model):
    obj = model.objects.order_by("pk").first()
    assert admin_client.get(url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize(
    ("model_name", "term", "expected"),
    [
        ("regions.Region", "wuhan", "420100"),
        ("passwords.DefaultPasswordRule", "wuhan", "wuhan-fixed-1234"),
        ("passwords.DefaultPasswordRule", "张家口", "zhangjiakou-123456-from-2022-03-02"),
        ("procedures.Procedure", "shanghai", "shanghai-report-loss-phone"),
        ("procedures.Procedure", "亲情账户", "help-family-nhsa-app"),
        ("procedures.Channel", "510700", "mianyang-yibao-hotline"),
        ("procedures.Faq", "阳高", "yanggao-000000"),
        ("passwords.CardType", "电子凭证", "medical-insurance-voucher"),
        ("sources.Source", "华夏高考网", "xinxiang-yibaoka-yuanshi-mima"),
    ],
)
def test_search_by_chinese_pinyin_and_code_finds_the_row(admin_client, model_name, term, expected):
    from django.apps import apps

    model = apps.get_model(model_name)
    response = admin_client.get(url(model, "changelist"), {"q": term})
    found = [getattr(obj, "slug", None) or obj.code for obj in response.context["cl"].result_list]
    assert expected in found


def test_labels_are_chinese_by_default_and_english_on_request(admin_client):
    from procedures.models import Procedure

    chinese = admin_client.get(url(Procedure, "changelist")).content.decode()
    assert "办理流程" in chinese
    english = admin_client.get(url(Procedure, "changelist"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "procedures" in english.lower() and "办理流程" not in english


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    from regions.models import Region

    response = client.get(url(Region, "changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_site_icon_is_served_at_the_root_and_linked_from_the_admin(client, admin_client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon" and response.content.startswith(b"\0\0\1\0")
    assert "public" in response["Cache-Control"] and "max-age=86400" in response["Cache-Control"]
    assert client.head("/favicon.ico").status_code == 200
    assert client.post("/favicon.ico").status_code == 405

    for page in (client.get("/admin/login/"), admin_client.get("/admin/")):
        icon = BeautifulSoup(page.content, "html.parser").select_one("link[rel=icon]")
        assert icon is not None and icon["href"].endswith("kb/favicon.ico")
