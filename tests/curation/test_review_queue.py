"""Review as a process, in the admin: the review queue and its counts on the index, a published object's pending
edit named on its page, and four eyes saying before the click who cannot publish."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from curation import workflow
from curation.choices import Status
from passwords.models import DefaultPasswordRule
from procedures.models import Faq, Procedure
from tests.factories import make_rule

pytestmark = pytest.mark.django_db

QUEUE = "/admin/review-queue/"


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def page(client, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def queue_rows(client, url: str = QUEUE) -> dict[str, list[str]]:
    """Each row of the queue as its object's name → the text of its cells."""
    rows = page(client, url).select("#review-queue tbody tr")
    return {row.td.a.get_text(): [cell.get_text(" ", strip=True) for cell in row.find_all("td")] for row in rows}


def index_counts(client) -> dict[str, str]:
    links = page(client, "/admin/").select("#review-queue-link a[data-part]")
    return {link["data-part"]: link.strong.get_text() for link in links}


def waiting_in_every_model(editor, publisher, per_model: int) -> list:
    """Pending edits of seeded content in every content model, taking turns: a draft, submitted, scheduled."""
    made = []
    when = timezone.now() + datetime.timedelta(days=3)
    for model in workflow.content_models():
        for n, original in enumerate(model.objects.published().order_by("pk")[:per_model]):
            copy = workflow.start_edit(original, editor)
            if n % 3 >= 1:
                workflow.submit(copy, editor)
            if n % 3 == 2:
                workflow.schedule(copy, publisher, when)
            made.append(copy)
    return made


def test_the_queue_lists_what_waits_with_its_region_kind_and_who_submitted_it_when(editor, publisher, publisher_client):
    procedure = Procedure.objects.published().get(slug="beijing-resident-change-password-platform")
    edit = workflow.start_edit(procedure, editor)
    rule = make_rule(slug="queued-rule", value="246810")
    workflow.submit(rule, editor)
    faq = Faq.objects.published().filter(regions__isnull=False).order_by("pk").first()
    scheduled = workflow.submit(workflow.start_edit(faq, editor), editor)
    workflow.schedule(scheduled, publisher, timezone.now() + datetime.timedelta(days=1))

    rows = queue_rows(publisher_client)

    assert set(rows) == {str(edit), str(rule), str(scheduled)}
    submitted_at = DefaultPasswordRule.history.filter(id=rule.pk).latest("history_date").history_date
    local = timezone.localtime(submitted_at).strftime("%Y-%m-%d %H:%M")
    name, kind, region, waiting, submitted, saved, _ = rows[str(rule)]
    assert (kind, region, waiting) == ("初始密码规则", "武汉市", "审核中")
    assert submitted == f"{editor.username} {local}" and saved == f"{editor.username} {local}"
    assert "queued-rule" not in name  # named, not by its slug
    _, kind, region, waiting, submitted, _, _ = rows[str(edit)]
    assert (kind, region, waiting, submitted) == ("办理流程", "北京市", "待发布修改", "尚未提交")
    assert "已发布内容的修改" in rows[str(edit)][0]
    _, _, region, waiting, _, saved, _ = rows[str(scheduled)]
    assert region == "、".join(r.name for r in faq.regions.all())
    assert waiting.startswith("已定时") and "上线" in waiting
    assert saved.startswith(publisher.username)  # scheduling saved it last

    links = page(publisher_client, QUEUE).select("#review-queue a.review-link")
    assert {link["href"] for link in links} == {change_url(edit), change_url(rule), change_url(scheduled)}
    # Each part on its own, as the index's counts link to it.
    assert set(queue_rows(publisher_client, f"{QUEUE}?part=pending_edit")) == {str(edit)}
    assert set(queue_rows(publisher_client, f"{QUEUE}?part=in_review")) == {str(rule)}
    assert set(queue_rows(publisher_client, f"{QUEUE}?part=scheduled")) == {str(scheduled)}


def test_under_four_eyes_the_queue_marks_what_the_publisher_saved_last(four_eyes, editor, publisher, publisher_client):
    theirs = make_rule(slug="theirs", value="246810")
    workflow.submit(theirs, editor)
    mine = make_rule(slug="mine", value="135790")
    workflow.submit(mine, publisher)

    rows = queue_rows(publisher_client)

    assert "需要另一位发布者" in rows[str(mine)][-1]
    assert "需要另一位发布者" not in rows[str(theirs)][-1]
    with override_settings(FOUR_EYES=False):
        assert "需要另一位发布者" not in queue_rows(publisher_client)[str(mine)][-1]


def test_only_publishers_see_the_queue_and_its_counts(editor_client, publisher_client):
    assert editor_client.get(QUEUE).status_code == 403
    assert page(editor_client, "/admin/").select("#review-queue-link") == []
    # The sidebar of every other page links it too.
    sidebar_link = "#nav-sidebar #nav-curation a[href='/admin/review-queue/']"
    assert page(editor_client, "/admin/passwords/defaultpasswordrule/").select(sidebar_link) == []
    assert Client().get(QUEUE)["Location"].startswith("/admin/login/")
    assert page(publisher_client, "/admin/passwords/defaultpasswordrule/").select(sidebar_link)
    assert page(publisher_client, QUEUE).select_one(sidebar_link)["aria-current"] == "page"


