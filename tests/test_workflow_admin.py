"""The review workflow in the admin: what each role may do, pending edits, history, revert, no lost edits."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from curation.models import AuditEntry, ChangeNote
from passwords.models import DefaultPasswordRule
from procedures.models import Procedure
from sources.models import Source
from tests.admin_forms import form_data
from tests.factories import make_procedure, make_rule, make_source

pytestmark = pytest.mark.django_db

RULES = "/api/v1/password-rules/"


def admin_url(obj, view: str = "change", *args) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk, *args])


def workflow_url(obj, action: str) -> str:
    return admin_url(obj, "workflow", action)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


def public_value(client, slug: str):
    response = client.get(f"{RULES}{slug}/")
    return response.json().get("value") if response.status_code == 200 else response.status_code


def test_an_editor_submits_but_cannot_publish(editor_client, client):
    rule = make_rule(slug="draft-rule", value="246810")

    response = editor_client.post(workflow_url(rule, "publish"), follow=True)
    assert "只有发布者可以这样做" in " ".join(messages_of(response))
    rule.refresh_from_db()
    assert rule.status == "draft"

    editor_client.post(workflow_url(rule, "submit"))
    rule.refresh_from_db()
    assert rule.status == "in_review"
    assert public_value(client, "draft-rule") == 404


def test_the_admin_offers_each_role_only_its_actions(editor_client, publisher_client):
    rule = make_rule(slug="offered", status="in_review")
    changelist = reverse("admin:passwords_defaultpasswordrule_changelist")

    editor_actions = set(editor_client.get(changelist).context["action_form"].fields["action"].choices)
    publisher_actions = set(publisher_client.get(changelist).context["action_form"].fields["action"].choices)
    editor_names = {name for name, _ in editor_actions}
    publisher_names = {name for name, _ in publisher_actions}

    assert {"workflow_submit", "workflow_return"} <= editor_names
    assert not {"workflow_publish", "workflow_archive", "delete_selected"} & editor_names
    assert {"workflow_publish", "workflow_archive", "delete_selected"} <= publisher_names

    editor_page = editor_client.get(admin_url(rule)).content.decode()
    publisher_page = publisher_client.get(admin_url(rule)).content.decode()
    assert 'value="publish"' not in editor_page
    assert 'value="publish"' in publisher_page


def test_content_in_review_is_read_only_to_editors(editor_client, publisher_client):
    rule = make_rule(slug="under-review", status="in_review", value="135790")

    # Django's view-only page: no form to submit, and a post is refused.
    assert editor_client.post(admin_url(rule), {"value": "111111"}).status_code == 403
    page = publisher_client.get(admin_url(rule))
    assert page.context["has_change_permission"] is True


def test_a_publisher_publishes_with_a_public_change_note(publisher_client, client, committed):
    rule = make_rule(slug="to-publish", status="in_review", value="135790")

    committed(lambda: publisher_client.post(workflow_url(rule, "publish"), {"note": "自2026年起初始密码改为135790"}))

    assert public_value(client, "to-publish") == "135790"
    assert ChangeNote.objects.get().note == "自2026年起初始密码改为135790"
    entry = AuditEntry.objects.get(action="publish")
    assert entry.user.username == "publishers-user"
    assert entry.object_id == rule.pk


def test_publishing_without_a_source_is_refused(publisher_client, client):
    rule = make_rule(slug="no-evidence", status="in_review")
    rule.sources.clear()

    response = publisher_client.post(workflow_url(rule, "publish"), follow=True)

    assert "至少引用一个来源" in " ".join(messages_of(response))
    assert public_value(client, "no-evidence") == 404


def test_published_content_is_changed_through_a_pending_edit(editor_client, publisher_client, client, committed):
    rule = make_rule(slug="live-rule", status="published", value="123456")
    assert public_value(client, "live-rule") == "123456"
    # Read-only in place, for publishers too.
    assert publisher_client.post(admin_url(rule), {"value": "000000"}).status_code == 403

    response = editor_client.post(workflow_url(rule, "start_edit"))
    copy = DefaultPasswordRule.objects.get(draft_of=rule)
    assert response.url == admin_url(copy)
    assert copy.status == "draft" and copy.slug == "live-rule-edit"
    assert list(copy.sources.all()) == list(rule.sources.all())

    data = form_data(editor_client.get(admin_url(copy)).content)
    data["value"] = ["654321"]
    assert editor_client.post(admin_url(copy), data).status_code == 302
    # The half-finished edit is not public.
    assert public_value(client, "live-rule") == "123456"
    assert public_value(client, "live-rule-edit") == 404
    # The publisher reviews the edit against what the public sees.
    review = BeautifulSoup(publisher_client.get(admin_url(copy)).content, "html.parser")
    rows = [
        [cell.get_text(strip=True) for cell in row.select("th, td")]
        for row in review.select(".pending-changes tbody tr")
    ]
    assert rows == [["取值", "123456", "654321"]]

    committed(lambda: publisher_client.post(workflow_url(copy, "publish"), {"note": "初始密码改为654321"}))

    assert public_value(client, "live-rule") == "654321"
    assert not DefaultPasswordRule.objects.filter(draft_of=rule).exists()
    rule.refresh_from_db()
    assert (rule.status, rule.value) == ("published", "654321")
    assert [note.note for note in rule.change_notes.all()] == ["初始密码改为654321"]


def test_publishing_a_pending_edit_of_a_procedure_replaces_its_steps(editor, publisher):
    from curation import workflow

    procedure = make_procedure(steps=3, status="published")
    copy = workflow.start_edit(procedure, editor)
    copy.steps.filter(position=3).delete()
    step = copy.steps.get(position=1)
    step.instruction = "新的第一步"
    step.save()

    workflow.publish(copy, publisher)

    assert list(procedure.steps.values_list("position", "instruction")) == [(1, "新的第一步"), (2, "第2步")]
    assert not Procedure.objects.filter(pk=copy.pk).exists()


def test_every_change_is_in_the_history_with_who_and_what(editor, editor_client, publisher_client):
    rule = make_rule(slug="tracked", value="123456")
    data = form_data(editor_client.get(admin_url(rule)).content)
    data["value"] = ["222222"]
    editor_client.post(admin_url(rule), data)
    editor_client.post(workflow_url(rule, "submit"))

    records = list(rule.history.order_by("history_date"))
    assert [record.value for record in records][-2:] == ["222222", "222222"]
    assert records[-1].status == "in_review"
    assert records[-1].history_user == editor

    page = publisher_client.get(admin_url(rule, "history")).content.decode()
    assert "123456" in page and "222222" in page  # the readable diff
    assert "editors-user" in page


def test_each_admin_save_is_one_version_and_one_record_that_holds_its_links(editor, editor_client):
    add_page = reverse("admin:sources_source_add")
    data = form_data(editor_client.get(add_page).content)
    data |= {"slug": ["admin-made"], "title": ["人社局公告"], "publisher": ["人社局"]}
    assert editor_client.post(add_page, data).status_code == 302
    source = Source.objects.get(slug="admin-made")
    assert source.version == 1
    assert [(r.history_type, r.version, r.history_user) for r in source.history.all()] == [("+", 1, editor)]

    rule = make_rule(slug="linked", value="123456")
    records_before = rule.history.count()
    data = form_data(editor_client.get(admin_url(rule)).content)
    data["value"] = ["222222"]
    data["citations-0-source"] = [str(source.pk)]  # the inline that holds its sources
    assert editor_client.post(admin_url(rule), data).status_code == 302

    rule.refresh_from_db()
    assert rule.version == 2
    assert rule.history.count() == records_before + 1
    latest = rule.history.latest()
    assert (latest.history_type, latest.version, latest.value) == ("~", 2, "222222")
    assert latest.related_snapshot["sources"] == ["admin-made"]


def test_a_publisher_reverts_fields_and_sources(publisher, publisher_client, editor_client):
    rule = make_rule(slug="revertible", value="123456", status="published")
    original_sources = set(rule.sources.all())
    first = rule.history.latest()
    copy = DefaultPasswordRule.objects.get(pk=editor_client.post(workflow_url(rule, "start_edit")).url.split("/")[-3])
    copy.value = "999999"
    copy.save()
    copy.sources.set([make_source(slug="other-evidence", status="published")])
    publisher_client.post(workflow_url(copy, "publish"))
    rule.refresh_from_db()
    assert rule.value == "999999"

    # Editors see the history but no revert button, and cannot revert.
    assert "恢复到此版本" not in editor_client.get(admin_url(rule, "history")).content.decode()
    assert editor_client.post(admin_url(rule, "revert", first.pk)).status_code == 403
    assert "恢复到此版本" in publisher_client.get(admin_url(rule, "history")).content.decode()

    publisher_client.post(admin_url(rule, "revert", first.pk))

    rule.refresh_from_db()
    assert rule.value == "123456"
    assert set(rule.sources.all()) == original_sources
    assert AuditEntry.objects.filter(action="revert", object_id=rule.pk).exists()


def test_a_second_save_over_a_newer_version_is_refused_naming_the_change(editor_client, publisher_client):
    rule = make_rule(slug="contested", value="123456", note="")
    first = form_data(editor_client.get(admin_url(rule)).content)
    second = form_data(publisher_client.get(admin_url(rule)).content)

    first["value"] = ["111111"]
    assert editor_client.post(admin_url(rule), first).status_code == 302
    second["note"] = ["出版者的修改"]
    response = publisher_client.post(admin_url(rule), second)

    assert response.status_code == 200
    errors = " ".join(response.context["adminform"].form.non_field_errors())
    assert "editors-user" in errors and "值" in errors
    rule.refresh_from_db()
    assert (rule.value, rule.note) == ("111111", "")


def test_the_audit_log_lists_publishing_archiving_and_reverts(publisher_client):
    rule = make_rule(slug="audited", status="in_review")
    publisher_client.post(workflow_url(rule, "publish"))
    publisher_client.post(workflow_url(rule, "archive"))

    page = publisher_client.get(reverse("admin:curation_auditentry_changelist"))

    assert page.status_code == 200
    assert [entry.action for entry in page.context["cl"].result_list] == ["archive", "publish"]
    assert publisher_client.get(reverse("admin:curation_auditentry_add")).status_code == 403


def test_a_publisher_schedules_content_in_review(publisher_client, client, committed):
    from curation.workflow import publish_due

    rule = make_rule(slug="scheduled-rule", status="in_review", value="112233")
    data = form_data(publisher_client.get(admin_url(rule)).content)
    data["publish_at_0"], data["publish_at_1"] = ["2030-01-01"], ["08:00:00"]
    assert publisher_client.post(admin_url(rule), data).status_code == 302
    assert AuditEntry.objects.filter(action="schedule", object_id=rule.pk).exists()

    import datetime

    from django.utils import timezone

    assert publish_due(timezone.now())[0] == []
    published, refused = committed(lambda: publish_due(datetime.datetime(2030, 1, 2, tzinfo=datetime.UTC)))
    assert [obj.slug for obj in published] == ["scheduled-rule"] and refused == []
    assert public_value(client, "scheduled-rule") == "112233"


@pytest.mark.parametrize("status", ["draft", "in_review"])
def test_unpublished_content_and_pending_edits_are_never_public(client, committed, editor, status):
    from curation import workflow

    live = make_rule(slug="public-one", value="123123", status="published")
    hidden = make_rule(slug="hidden-one", value="987987", status=status)
    pending = committed(lambda: workflow.start_edit(live, editor))
    pending.value = "456456"
    pending.status = status
    committed(pending.save)

    answers = [
        client.get(RULES, {"region": "420100", "page_size": 100}).content,
        client.get("/api/v1/lookup/", {"region": "420102"}).content,
        b"".join(client.get("/api/v1/export/").streaming_content),
        client.get("/embed/v1/420100/").content,
    ]
    for body in answers:
        text = body.decode()
        assert "987987" not in text and "456456" not in text and hidden.slug not in text
    assert "123123" in answers[0].decode()
    assert client.get(f"{RULES}hidden-one/").status_code == 404
    assert client.get(f"{RULES}public-one-edit/").status_code == 404
