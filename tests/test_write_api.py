"""The write API for staff tools: tokens, roles, the workflow, versions, history, and what the public sees."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from curation.api.writes import StaffContentViewSet
from curation.models import AuditEntry, ChangeNote
from passwords.models import DefaultPasswordRule
from procedures.models import Procedure, Step
from tests.factories import make_rule
from tests.http import assert_problem, results
from tests.staff import SOURCE, procedure_body, read_etag, rule_body, staff_client, write

pytestmark = pytest.mark.django_db

RULES = "/api/v1/password-rules/"
PROCEDURES = "/api/v1/procedures/"


@pytest.fixture
def editor():
    return staff_client("editors", "editor-li")


@pytest.fixture
def publisher():
    return staff_client("publishers", "publisher-wang")


def create_rule(client, **fields) -> dict:
    response = write(client, "post", RULES, rule_body(**fields))
    assert response.status_code == 201, response.content
    return response.json()


def etag_of(body: dict) -> str:
    return f'"v{body["version"]}"'


def published_rule(client, slug="api-test-rule", **fields) -> dict:
    body = create_rule(client, slug=slug, **fields)
    body = write(client, "post", f"{RULES}{slug}/submit/", etag=etag_of(body)).json()
    response = write(client, "post", f"{RULES}{slug}/publish/", etag=etag_of(body))
    assert response.status_code == 200, response.content
    return response.json()


# Authentication and permissions.

WRITES = [
    ("post", RULES),
    ("put", f"{RULES}wuhan-fixed-1234/"),
    ("patch", f"{RULES}wuhan-fixed-1234/"),
    ("delete", f"{RULES}wuhan-fixed-1234/"),
    *[
        ("post", f"{RULES}wuhan-fixed-1234/{action}/")
        for action in ("submit", "return", "publish", "schedule", "archive", "start-edit", "revert", "verify")
    ],
    ("post", f"{RULES}no-such-rule/publish/"),
    ("get", f"{RULES}wuhan-fixed-1234/history/"),
]


@pytest.mark.parametrize(("method", "path"), WRITES, ids=[f"{m} {p}" for m, p in WRITES])
def test_without_a_token_every_write_is_a_401_that_asks_for_one(client, method, path):
    if method == "get":
        response = client.get(path)
    else:
        response = getattr(client, method)(path, "{}", content_type="application/json")
    assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_an_invalid_token_is_a_401_even_for_reads(client):
    response = client.get(RULES, HTTP_AUTHORIZATION="Token not-a-token")
    assert_problem(response, 401, "authentication_failed")


def test_a_signed_in_admin_session_cannot_write_through_the_api(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="pw-123-long")
    client.force_login(admin)
    response = client.post(RULES, json.dumps(rule_body()), content_type="application/json")
    assert_problem(response, 401, "not_authenticated")


def test_a_token_without_staff_status_or_role_may_not_write():
    for client in (staff_client(None, "outsider"), staff_client("publishers", "former", is_staff=False)):
        assert_problem(write(client, "post", RULES, rule_body()), 403, "permission_denied")


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, {"create": 401, "update": 401, "submit": 401, "publish": 401, "archive": 401, "revert": 401,
                "delete": 401}),
        ("editors", {"create": 201, "update": 200, "submit": 200, "publish": 403, "archive": 403, "revert": 403,
                     "delete": 403}),
        ("publishers", {"create": 201, "update": 200, "submit": 200, "publish": 200, "archive": 200,
                        "revert": 200, "delete": 204}),
    ],
)  # fmt: skip
def test_permission_matrix(role, expected):
    client = staff_client(role) if role else APIClient()
    setup = staff_client("publishers", "setup")
    statuses = {}

    statuses["create"] = write(client, "post", RULES, rule_body(slug="matrix-created")).status_code
    draft = create_rule(setup, slug="matrix-draft")
    path = f"{RULES}matrix-draft/"
    statuses["update"] = write(client, "patch", path, {"note": "改"}, etag_of(draft)).status_code
    statuses["submit"] = write(client, "post", f"{path}submit/", etag=read_etag(setup, path)).status_code
    if statuses["submit"] != 200:
        write(setup, "post", f"{path}submit/", etag=read_etag(setup, path))
    statuses["publish"] = write(client, "post", f"{path}publish/", etag=read_etag(setup, path)).status_code
    if statuses["publish"] != 200:
        write(setup, "post", f"{path}publish/", etag=read_etag(setup, path))
    history = setup.get(f"{path}history/").json()
    first = history[-1]["history_id"]
    statuses["revert"] = write(
        client, "post", f"{path}revert/", {"history_id": first}, read_etag(setup, path)
    ).status_code
    statuses["archive"] = write(client, "post", f"{path}archive/", etag=read_etag(setup, path)).status_code
    create_rule(setup, slug="matrix-to-delete")
    delete_path = f"{RULES}matrix-to-delete/"
    statuses["delete"] = write(client, "delete", delete_path, etag=read_etag(setup, delete_path)).status_code
    assert statuses == expected


def test_editors_change_drafts_but_not_content_in_review(editor, publisher):
    body = create_rule(editor)
    body = write(editor, "post", f"{RULES}api-test-rule/submit/", etag=etag_of(body)).json()
    assert body["status"] == "in_review"
    response = write(editor, "patch", f"{RULES}api-test-rule/", {"note": "再改"}, etag_of(body))
    assert_problem(response, 403, "permission_denied")
    # Returned to draft, it is theirs again.
    body = write(editor, "post", f"{RULES}api-test-rule/return/", {"reason": "补充来源"}, etag_of(body)).json()
    assert body["status"] == "draft"
    assert write(editor, "patch", f"{RULES}api-test-rule/", {"note": "再改"}, etag_of(body)).status_code == 200
    # Publishers change content in review.
    body = write(editor, "post", f"{RULES}api-test-rule/submit/", etag=read_etag(editor, f"{RULES}api-test-rule/"))
    response = write(publisher, "patch", f"{RULES}api-test-rule/", {"note": "审后改"}, etag_of(body.json()))
    assert response.status_code == 200 and response.json()["note"] == "审后改"


def test_status_and_workflow_fields_cannot_be_written(editor):
    body = create_rule(editor, status="published", version=99, draft_of="wuhan-fixed-1234")
    assert (body["status"], body["version"], body["draft_of"]) == ("draft", 1, None)
    response = write(editor, "patch", f"{RULES}api-test-rule/", {"status": "published"}, etag_of(body))
    assert response.json()["status"] == "draft"
    assert DefaultPasswordRule.objects.get(slug="api-test-rule").status == "draft"


# Errors of the HTTP kind.


def test_wrong_content_type_is_415(editor):
    response = editor.post(RULES, "slug=x", content_type="application/x-www-form-urlencoded")
    assert_problem(response, 415, "unsupported_media_type")


def test_unsupported_method_is_405_even_without_a_token(client, editor):
    for caller in (client, editor):
        response = caller.put(RULES, "{}", content_type="application/json")
        assert_problem(response, 405, "method_not_allowed")
    assert_problem(client.delete("/api/v1/regions/420100/"), 405, "method_not_allowed")


def test_changes_of_existing_content_need_if_match(publisher):
    create_rule(publisher)
    for method, path in [("patch", ""), ("delete", ""), ("post", "submit/"), ("post", "verify/")]:
        response = write(publisher, method, f"{RULES}api-test-rule/{path}", {})
        assert_problem(response, 428, "precondition_required")
    response = write(publisher, "patch", f"{RULES}api-test-rule/", {"note": "x"}, "*")
    assert_problem(response, 428, "precondition_required")
    response = write(publisher, "patch", f"{RULES}api-test-rule/", {"note": "x"}, 'W/"v1"')
    assert_problem(response, 412, "stale_version")


def test_cors_stays_get_only_and_lets_no_browser_send_a_token(client):
    preflight = client.options(
        RULES,
        HTTP_ORIGIN="https://portal.example.org",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )
    assert "POST" not in preflight.get("Access-Control-Allow-Methods", "")
    assert "authorization" not in preflight.get("Access-Control-Allow-Headers", "").lower()


# Validation by the model, field by field.


def test_validation_errors_name_each_field(editor):
    response = write(editor, "post", RULES, rule_body(value="", region="999999", sources=[]))
    body = assert_problem(response, 400, "invalid_parameter")
    assert {e["parameter"] for e in body["errors"]} >= {"region", "sources"}
    # The model's own rule: a fixed rule needs its value.
    response = write(editor, "post", RULES, rule_body(value=""))
    assert_problem(response, 400, "invalid_parameter", parameter="value")
    # A check across fields, worded by the model.
    response = write(editor, "post", RULES, rule_body(valid_from="2024-01-02", valid_until="2024-01-01"))
    body = assert_problem(response, 400, "invalid_parameter", parameter="non_field_errors")
    assert "生效日期" in body["detail"]
    # Unique slug.
    response = write(editor, "post", RULES, rule_body(slug="wuhan-fixed-1234"))
    assert_problem(response, 400, "invalid_parameter", parameter="slug")
    # A field of an item in a list.
    response = write(
        editor,
        "post",
        PROCEDURES,
        procedure_body(steps=[{"instruction": "a"}, {"instruction": "b", "ui_path": "无括号"}]),
    )
    assert_problem(response, 400, "invalid_parameter", parameter="steps[1].ui_path")
    # Not JSON at all.
    response = editor.post(RULES, "{", content_type="application/json")
    assert_problem(response, 400, "parse_error")
    assert not DefaultPasswordRule.objects.filter(slug="api-test-rule").exists()


def test_values_of_the_wrong_json_type_are_refused_not_coerced(editor, publisher):
    # DRF alone would store 42 as "42" and take "1" for 1: the schema says string and integer.
    response = write(editor, "post", RULES, rule_body(value=654321, note=7))
    body = assert_problem(response, 400, "invalid_parameter")
    assert {e["parameter"] for e in body["errors"]} == {"value", "note"}
    response = write(editor, "post", RULES, rule_body(region=420100, sources=[SOURCE, 5], kind=None))
    body = assert_problem(response, 400, "invalid_parameter")
    assert {e["parameter"] for e in body["errors"]} == {"region", "sources", "kind"}  # one answer names them all
    response = write(editor, "post", RULES, rule_body(must_change_before_use="yes"))
    assert_problem(response, 400, "invalid_parameter", parameter="must_change_before_use")
    response = write(editor, "post", PROCEDURES, procedure_body(steps=[{"instruction": 1}]))
    assert_problem(response, 400, "invalid_parameter", parameter="steps[0].instruction")
    assert not DefaultPasswordRule.objects.filter(slug="api-test-rule").exists()

    body = published_rule(publisher)
    response = write(publisher, "post", f"{RULES}api-test-rule/revert/", {"history_id": "1"}, etag_of(body))
    assert_problem(response, 400, "invalid_parameter", parameter="history_id")
    response = write(publisher, "post", f"{RULES}api-test-rule/return/", {"reason": True}, etag_of(body))
    assert_problem(response, 400, "invalid_parameter", parameter="reason")


def test_nul_characters_are_refused_everywhere_before_the_database(editor):
    # PostgreSQL can neither store nor compare a NUL: each of these was a 500 there before it was refused here.
    response = write(editor, "post", RULES, rule_body(region="42\x000100", sources=[SOURCE, "a\x00b"]))
    body = assert_problem(response, 400, "invalid_parameter")
    assert {e["parameter"] for e in body["errors"]} == {"region", "sources"}
    response = write(editor, "post", RULES, rule_body(sources={"a\x00b": []}))
    assert_problem(response, 400, "invalid_parameter", parameter="sources")
    response = write(editor, "post", PROCEDURES, procedure_body(requirements=["身份证\x00"]))
    assert_problem(response, 400, "invalid_parameter", parameter="requirements")
    assert not DefaultPasswordRule.objects.filter(slug="api-test-rule").exists()
    assert not Procedure.objects.filter(slug="api-test-procedure").exists()


def test_the_model_itself_refuses_nul_characters():
    rule = make_rule(slug="nul-note")
    rule.note = "before\x00after"
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert set(refused.value.message_dict) == {"note"}
    # Steps too, which a spreadsheet import validates row by row.
    with pytest.raises(ValidationError) as refused:
        Step(position=1, instruction="第一步\x00").full_clean(exclude=["procedure"])
    assert set(refused.value.message_dict) == {"instruction"}


def test_the_model_refuses_a_patch_that_breaks_a_rule_of_the_whole_row(editor):
    body = create_rule(editor)
    response = write(editor, "patch", f"{RULES}api-test-rule/", {"kind": "id_last6"}, etag_of(body))
    assert_problem(response, 400, "invalid_parameter", parameter="value")
    response = write(editor, "patch", f"{RULES}api-test-rule/", {"slug": "renamed"}, etag_of(body))
    assert_problem(response, 400, "invalid_parameter", parameter="slug")


def test_submit_refuses_incomplete_content(editor):
    body = write(editor, "post", PROCEDURES, procedure_body(steps=[])).json()
    response = write(editor, "post", f"{PROCEDURES}api-test-procedure/submit/", etag=etag_of(body))
    assert_problem(response, 400, "invalid_parameter")
    response = write(
        editor, "post", f"{RULES}wuhan-fixed-1234/submit/", etag=read_etag(editor, f"{RULES}wuhan-fixed-1234/")
    )
    assert_problem(response, 409, "invalid_transition")


# What anonymous clients never see.


def test_drafts_in_review_and_pending_edits_are_never_shown_anonymously(client, editor):
    create_rule(editor, slug="hidden-draft", value="111222")
    body = create_rule(editor, slug="hidden-review", value="333444")
    write(editor, "post", f"{RULES}hidden-review/submit/", etag=etag_of(body))
    path = f"{RULES}wuhan-fixed-1234/"
    edit = write(editor, "post", f"{path}start-edit/", etag=read_etag(editor, path)).json()
    write(editor, "patch", f"{RULES}{edit['slug']}/", {"value": "555666"}, etag_of(edit))

    slugs = [row["slug"] for row in results(client.get(RULES, {"region": "420100", "page_size": 100}))]
    assert "wuhan-fixed-1234" in slugs
    assert not {"hidden-draft", "hidden-review", edit["slug"]} & set(slugs)
    assert results(client.get(RULES, {"status": "draft"})) == []
    for slug in ("hidden-draft", "hidden-review", edit["slug"]):
        assert_problem(client.get(f"{RULES}{slug}/"), 404, "not_found")
    assert client.get(path).json()["value"] == "1234"
    lookup = client.get("/api/v1/lookup/", {"region": "420102"}).json()
    values = {rule["value"] for rule in lookup["default_passwords"]}
    assert "1234" in values and not {"111222", "333444", "555666"} & values
    export = b"".join(client.get("/api/v1/export/").streaming_content).decode()
    assert "hidden-draft" not in export and "hidden-review" not in export and edit["slug"] not in export

    # Staff see them, in the staff representation, and can ask for one status.
    drafts = results(editor.get(RULES, {"status": "draft", "page_size": 100}))
    assert {"hidden-draft", edit["slug"]} <= {row["slug"] for row in drafts}
    assert {row["status"] for row in drafts} == {"draft"}
    review = editor.get(f"{RULES}hidden-review/")
    assert review.status_code == 200 and review.json()["status"] == "in_review"
    assert editor.get(path).json()["pending_edit"] == edit["slug"]
    assert_problem(editor.get(RULES, {"status": "secret"}), 400, "invalid_parameter", parameter="status")


def test_a_token_that_may_not_read_drafts_reads_what_everyone_reads(client, editor):
    create_rule(editor, slug="hidden-draft", value="111222")
    outsiders = (staff_client(None, "outsider"), staff_client("publishers", "former", is_staff=False))
    for path in (RULES, f"{RULES}wuhan-fixed-1234/", f"{RULES}hidden-draft/", f"{RULES}?status=draft"):
        anonymous = client.get(path)
        for outsider in outsiders:
            response = outsider.get(path)
            assert (response.status_code, response.json()) == (anonymous.status_code, anonymous.json())
    # The address takes writes, whoever answers the read (a query no earlier test asked, so not a cached answer).
    assert client.get(RULES, {"page_size": 7})["Allow"] == "GET, POST, HEAD, OPTIONS"
    assert outsiders[0].get(RULES, {"page_size": 7})["Allow"] == "GET, POST, HEAD, OPTIONS"


def test_a_staff_viewset_names_its_public_viewset_queryset_and_serializer():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="public viewset, queryset and serializer"):
        type("Incomplete", (StaffContentViewSet,), {"queryset": DefaultPasswordRule.objects.all()})


def test_staff_answers_bypass_the_response_cache_and_are_private(client, editor):
    path = f"{RULES}wuhan-fixed-1234/"
    public = client.get(path)
    assert "Authorization" in public["Vary"]
    assert client.get(path, HTTP_IF_NONE_MATCH=public["ETag"]).status_code == 304
    staff = editor.get(path, HTTP_IF_NONE_MATCH=public["ETag"])
    assert staff.status_code == 200
    assert staff.json()["version"] >= 1 and "kind_label" not in staff.json()
    assert staff["ETag"] == etag_of(staff.json())
    assert "private" in staff["Cache-Control"] and "Authorization" in staff["Vary"]
    # ... and the public answer cached before is still the public one.
    assert "kind_label" in client.get(path).json()
    created = write(editor, "post", RULES, rule_body())
    assert "no-store" in created["Cache-Control"]


# Versions: two staff tools editing at once.


def test_the_second_of_two_concurrent_edits_is_refused_naming_what_changed(editor):
    other = staff_client("editors", "editor-zhao")
    create_rule(editor)
    path = f"{RULES}api-test-rule/"
    etag = read_etag(editor, path)
    assert read_etag(other, path) == etag

    first = write(editor, "patch", path, {"note": "第一处修改", "value": "777888"}, etag)
    assert first.status_code == 200 and first["ETag"] != etag
    second = write(other, "patch", path, {"note": "第二处修改"}, etag)
    body = assert_problem(second, 412, "stale_version")
    assert body["based_on_version"] == 1 and body["current_version"] == 2
    assert body["changes"][0]["changed_by"] == "editor-li"
    assert {"note", "value"} <= set(body["changes"][0]["fields"])
    assert "editor-li" in body["detail"] and "value" in body["detail"]
    assert DefaultPasswordRule.objects.get(slug="api-test-rule").note == "第一处修改"
    # Based on the current version, it goes through.
    assert write(other, "patch", path, {"note": "第二处修改"}, first["ETag"]).status_code == 200
    # A workflow move based on an old version is refused too.
    assert_problem(write(other, "post", f"{path}submit/", etag=etag), 412, "stale_version")


def test_a_save_that_loses_the_race_after_the_check_is_refused_too(editor, monkeypatch):
    create_rule(editor)
    path = f"{RULES}api-test-rule/"
    etag = read_etag(editor, path)
    checked = StaffContentViewSet.check_precondition

    def and_someone_else_saves(view, obj):
        # Someone else saves between our If-Match check and our own save.
        checked(view, obj)
        other = DefaultPasswordRule.objects.get(pk=obj.pk)
        other.note = "抢先"
        other.save()

    monkeypatch.setattr(StaffContentViewSet, "check_precondition", and_someone_else_saves)
    response = write(editor, "patch", path, {"note": "晚了"}, etag)
    body = assert_problem(response, 412, "stale_version")
    assert "note" in body["changes"][0]["fields"]
    assert DefaultPasswordRule.objects.get(slug="api-test-rule").note == "抢先"


# Published content: edited through a pending edit, visible at once when published.


def test_published_content_is_changed_through_its_pending_edit(
    client, editor, publisher, django_capture_on_commit_callbacks
):
    path = f"{RULES}wuhan-fixed-1234/"
    assert client.get(path).json()["value"] == "1234"  # cached now
    assert client.get(path).json()["value"] == "1234"

    response = write(editor, "patch", path, {"value": "4321"}, read_etag(editor, path))
    body = assert_problem(response, 409, "edit_published")
    assert body["start_edit"].endswith(f"{path}start-edit/")

    started = write(editor, "post", body["start_edit"], etag=read_etag(editor, path))
    assert started.status_code == 201
    edit = started.json()
    assert (edit["slug"], edit["draft_of"], edit["status"]) == ("wuhan-fixed-1234-edit", "wuhan-fixed-1234", "draft")
    assert started["Location"].endswith(f"{RULES}wuhan-fixed-1234-edit/")
    again = write(editor, "post", body["start_edit"], etag=read_etag(editor, path))
    assert again.status_code == 200 and again.json()["slug"] == edit["slug"]

    edit_path = f"{RULES}{edit['slug']}/"
    edit = write(editor, "patch", edit_path, {"value": "4321"}, etag_of(edit)).json()
    edit = write(editor, "post", f"{edit_path}submit/", etag=etag_of(edit)).json()
    assert client.get(path).json()["value"] == "1234"

    with django_capture_on_commit_callbacks(execute=True):
        published = write(publisher, "post", f"{edit_path}publish/", {"note": "武汉初始密码改为4321"}, etag_of(edit))
    assert published.status_code == 200, published.content
    assert (published.json()["slug"], published.json()["status"]) == ("wuhan-fixed-1234", "published")
    # The public answer changes at once: the cached one named the old content revision.
    public = client.get(path).json()
    assert (public["value"], public["standing"]) == ("4321", "unverified")
    assert not DefaultPasswordRule.objects.filter(slug=edit["slug"]).exists()
    note = ChangeNote.objects.get(object_id=DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234").pk)
    assert (note.note, note.written_by) == ("武汉初始密码改为4321", publisher.user)


def test_schedule_and_archive_with_a_successor(client, publisher):
    body = create_rule(publisher, slug="scheduled-rule")
    path = f"{RULES}scheduled-rule/"
    body = write(publisher, "post", f"{path}submit/", etag=etag_of(body)).json()
    response = write(publisher, "post", f"{path}schedule/", {"publish_at": "2000-01-01T00:00:00+08:00"}, etag_of(body))
    assert_problem(response, 400, "invalid_parameter", parameter="publish_at")
    when = (timezone.now() + datetime.timedelta(days=1)).replace(microsecond=0)
    response = write(publisher, "post", f"{path}schedule/", {"publish_at": when.isoformat()}, etag_of(body))
    assert response.status_code == 200
    assert datetime.datetime.fromisoformat(response.json()["publish_at"]) == when
    assert AuditEntry.objects.filter(action="schedule", object_repr__contains="654321").exists()

    published_rule(publisher, slug="old-rule", value="100000")
    published_rule(publisher, slug="new-rule", value="200000")
    old = f"{RULES}old-rule/"
    response = write(publisher, "post", f"{old}archive/", {"replaced_by": "no-such"}, read_etag(publisher, old))
    assert_problem(response, 400, "invalid_parameter", parameter="replaced_by")
    response = write(publisher, "post", f"{old}archive/", {"replaced_by": "new-rule"}, read_etag(publisher, old))
    assert (response.status_code, response.json()["status"], response.json()["replaced_by"]) == (
        200, "archived", "new-rule",
    )  # fmt: skip
    gone = assert_problem(client.get(old), 410, "gone")
    assert gone["successor"].endswith(f"{RULES}new-rule/")
    assert_problem(write(publisher, "patch", old, {"note": "x"}, response["ETag"]), 409, "archived")


def test_only_drafts_are_deleted_and_in_use_content_is_kept(publisher):
    published_rule(publisher, slug="kept-rule")
    path = f"{RULES}kept-rule/"
    assert_problem(write(publisher, "delete", path, etag=read_etag(publisher, path)), 409, "not_draft")
    channel = write(
        publisher,
        "post",
        "/api/v1/channels/",
        {"slug": "api-counter", "kind": "counter", "name": "测试柜台", "region": "420100", "sources": [SOURCE]},
    ).json()
    write(publisher, "post", PROCEDURES, procedure_body(channel="api-counter"))
    response = write(publisher, "delete", "/api/v1/channels/api-counter/", etag=etag_of(channel))
    assert_problem(response, 409, "in_use")
    procedure = f"{PROCEDURES}api-test-procedure/"
    assert write(publisher, "delete", procedure, etag=read_etag(publisher, procedure)).status_code == 204
    assert not Procedure.objects.filter(slug="api-test-procedure").exists()


# History, audit and revert.


def test_every_change_is_in_the_history_with_its_user_and_fields(editor, publisher):
    body = create_rule(editor)
    path = f"{RULES}api-test-rule/"
    body = write(
        editor, "patch", path, {"note": "补充说明", "sources": [SOURCE, "xinxiang-yibaoka-yuanshi-mima"]}, etag_of(body)
    ).json()
    body = write(editor, "post", f"{path}verify/", etag=etag_of(body)).json()
    assert body["verified_by"] == "editor-li" and body["verified_at"]
    body = write(editor, "post", f"{path}submit/", etag=etag_of(body)).json()
    body = write(publisher, "post", f"{path}publish/", etag=etag_of(body)).json()
    write(publisher, "post", f"{path}archive/", etag=etag_of(body))

    history = publisher.get(f"{path}history/").json()
    assert [(h["user"], h["type"], h["status"]) for h in history] == [
        ("publisher-wang", "changed", "archived"),
        ("publisher-wang", "changed", "published"),
        ("editor-li", "changed", "in_review"),
        ("editor-li", "changed", "draft"),
        ("editor-li", "changed", "draft"),
        ("editor-li", "created", "draft"),
    ]
    assert [h["version"] for h in history] == [6, 5, 4, 3, 2, 1]
    assert {"note", "sources"} <= set(history[4]["changed_fields"])
    assert "verified_at" in history[3]["changed_fields"]
    assert history[0]["changed_fields"] == ["status"]
    assert_problem(APIClient().get(f"{path}history/"), 401, "not_authenticated")

    rule = DefaultPasswordRule.objects.get(slug="api-test-rule")
    audit = list(
        AuditEntry.objects.filter(object_id=rule.pk).order_by("at", "id").values_list("action", "user__username")
    )
    assert audit == [("submit", "editor-li"), ("publish", "publisher-wang"), ("archive", "publisher-wang")]


def test_revert_restores_fields_sources_and_steps(client, editor, publisher, django_capture_on_commit_callbacks):
    created = write(editor, "post", PROCEDURES, procedure_body())
    assert created.status_code == 201, created.content
    path = f"{PROCEDURES}api-test-procedure/"
    body = created.json()
    assert [s["position"] for s in body["steps"]] == [1, 2] and body["requirements"] == ["身份证", "社保卡"]
    body = write(editor, "post", f"{path}submit/", etag=etag_of(body)).json()
    body = write(publisher, "post", f"{path}publish/", etag=etag_of(body)).json()
    first_published = publisher.get(f"{path}history/").json()[0]["history_id"]

    edit = write(editor, "post", f"{path}start-edit/", etag=etag_of(body)).json()
    edit_path = f"{PROCEDURES}{edit['slug']}/"
    assert [s["instruction"] for s in edit["steps"]] == ["带上证件到柜台。", "填写申请表。"]
    edit = write(
        editor,
        "patch",
        edit_path,
        {
            "title": "改过的标题",
            "sources": ["xinxiang-yibaoka-yuanshi-mima"],
            "steps": [{"instruction": "只剩一步。", "ui_path": "【我的】→【密码】"}],
        },
        etag_of(edit),
    ).json()
    edit = write(editor, "post", f"{edit_path}submit/", etag=etag_of(edit)).json()
    with django_capture_on_commit_callbacks(execute=True):
        body = write(publisher, "post", f"{edit_path}publish/", etag=etag_of(edit)).json()
    assert body["title"] == "改过的标题" and len(body["steps"]) == 1
    assert client.get(path).json()["steps"][0]["ui_path"] == "【我的】→【密码】"

    response = write(publisher, "post", f"{path}revert/", {"history_id": 10**9}, etag_of(body))
    assert_problem(response, 400, "invalid_parameter", parameter="history_id")
    with django_capture_on_commit_callbacks(execute=True):
        response = write(publisher, "post", f"{path}revert/", {"history_id": first_published}, etag_of(body))
    assert response.status_code == 200, response.content
    reverted = response.json()
    assert reverted["title"] == "在柜台重置医保密码" and reverted["status"] == "published"
    assert reverted["sources"] == [SOURCE]
    assert [s["instruction"] for s in reverted["steps"]] == ["带上证件到柜台。", "填写申请表。"]
    public = client.get(path).json()
    assert public["title"] == "在柜台重置医保密码" and len(public["steps"]) == 2
    procedure = Procedure.objects.get(slug="api-test-procedure")
    entry = AuditEntry.objects.filter(object_id=procedure.pk, action="revert").get()
    assert entry.user == publisher.user
    assert publisher.get(f"{path}history/").json()[0]["user"] == "publisher-wang"


def test_every_resource_takes_writes(publisher):
    bodies = {
        "sources": {"slug": "api-source", "title": "测试文件", "publisher": "测试局", "url": "https://example.org/a"},
        "card-types": {"slug": "api-card", "name": "测试卡", "medium": "physical", "has_financial_account": False,
                       "sources": [SOURCE]},
        "password-policies": {"slug": "api-policy", "region": "420100", "card_type": "ssc-gen2",
                              "password": "medical_account", "standing": "unverified", "min_length": 6,
                              "max_length": 6, "allowed_characters": "digits", "sources": [SOURCE]},
        "channels": {"slug": "api-hotline", "kind": "hotline", "name": "测试热线", "region": "420100",
                     "phone": "027-12393", "sources": [SOURCE]},
        "faqs": {"slug": "api-faq", "question": "问？", "answer": "答。", "regions": ["420100"],
                 "procedures": ["change-password-nhsa-app"], "sources": [SOURCE]},
    }  # fmt: skip
    for resource, body in bodies.items():
        response = write(publisher, "post", f"/api/v1/{resource}/", body)
        assert response.status_code == 201, (resource, response.content)
        created = response.json()
        path = f"/api/v1/{resource}/{body['slug']}/"
        created = write(publisher, "post", f"{path}submit/", etag=etag_of(created)).json()
        response = write(publisher, "post", f"{path}publish/", etag=etag_of(created))
        assert response.json()["status"] == "published", (resource, response.content)
        assert APIClient().get(path).status_code == 200
    assert_problem(
        write(publisher, "post", "/api/v1/channels/", {**bodies["channels"], "slug": "x", "phone": ""}),
        400,
        "invalid_parameter",
    )


# One table of moves: the workflow's, read by the admin and the API alike.


def test_every_workflow_move_is_an_api_action_with_the_table_s_rules():
    from curation import workflow
    from curation.api.writes import PRECONDITION_ACTIONS, PUBLISHER_ACTIONS
    from passwords.api.views import DefaultPasswordRuleStaffViewSet

    actions = {action.__name__ for action in DefaultPasswordRuleStaffViewSet.get_extra_actions()} - {"history"}
    assert actions == {move.api_action for move in workflow.MOVES.values()}
    assert {"publish", "schedule", "archive", "revert"} == PUBLISHER_ACTIONS
    assert actions <= PRECONDITION_ACTIONS


def test_archived_content_cannot_be_marked_verified(publisher):
    body = published_rule(publisher)
    body = write(publisher, "post", f"{RULES}api-test-rule/archive/", etag=etag_of(body)).json()
    response = write(publisher, "post", f"{RULES}api-test-rule/verify/", etag=etag_of(body))
    assert_problem(response, 409, "invalid_transition")


def test_a_staff_list_costs_as_many_queries_for_many_published_rows_with_pending_edits_as_for_one(publisher):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from curation import workflow

    for rule in DefaultPasswordRule.objects.filter(status="published")[:5]:
        workflow.start_edit(rule, publisher.user)

    def staff_list(size: int) -> tuple[int, list[dict]]:
        with CaptureQueriesContext(connection) as queries:
            response = publisher.get(RULES, {"status": "published", "page_size": size})
        assert response.status_code == 200, response.content
        return len(queries), response.json()["results"]

    one, _rows = staff_list(1)
    many, rows = staff_list(50)
    assert len(rows) > 10 and many == one
    assert sum(row["pending_edit"] is not None for row in rows) == 5
    for row in rows:
        if row["pending_edit"]:
            assert DefaultPasswordRule.objects.get(slug=row["pending_edit"]).draft_of.slug == row["slug"]
