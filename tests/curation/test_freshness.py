"""The freshness dashboard, the "needs review" filter and the "mark as verified" action."""

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from curation import workflow
from curation.models import ChangeNote
from passwords.models import CardType, DefaultPasswordRule
from procedures.models import Channel
from regions.models import Region
from tests.factories import make_channel, make_rule

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/freshness/"


def staff(role: str) -> User:
    user = User.objects.create_user(f"{role}-user", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def editor_client(client):
    client.force_login(staff("editors"))
    return client


def section(response, name: str) -> str:
    from bs4 import BeautifulSoup

    found = BeautifulSoup(response.content, "html.parser").select_one(f"section#{name}")
    assert found is not None, name
    return found.get_text(" ")


def days_ago(n: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=n)


@pytest.mark.parametrize("role", ["editors", "publishers"])
def test_the_dashboard_shows_the_three_sections_to_editors_and_publishers(client, role):
    client.force_login(staff(role))
    response = client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    for name in ("not-verified", "expired", "gaps"):
        section(response, name)


def test_anonymous_and_non_staff_are_sent_to_the_login(client):
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client.force_login(User.objects.create_user("visitor", password="x"))
    assert client.get(DASHBOARD).status_code == 302


def test_not_verified_lists_never_and_long_ago_checked_content_with_when_and_by_whom(editor_client, admin_user):
    wuhan = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    old = DefaultPasswordRule.objects.get(slug="henan-employee-123456")
    DefaultPasswordRule.objects.filter(pk=old.pk).update(verified_at=days_ago(400), verified_by=admin_user)
    fresh = DefaultPasswordRule.objects.get(slug="shanghai-no-initial-password")
    workflow.mark_verified(fresh, admin_user)
    response = editor_client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en")
    text = section(response, "not-verified")
    links = {obj: url for _, part in response.context["stale"] for obj, url in part["rows"]}
    rows = [obj for _, part in response.context["stale"] for obj, _url in part["rows"]]
    assert wuhan in rows and old in rows and fresh not in rows
    assert links[wuhan] == reverse("admin:passwords_defaultpasswordrule_change", args=[wuhan.pk])
    assert f'href="{links[wuhan]}"' in response.content.decode()
    assert (
        timezone.localtime(days_ago(400)).date().isoformat() in text and admin_user.username in text and "never" in text
    )
    # Drafts are nobody's business here: only what the public reads.
    draft = make_channel(slug="draft-channel", status="draft")
    response = editor_client.get(DASHBOARD)
    assert draft not in [obj for _, part in response.context["stale"] for obj, _url in part["rows"]]
    assert Channel.objects.published().count() == response.context["stale"][2][1]["count"]


def test_the_review_period_comes_from_the_settings(editor_client, admin_user, settings):
    rule = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    DefaultPasswordRule.objects.filter(pk=rule.pk).update(verified_at=days_ago(40), verified_by=admin_user)
    settings.CONTENT_REVIEW_AFTER_DAYS = 30
    rows = [obj for _, part in editor_client.get(DASHBOARD).context["stale"] for obj, _url in part["rows"]]
    assert rule in rows
    settings.CONTENT_REVIEW_AFTER_DAYS = 60
    rows = [obj for _, part in editor_client.get(DASHBOARD).context["stale"] for obj, _url in part["rows"]]
    assert rule not in rows


def test_expired_rules_are_listed(editor_client):
    response = editor_client.get(DASHBOARD)
    expired = [rule.slug for rule, _url in response.context["expired"]["rows"]]
    assert expired == ["zhangjiakou-123456-until-2022-03-01"]
    assert "2022-03-01" in section(response, "expired")


def gap_codes(response) -> set[str]:
    groups = response.context["gaps"]["rows"]
    return {group["own"][0].code for group in groups if "own" in group} | {
        region.code for group in groups for region, _url in group["prefectures"]
    }


def test_regions_without_their_own_or_a_provinces_rule_are_listed(editor_client):
    response = editor_client.get(DASHBOARD)
    gaps = gap_codes(response)
    # 湖北 and 河北 have no province-wide rule; 大同's only rules are its county 阳高's.
    assert {"420000", "130000", "140000", "140200"} <= gaps
    # 武汉 and 张家口 state their own; 河南's rule answers 新乡 and every other prefecture of 河南; 上海 has its own.
    assert not {"420100", "130700", "410000", "410700", "410100", "310000", "000000"} & gaps
    assert response.context["gaps"]["count"] == len(gaps)
    add = reverse("admin:passwords_defaultpasswordrule_add")
    assert f'href="{add}?region={Region.objects.get(code="420000").pk}"' in response.content.decode()
    assert "420000" in section(response, "gaps") and "大同市" in section(response, "gaps")


def test_a_rule_closes_a_gap(editor_client):
    make_rule(slug="hubei-rule", region=Region.objects.get(code="420000"), status="published")
    gaps = gap_codes(editor_client.get(DASHBOARD))
    assert "420000" not in gaps and "420500" not in gaps


def test_the_dashboard_runs_a_fixed_number_of_queries(editor_client):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert editor_client.get(DASHBOARD).status_code == 200
        return len(queries.captured_queries)

    before = count()
    county = Region.objects.get(code="420102")
    card_type = CardType.objects.get(slug="ssc-gen2")
    channel = make_channel(status="published")
    for index in range(30):
        make_rule(
            slug=f"stale-{index}",
            region=county,
            card_type=card_type,
            status="published",
            valid_until=datetime.date(2020, 1, 1),
        )
        make_channel(slug=f"stale-channel-{index}", status="published")
    ChangeNote.objects.create(content_object=channel, note="x")
    assert count() == before


def test_the_admin_index_links_the_dashboard(editor_client):
    assert f'href="{DASHBOARD}"' in editor_client.get("/admin/").content.decode()


def test_needs_review_filter(editor_client, admin_user):
    url = reverse("admin:passwords_defaultpasswordrule_changelist")
    checked = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    workflow.mark_verified(checked, admin_user)
    old = DefaultPasswordRule.objects.get(slug="henan-employee-123456")
    DefaultPasswordRule.objects.filter(pk=old.pk).update(verified_at=days_ago(400))
    needing = editor_client.get(url, {"needs_review": "yes"}).context["cl"].result_list
    assert old in needing and checked not in needing
    assert len(needing) == DefaultPasswordRule.objects.count() - 1
    recent = editor_client.get(url, {"needs_review": "no"}).context["cl"].result_list
    assert list(recent) == [checked]


@pytest.mark.parametrize(
    "changelist", ["admin:procedures_procedure_changelist", "admin:procedures_channel_changelist",
                   "admin:procedures_faq_changelist", "admin:passwords_cardtype_changelist",
                   "admin:passwords_passwordpolicy_changelist", "admin:sources_source_changelist"],
)  # fmt: skip
def test_every_content_admin_offers_the_filter(editor_client, changelist):
    response = editor_client.get(reverse(changelist), {"needs_review": "yes"})
    assert response.status_code == 200 and response.context["cl"].result_count > 0


def test_mark_as_verified_action(client, django_capture_on_commit_callbacks):
    editor = staff("editors")
    client.force_login(editor)
    rule = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    full = {"region": "420102", "detail": "full"}
    assert client.get("/api/v1/lookup/", full).status_code == 200  # cached before the check
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:passwords_defaultpasswordrule_changelist"),
            {"action": "workflow_verify", "_selected_action": [rule.pk]},
            follow=True,
        )
    assert response.status_code == 200
    rule.refresh_from_db()
    assert rule.verified_by == editor and timezone.now() - rule.verified_at < datetime.timedelta(minutes=1)
    answer = client.get("/api/v1/lookup/", full).json()
    (shown,) = [r for r in answer["default_passwords"] if r["slug"] == "wuhan-fixed-1234"]
    assert shown["verified_at"] is not None
    assert client.get("/api/v1/password-rules/wuhan-fixed-1234/").json()["verified_at"] == shown["verified_at"]
