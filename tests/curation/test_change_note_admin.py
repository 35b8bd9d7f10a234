"""Publishers write public change notes in the admin; editors only read them."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.test import RequestFactory

from curation import workflow
from curation.admin import ChangeNoteInline
from curation.models import ChangeNote
from passwords.models import DefaultPasswordRule

pytestmark = pytest.mark.django_db

ADD = "/admin/curation/changenote/add/"


def staff(role: str) -> User:
    user = User.objects.create_user(f"{role}-user", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def note_form(obj, note: str = "从2024年起不再接受123456") -> dict:
    return {
        "content_type": ContentType.objects.get_for_model(obj).pk,
        "object_id": obj.pk,
        "changed_on": "2024-01-02",
        "note": note,
    }


def test_a_publisher_writes_a_note_and_it_is_signed_and_public(client):
    publisher = staff("publishers")
    client.force_login(publisher)
    rule = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    response = client.post(ADD, note_form(rule))
    assert response.status_code == 302, response.content[:2000]
    note = ChangeNote.objects.get()
    assert note.content_object == rule and note.written_by == publisher
    changes = client.get("/api/v1/password-rules/wuhan-fixed-1234/").json()["changes"]
    assert changes == [{"date": "2024-01-02", "note": "从2024年起不再接受123456"}]
    # The list links the content the note is about.
    assert f"/admin/passwords/defaultpasswordrule/{rule.pk}/change/" in client.get("/admin/curation/changenote/").text


def test_editors_may_read_notes_but_not_write_them(client):
    client.force_login(staff("editors"))
    assert client.get("/admin/curation/changenote/").status_code == 200
    assert client.get(ADD).status_code == 403
    assert client.post(ADD, note_form(DefaultPasswordRule.objects.first())).status_code == 403
    assert not ChangeNote.objects.exists()


def test_a_note_on_a_pending_edit_is_refused(client, admin_user):
    client.force_login(staff("publishers"))
    copy = workflow.start_edit(DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234"), admin_user)
    response = client.post(ADD, note_form(copy))
    assert response.status_code == 200 and response.context["adminform"].form.errors["object_id"]
    assert not ChangeNote.objects.exists()


def test_the_inline_lets_only_publishers_write_and_never_on_a_pending_edit(admin_user):
    inline = ChangeNoteInline(DefaultPasswordRule, admin.site)
    rule = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    request = RequestFactory().get("/")
    request.user = staff("editors")
    assert inline.has_view_permission(request, rule)
    assert not inline.has_add_permission(request, rule) and not inline.has_change_permission(request, rule)
    assert not inline.has_delete_permission(request, rule)
    request.user = staff("publishers")
    assert inline.has_add_permission(request, rule) and inline.has_delete_permission(request, rule)
    assert not inline.has_add_permission(request, workflow.start_edit(rule, admin_user))


def test_the_inline_signs_the_notes_it_saves():
    inline = ChangeNoteInline(DefaultPasswordRule, admin.site)
    rule = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    request = RequestFactory().get("/")
    request.user = staff("publishers")
    formset_class = inline.get_formset(request, rule)
    prefix = formset_class.get_default_prefix()
    data = {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-0-changed_on": "2024-03-04",
        f"{prefix}-0-note": "电话号码更正",
    }
    formset = formset_class(data, instance=rule, prefix=prefix)
    assert formset.is_valid(), formset.errors
    formset.save()
    assert rule.change_notes.get().written_by == request.user
