"""`manage.py publish_scheduled`: what is due goes live, what is not waits, what is invalid stays in review."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from curation import workflow
from curation.choices import AuditAction
from curation.models import AuditEntry
from passwords.models import DefaultPasswordRule
from tests.factories import make_rule
from tests.staff import read_etag, rule_body, staff_client, write

pytestmark = pytest.mark.django_db


def run() -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("publish_scheduled", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def minutes(n: int) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=n)


def test_due_content_is_published_and_future_content_waits(client):
    make_rule(slug="due-rule", value="246810", status="in_review", publish_at=minutes(-5))
    make_rule(slug="later-rule", value="135790", status="in_review", publish_at=minutes(60))
    out, err = run()
    assert "due-rule" in out and "later-rule" not in out and err == ""
    assert client.get("/api/v1/password-rules/due-rule/").json()["value"] == "246810"
    assert client.get("/api/v1/password-rules/later-rule/").status_code == 404
    assert DefaultPasswordRule.objects.get(slug="later-rule").status == "in_review"
    entry = AuditEntry.objects.get(
        action=AuditAction.PUBLISH, object_id=DefaultPasswordRule.objects.get(slug="due-rule").pk
    )
    assert entry.user is None and entry.detail == "scheduled"


def test_a_scheduled_pending_edit_is_merged_into_its_original(client, admin_user):
    original = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    copy = workflow.start_edit(original, admin_user)
    copy.value = "4321"
    copy.note = "已更新"
    copy.save()
    workflow.submit(copy, admin_user)
    copy.refresh_from_db()
    workflow.schedule(copy, admin_user, minutes(1))
    # The moment comes.
    DefaultPasswordRule.objects.filter(pk=copy.pk).update(publish_at=minutes(-1))
    out, _ = run()
    assert "wuhan-fixed-1234" in out
    assert not DefaultPasswordRule.objects.filter(slug=copy.slug).exists()
    original.refresh_from_db()
    assert (original.value, original.status) == ("4321", "published")
    assert client.get("/api/v1/password-rules/wuhan-fixed-1234/").json()["value"] == "4321"
    entry = AuditEntry.objects.filter(action=AuditAction.PUBLISH, object_id=original.pk).latest("at")
    assert entry.user is None and entry.detail.startswith("scheduled")


def test_invalid_content_is_refused_stays_in_review_and_the_command_fails(client):
    make_rule(slug="due-rule", status="in_review", publish_at=minutes(-5))
    uncited = make_rule(slug="uncited-rule", status="in_review", publish_at=minutes(-5))
    uncited.sources.clear()
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="1 scheduled item"):
        call_command("publish_scheduled", stdout=out, stderr=err)
    assert "uncited-rule" in err.getvalue() and "来源" in err.getvalue()
    assert "due-rule" in out.getvalue()
    assert DefaultPasswordRule.objects.get(slug="uncited-rule").status == "in_review"
    assert DefaultPasswordRule.objects.get(slug="due-rule").status == "published"


def test_running_it_again_changes_nothing():
    make_rule(slug="due-rule", status="in_review", publish_at=minutes(-5))
    run()
    entries = AuditEntry.objects.count()
    assert run() == ("", "")
    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize("move", ["publish", "archive", "revert", "schedule"])
def test_only_the_scheduler_itself_skips_the_publisher_check(editor, move):
    """`scheduled=True` spares no user the check, and no move but publish: the scheduler runs with no user."""
    rule = make_rule(slug="scheduled-rule", status="in_review")
    with pytest.raises(workflow.NotAllowed):
        workflow.MOVES[move](rule, editor, scheduled=True)
    rule.refresh_from_db()
    assert rule.status == "in_review"


def edit_in_the_admin(api_client, slug: str, value: str) -> None:
    from django.test import Client
    from django.urls import reverse

    from tests.admin_forms import form_data

    browser = Client()
    browser.force_login(api_client.user)
    url = reverse("admin:passwords_defaultpasswordrule_change", args=[DefaultPasswordRule.objects.get(slug=slug).pk])
    response = browser.post(url, form_data(browser.get(url).content) | {"value": [value]}, follow=True)
    assert response.redirect_chain[0][0] != url, response.content.decode()


PATH = "/api/v1/password-rules/api-test-rule/"


def submitted_and_scheduled(author, scheduler) -> datetime.datetime:
    """A rule the author wrote and submitted, which the scheduling publisher approved for half an hour from now."""
    created = write(author, "post", "/api/v1/password-rules/", rule_body(value="135790"))
    assert created.status_code == 201, created.content
    assert write(author, "post", f"{PATH}submit/", etag=created["ETag"]).status_code == 200
    when = minutes(30)
    scheduled = write(
        scheduler, "post", f"{PATH}schedule/", {"publish_at": when.isoformat()}, read_etag(scheduler, PATH)
    )
    assert scheduled.status_code == 200, scheduled.content
    return when


@pytest.mark.parametrize(
    "later_editor", ["another publisher", "the scheduling publisher", "another publisher in the admin"]
)
def test_under_four_eyes_what_changed_after_scheduling_is_not_published_by_the_scheduler(
    four_eyes, client, later_editor
):
    """Four eyes holds through the scheduler: a publisher approves a version by scheduling it, and a save after that
    (by anyone) is a version nobody else has seen. The run refuses it and takes the time off; scheduling again by
    a publisher other than the last editor puts it live."""
    author = staff_client("editors", "author")
    scheduler = staff_client("publishers", "scheduler")
    other = staff_client("publishers", "other-publisher")
    when = submitted_and_scheduled(author, scheduler)

    changer = scheduler if later_editor == "the scheduling publisher" else other
    if later_editor.endswith("in the admin"):
        edit_in_the_admin(changer, "api-test-rule", "975310")
    else:
        edited = write(changer, "patch", PATH, {"value": "975310"}, read_etag(changer, PATH))
        assert edited.status_code == 200, edited.content

    published, refused = workflow.publish_due(now=when + datetime.timedelta(minutes=1))
    assert published == [] and [obj.slug for obj, _ in refused] == ["api-test-rule"]
    assert refused[0][1].code == "changed_after_schedule"
    assert client.get(PATH).status_code == 404
    rule = DefaultPasswordRule.objects.get(slug="api-test-rule")
    assert (rule.status, rule.value, rule.publish_at) == ("in_review", "975310", None)
    assert AuditEntry.objects.filter(
        action=AuditAction.SCHEDULE, object_id=rule.pk, user=None, detail__startswith="cancelled"
    ).exists()
    assert workflow.publish_due(now=when + datetime.timedelta(minutes=2)) == ([], [])

    # A publisher who did not make the last change reviews it and schedules it again.
    reviewer = scheduler if changer is not scheduler else other
    again = write(reviewer, "post", f"{PATH}schedule/", {"publish_at": when.isoformat()}, read_etag(reviewer, PATH))
    assert again.status_code == 200, again.content
    published, refused = workflow.publish_due(now=when + datetime.timedelta(minutes=1))
    assert [obj.slug for obj in published] == ["api-test-rule"] and refused == []
    assert client.get(PATH).json()["value"] == "975310"


def test_under_four_eyes_content_scheduled_and_left_alone_is_published(four_eyes):
    when = submitted_and_scheduled(staff_client("editors", "author"), staff_client("publishers", "scheduler"))
    published, refused = workflow.publish_due(now=when)
    assert [obj.slug for obj in published] == ["api-test-rule"] and refused == []
