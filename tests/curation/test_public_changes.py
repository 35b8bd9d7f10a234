"""Change notes and the date of the last check travel with the content: lists, details, the lookup, the export."""

import datetime
import json

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from curation import workflow
from curation.models import ChangeNote
from curation.revisions import RevisionMemo
from passwords.models import DefaultPasswordRule
from procedures.models import Channel, Faq, Procedure
from tests.http import results

pytestmark = pytest.mark.django_db


def note(obj, text: str, day: str) -> ChangeNote:
    return ChangeNote.objects.create(content_object=obj, note=text, changed_on=datetime.date.fromisoformat(day))


def test_a_rule_shows_its_change_notes_newest_first_in_detail_and_list(client):
    rule = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    note(rule, "首次收录", "2023-05-01")
    note(rule, "核对了来源", "2024-02-01")
    expected = [{"date": "2024-02-01", "note": "核对了来源"}, {"date": "2023-05-01", "note": "首次收录"}]
    assert client.get("/api/v1/password-rules/wuhan-fixed-1234/").json()["changes"] == expected
    listed = results(client.get("/api/v1/password-rules/", {"region": "420100", "kind": "fixed"}))
    assert [row["changes"] for row in listed if row["slug"] == "wuhan-fixed-1234"] == [expected]


@pytest.mark.parametrize(
    ("model", "path"),
    [
        ("passwords.CardType", "card-types"),
        ("passwords.PasswordPolicy", "password-policies"),
        ("procedures.Channel", "channels"),
        ("procedures.Procedure", "procedures"),
        ("procedures.Faq", "faqs"),
    ],
)
def test_every_kind_of_content_carries_changes_and_verified_at(client, django_capture_on_commit_callbacks, model, path):
    from django.apps import apps

    obj = apps.get_model(model).objects.published().order_by("pk").first()
    assert client.get(f"/api/v1/{path}/{obj.slug}/").json() | {"changes": [], "verified_at": None} == (
        client.get(f"/api/v1/{path}/{obj.slug}/").json()
    )
    # Committed, as in a real request: the cached answers move on with the content revision.
    with django_capture_on_commit_callbacks(execute=True):
        note(obj, "更正了电话", "2024-03-01")
        workflow.mark_verified(obj, None)
    body = client.get(f"/api/v1/{path}/{obj.slug}/").json()
    assert body["changes"] == [{"date": "2024-03-01", "note": "更正了电话"}]
    assert body["verified_at"] and datetime.datetime.fromisoformat(body["verified_at"]).date() >= obj.created_at.date()


def test_the_verifier_is_never_shown(client, admin_user):
    rule = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    workflow.mark_verified(rule, admin_user)
    body = client.get("/api/v1/password-rules/wuhan-fixed-1234/").content.decode()
    assert admin_user.username not in body and "verified_by" not in body


def test_the_lookup_shows_changes_on_rules_policies_procedures_and_channels(client):
    rule = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    procedure = Procedure.objects.get(slug="change-password-nhsa-app")
    note(rule, "武汉的规则已核对", "2024-01-02")
    note(procedure, "步骤更新", "2024-01-03")
    note(procedure.channel, "渠道更名", "2024-01-04")
    workflow.mark_verified(rule, None)
    answer = client.get("/api/v1/lookup/", {"region": "420102", "detail": "full", "include": "channels"}).json()
    rules = {r["slug"]: r for r in answer["default_passwords"]}
    assert rules["wuhan-fixed-1234"]["changes"] == [{"date": "2024-01-02", "note": "武汉的规则已核对"}]
    assert rules["wuhan-fixed-1234"]["verified_at"] is not None
    procedures = {p["slug"]: p for p in answer["procedures"]}
    assert procedures["change-password-nhsa-app"]["changes"] == [{"date": "2024-01-03", "note": "步骤更新"}]
    channels = {c["slug"]: c for c in answer["channels"]}
    assert channels[procedure.channel.slug]["changes"] == [{"date": "2024-01-04", "note": "渠道更名"}]
    assert all(p["changes"] == [] for p in answer["password_policy"])


def test_change_notes_keep_the_cold_lookup_at_its_fixed_number_of_queries(client):
    def cold_count(code: str) -> int:
        cache.clear()
        RevisionMemo.clear_all()
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/lookup/", {"region": code}).status_code == 200
        return len(queries.captured_queries)

    before = cold_count("420102")
    for index, rule in enumerate(DefaultPasswordRule.objects.published()):
        note(rule, f"修订{index}", "2024-01-01")
    for channel in Channel.objects.published():
        note(channel, "核对", "2024-01-01")
    assert cold_count("420102") == before
    assert cold_count("000000") == before


def test_a_new_note_changes_the_cached_answers_at_once(client, django_capture_on_commit_callbacks):
    assert client.get("/api/v1/password-rules/wuhan-fixed-1234/").json()["changes"] == []
    assert client.get("/api/v1/lookup/", {"region": "420100", "detail": "full"}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        note(DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234"), "新说明", "2024-05-05")
    assert client.get("/api/v1/password-rules/wuhan-fixed-1234/").json()["changes"][0]["note"] == "新说明"
    answer = client.get("/api/v1/lookup/", {"region": "420100", "detail": "full"}).json()
    assert [r["changes"] for r in answer["default_passwords"] if r["slug"] == "wuhan-fixed-1234"] == [
        [{"date": "2024-05-05", "note": "新说明"}]
    ]


def test_the_export_carries_the_changes(client):
    faq = Faq.objects.published().order_by("pk").first()
    note(faq, "答案更新", "2024-06-01")
    response = client.get("/api/v1/export/")
    lines = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    faqs = {line["data"]["slug"]: line["data"] for line in lines if line["type"] == "faq"}
    assert faqs[faq.slug]["changes"] == [{"date": "2024-06-01", "note": "答案更新"}]
    assert all("changes" in line["data"] for line in lines if line["type"] == "procedure")