def test_the_index_counts_what_waits_and_links_each_count_to_its_part(editor, publisher, publisher_client):
    assert index_counts(publisher_client) == {"in_review": "0", "pending_edit": "0", "scheduled": "0"}
    waiting_in_every_model(editor, publisher, per_model=3)
    models = len(workflow.content_models())

    assert index_counts(publisher_client) == {
        "in_review": str(models),
        "pending_edit": str(models),
        "scheduled": str(models),
    }
    links = page(publisher_client, "/admin/").select("#review-queue-link a[data-part]")
    assert [link["href"] for link in links] == [
        f"{QUEUE}?part={part}" for part in ("in_review", "pending_edit", "scheduled")
    ]
    assert len(queue_rows(publisher_client, f"{QUEUE}?part=scheduled")) == models


def queries_for(client, url: str) -> int:
    client.get(url)  # content types and permissions are cached from the first request on
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", [QUEUE, "/admin/"])
def test_the_queue_and_the_index_take_as_many_queries_for_many_rows_as_for_one(
    url, editor, publisher, publisher_client, django_assert_max_num_queries
):
    first = waiting_in_every_model(editor, publisher, per_model=1)
    one_each = queries_for(publisher_client, url)
    for copy in first:
        copy.delete()
    waiting_in_every_model(editor, publisher, per_model=3)
    assert len(queue_rows(publisher_client)) == 3 * len(workflow.content_models())

    assert queries_for(publisher_client, url) == one_each
    # One query per content model (and the FAQs' regions), with the session, the user and the admin's own.
    with django_assert_max_num_queries(len(workflow.content_models()) * 2 + 10):
        publisher_client.get(url)


def test_a_published_object_names_its_pending_edit_and_a_second_start_says_so(editor, editor_client):
    original = DefaultPasswordRule.objects.published().get(slug="wuhan-fixed-1234")
    assert page(editor_client, change_url(original)).select(".pending-edit-notice") == []
    edit = workflow.start_edit(original, editor)

    shown = page(editor_client, change_url(original))
    notice = shown.select_one(".pending-edit-notice")
    assert edit.slug in notice.get_text() and notice.a["href"] == change_url(edit)
    assert shown.select("button[value=start_edit]") == []
    assert shown.select_one("a.pending-edit-link")["href"] == change_url(edit)

    start_again = reverse("admin:passwords_defaultpasswordrule_workflow", args=[original.pk, "start_edit"])
    response = editor_client.post(start_again, follow=True)
    assert response.redirect_chain[-1][0] == change_url(original)
    message = BeautifulSoup(response.content, "html.parser").select_one(".messagelist .warning")
    assert "已有一个待发布修改" in message.get_text() and message.a["href"] == change_url(edit)
    assert DefaultPasswordRule.objects.filter(draft_of=original).count() == 1


def test_under_four_eyes_publish_is_disabled_with_its_reason_for_who_cannot_publish(
    four_eyes, editor, publisher, publisher_client, django_user_model
):
    draft = make_rule(slug="four-eyes-draft", value="246810")
    shown = page(publisher_client, change_url(draft))
    assert shown.select_one("button[value=publish]").has_attr("disabled")
    assert "请先提交审核" in shown.select_one("#four-eyes-refusal").get_text()

    workflow.submit(draft, publisher)
    shown = page(publisher_client, change_url(draft))
    button = shown.select_one("button[value=publish]")
    assert button.has_attr("disabled") and button["aria-describedby"] == "four-eyes-refusal"
    assert "另一位发布者" in shown.select_one("#four-eyes-refusal").get_text()
    assert shown.select("input[name=note]") == []
    # Nor can they schedule it: the moment is shown, not a field.
    assert shown.select("[name=publish_at_0]") == [] and shown.select("[name=publish_at]") == []
    # The server still refuses a post from a page opened before.
    publish = reverse("admin:passwords_defaultpasswordrule_workflow", args=[draft.pk, "publish"])
    publisher_client.post(publish)
    draft.refresh_from_db()
    assert draft.status == Status.IN_REVIEW

    other = django_user_model.objects.create_user("second-publisher", password="not-used", is_staff=True)
    other.groups.add(*publisher.groups.all())
    second = Client()
    second.force_login(other)
    shown = page(second, change_url(draft))
    assert not shown.select_one("button[value=publish]").has_attr("disabled")
    assert shown.select("#four-eyes-refusal") == []
    assert shown.select("[name=publish_at_0]")
    second.post(publish)
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED


def test_under_four_eyes_a_publisher_cannot_change_content_and_schedule_it_in_one_save(
    four_eyes, editor, publisher_client
):
    from tests.admin_forms import form_data

    rule = make_rule(slug="four-eyes-schedule", value="135790")
    workflow.submit(rule, editor)
    data = form_data(publisher_client.get(change_url(rule)).content)
    data["publish_at_0"], data["publish_at_1"] = ["2030-01-01"], ["08:00:00"]
    changed = data | {"value": ["975310"]}

    refused = publisher_client.post(change_url(rule), changed, follow=True)
    assert "另一位发布者审核并定时发布" in refused.content.decode()
    rule.refresh_from_db()
    assert (rule.value, rule.publish_at) == ("135790", None)

    # What the editor submitted, unchanged, the publisher may schedule.
    assert publisher_client.post(change_url(rule), data).status_code == 302
    rule.refresh_from_db()
    assert rule.value == "135790" and rule.publish_at is not None
