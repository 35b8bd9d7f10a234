"""Staff find regions by Chinese name, pinyin, initials and code, in the list and in every region picker."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("term", ["wuhan", "武汉", "4201", "wh"])
def test_changelist_search_finds_wuhan(admin_client, term):
    response = admin_client.get(reverse("admin:regions_region_changelist"), {"q": term})
    assert response.status_code == 200
    assert "武汉市" in response.content.decode()


def test_changelist_filters_by_level(admin_client):
    response = admin_client.get(reverse("admin:regions_region_changelist"), {"level__exact": "province"})
    assert response.context["cl"].result_count == 33


@pytest.mark.parametrize(
    ("app", "model", "field"),
    [
        ("passwords", "defaultpasswordrule", "region"),
        ("passwords", "passwordpolicy", "region"),
        ("procedures", "procedure", "region"),
        ("procedures", "channel", "region"),
        ("procedures", "faq", "regions"),
    ],
)
def test_region_pickers_are_autocompletes_that_understand_pinyin(admin_client, app, model, field):
    add_page = admin_client.get(reverse(f"admin:{app}_{model}_add")).content.decode()
    assert f'name="{field}"' in add_page and "admin-autocomplete" in add_page
    response = admin_client.get(
        reverse("admin:autocomplete"), {"app_label": app, "model_name": model, "field_name": field, "term": "wuhan"}
    )
    assert response.status_code == 200
    assert "武汉市（420100）" in [result["text"] for result in response.json()["results"]]
