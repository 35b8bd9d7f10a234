"""Public answers are keyed by the public revision: a draft save or a pending edit's save leaves every public ETag
and Last-Modified as it was (phones keep their copies), a publish or an archive moves them; staff see their own
changes at once. Everything through HTTP, as clients see it."""

import pytest

from curation.models import ChangeEvent, ContentRevision
from passwords.models import DefaultPasswordRule
from tests.staff import rule_body, staff_client, write

RULES = "/api/v1/password-rules/"
RULE = f"{RULES}wuhan-fixed-1234/"
PUBLIC = [RULES, RULE, "/api/v1/lookup/?region=420102", "/api/v1/export/"]

pytestmark = pytest.mark.django_db


def validators(client, path: str) -> tuple[str, str]:
    response = client.get(path)
    assert response.status_code == 200, path
    return response["ETag"], response["Last-Modified"]


def not_modified(client, path: str, etag: str) -> bool:
    return client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304


def etag_of(response) -> str:
    return f'"v{response.json()["version"]}"'


def test_draft_and_pending_edit_saves_leave_public_answers_alone_and_a_publish_moves_them(client, committed):
    editor, publisher = staff_client("editors"), staff_client("publishers", "publisher-wang")
    before = {path: validators(client, path) for path in PUBLIC}
    events = ChangeEvent.objects.count()

    draft = committed(lambda: write(editor, "post", RULES, rule_body(slug="feed-draft", value="111222")))
    assert draft.status_code == 201, draft.content
    draft = committed(lambda: write(editor, "patch", f"{RULES}feed-draft/", {"value": "333444"}, etag_of(draft)))
    assert draft.status_code == 200
    # Staff read their own change at once: their answers are not the public ones.
    assert editor.get(f"{RULES}feed-draft/").json()["value"] == "333444"

    edit = committed(lambda: write(editor, "post", f"{RULE}start-edit/", etag=editor.get(RULE)["ETag"]))
    assert edit.status_code in (200, 201), edit.content
    edit_path = f"{RULES}{edit.json()['slug']}/"
    edit = committed(lambda: write(editor, "patch", edit_path, {"value": "555666"}, etag_of(edit)))
    assert edit.status_code == 200
    assert editor.get(edit_path).json()["value"] == "555666"

    for path, (etag, last_modified) in before.items():
        assert validators(client, path) == (etag, last_modified), path
        assert not_modified(client, path, etag), path
    assert ChangeEvent.objects.count() == events

    published = committed(lambda: write(publisher, "post", f"{edit_path}publish/", etag=etag_of(edit)))
    assert published.status_code == 200, published.content
    assert client.get(RULE).json()["value"] == "555666"
    for path, (etag, _last_modified) in before.items():
        assert not not_modified(client, path, etag), path
    assert list(ChangeEvent.objects.filter(id__gt=events).values_list("identifier", "action")) == [
        ("wuhan-fixed-1234", "updated")
    ]


def test_an_archive_moves_public_answers_and_the_archived_detail_answers_gone(client, committed):
    publisher = staff_client("publishers")
    before = {path: validators(client, path) for path in PUBLIC}
    archived = committed(lambda: write(publisher, "post", f"{RULE}archive/", etag=publisher.get(RULE)["ETag"]))
    assert archived.status_code == 200, archived.content
    assert client.get(RULE).status_code == 410
    for path in (RULES, "/api/v1/lookup/?region=420102", "/api/v1/export/"):
        assert not not_modified(client, path, before[path][0]), path
        assert client.get(path)["ETag"] != before[path][0]


def test_a_transaction_that_saves_a_draft_then_publishes_bumps_each_revision_once(committed):
    from django.db import transaction

    from curation.workflow import publish
    from tests.factories import make_rule

    row = ContentRevision.objects.get()

    def change():
        with transaction.atomic():
            draft = make_rule(slug="draft-then-published")
            draft.note = "一改"
            draft.save()
            publish(draft, None, scheduled=True)

    committed(change)
    after = ContentRevision.objects.get()
    assert (after.number, after.public_number) == (row.number + 1, row.public_number + 1)
    created = ChangeEvent.objects.filter(identifier="draft-then-published")
    assert list(created.values_list("action", flat=True)) == ["created"]


def test_an_import_of_drafts_and_of_an_edit_of_published_content_leaves_public_answers_alone(client, committed):
    from tests.test_import_export import HUBEI_RULES, confirm, csv_file, exported_row, staff, upload

    client.force_login(staff("editors", "importing-editor"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    row = exported_row(client, DefaultPasswordRule, "wuhan-fixed-1234")
    public = validators(client, RULES)
    before = ContentRevision.objects.get()
    events = ChangeEvent.objects.count()

    preview = upload(client, DefaultPasswordRule, csv_file([*HUBEI_RULES, {**row, "value": "4321"}]), "mixed.csv")
    assert committed(lambda: confirm(client, preview)).status_code == 302

    assert DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234-edit").value == "4321"
    after = ContentRevision.objects.get()
    assert (after.number, after.public_number) == (before.number + 1, before.public_number)
    assert ChangeEvent.objects.count() == events
    assert validators(client, RULES) == public
