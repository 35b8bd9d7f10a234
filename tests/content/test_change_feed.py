"""The change feed: an offline copy made from the export and kept in step by replaying /api/v1/changes/ holds what a
fresh export holds, through publishes, edits, archives, unpublishing and deletions; cursors that cannot be continued
answer 410, malformed ones 400, in problem+json."""

import datetime
import io
import json
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from curation.models import ChangeNote
from curation.workflow import archive, publish, start_edit
from passwords.models import DefaultPasswordRule
from procedures.models import Faq, Procedure
from regions.models import Region
from sources.models import Source
from tests.factories import make_rule

pytestmark = pytest.mark.django_db
CHANGES = "/api/v1/changes/"


def identifier(kind: str, data: dict) -> str:
    return data["code"] if kind == "region" else data["slug"]


def exported(client) -> tuple[dict[tuple[str, str], dict], int]:
    response = client.get("/api/v1/export/")
    assert response.status_code == 200
    lines = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    store = {(line["type"], identifier(line["type"], line["data"])): line["data"] for line in lines}
    return store, int(response["Changes-Cursor"])


def replay(client, store: dict, cursor: int) -> int:
    """Applies the feed from `cursor` to `store`, page by page, as an app would; returns the cursor to go on from."""
    while True:
        response = client.get(CHANGES, {"since": cursor})
        assert response.status_code == 200, response.content
        page = response.json()
        for event in page["results"]:
            key = (event["type"], event["identifier"])
            if event["action"] in ("created", "updated"):
                if event["data"] is not None:
                    assert identifier(event["type"], event["data"]) == event["identifier"]
                    store[key] = event["data"]
            else:
                store.pop(key, None)
        cursor = page["cursor"]
        if page["next"] is None:
            return cursor
        assert page["next"].endswith(f"{CHANGES}?since={cursor}")


def test_export_and_replayed_feed_equal_a_fresh_export(client, committed, publisher, settings):
    settings.CHANGE_FEED_PAGE_SIZE = 3
    store, cursor = exported(client)

    new_rule = committed(lambda: make_rule(slug="feed-new-rule", value="246810"))
    committed(lambda: publish(new_rule, publisher, note="新的规则"))
    edit = committed(lambda: start_edit(DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234"), publisher))

    def edit_value():
        edit.value = "4321"
        edit.save()

    committed(edit_value)
    # Half-way: an app that syncs now and later ends where one that syncs once does.
    cursor = replay(client, store, cursor)
    committed(lambda: publish(edit, publisher))
    committed(lambda: archive(DefaultPasswordRule.objects.get(slug="national-common-888888"), publisher))

    def unpublish():
        faq = Faq.objects.get(slug="is-yibaoma-a-password")
        faq.status = "draft"
        faq.save()

    committed(unpublish)
    committed(lambda: Faq.objects.get(slug="gen1-card-initial-password").delete())

    def rename_source():
        source = Source.objects.get(slug="xinxiang-yibaoka-yuanshi-mima")
        source.title = "新乡的新标题"
        source.save()

    committed(rename_source)

    def reword_step():
        step = Procedure.objects.get(slug="change-password-nhsa-app").steps.get(position=1)
        step.instruction = "打开App，登录。"
        step.save()

    committed(reword_step)
    committed(
        lambda: ChangeNote.objects.create(
            content_object=DefaultPasswordRule.objects.get(slug="national-common-123456"), note="再次核对"
        )
    )

    def rename_region():
        region = Region.objects.get(code="420102")
        region.name = "江岸"
        region.save()

    committed(rename_region)
    committed(lambda: make_rule(slug="feed-only-a-draft"))

    replay(client, store, cursor)
    fresh, _cursor = exported(client)
    assert store == fresh
    # The changes did reach the copy (not two empty stores compared).
    assert store[("password_rule", "wuhan-fixed-1234")]["value"] == "4321"
    assert ("password_rule", "feed-new-rule") in store and ("password_rule", "feed-only-a-draft") not in store
    assert ("password_rule", "national-common-888888") not in store
    assert ("faq", "is-yibaoma-a-password") not in store and ("faq", "gen1-card-initial-password") not in store
    assert store[("region", "420102")]["name"] == "江岸"


def test_the_feed_names_each_change_once_with_its_row_and_address(client, committed, publisher):
    _store, cursor = exported(client)
    rule = committed(lambda: make_rule(slug="feed-event-rule", value="135790"))
    committed(lambda: publish(rule, publisher, note="新增"))
    committed(lambda: archive(DefaultPasswordRule.objects.get(slug="feed-event-rule"), publisher))
    committed(lambda: DefaultPasswordRule.objects.get(slug="feed-event-rule").delete())

    events = client.get(CHANGES, {"since": cursor}).json()["results"]
    assert [(e["action"], e["type"], e["identifier"]) for e in events] == [
        ("created", "password_rule", "feed-event-rule"),
        ("archived", "password_rule", "feed-event-rule"),
        ("deleted", "password_rule", "feed-event-rule"),
    ]
    # The row is no longer published: the created event carries no row; an archived row is still at its address.
    assert events[0]["data"] is None and events[0]["url"].endswith("/api/v1/password-rules/feed-event-rule/")
    assert events[1]["url"] == events[0]["url"] and events[2]["url"] is None
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)


def test_the_export_carries_the_cursor_in_either_encoding(client):
    plain = client.get("/api/v1/export/")
    gzipped = client.get("/api/v1/export/", HTTP_ACCEPT_ENCODING="gzip")
    assert plain["Changes-Cursor"] == gzipped["Changes-Cursor"]
    assert int(plain["Changes-Cursor"]) > 0
    caught_up = client.get(CHANGES, {"since": plain["Changes-Cursor"]}).json()
    assert caught_up == {"cursor": int(plain["Changes-Cursor"]), "next": None, "results": []}


def test_feed_answers_are_cached_by_the_public_revision(client, committed):
    _store, cursor = exported(client)
    first = client.get(CHANGES, {"since": cursor})
    committed(lambda: make_rule(slug="feed-cached-draft"))
    assert client.get(CHANGES, {"since": cursor}, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    committed(lambda: publish(DefaultPasswordRule.objects.get(slug="feed-cached-draft"), None, scheduled=True))
    moved = client.get(CHANGES, {"since": cursor}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert moved.status_code == 200 and moved.json()["results"][0]["identifier"] == "feed-cached-draft"


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code
    return body


def test_a_cursor_older_than_the_retention_answers_gone(client, committed, publisher, settings):
    _store, old = exported(client)
    rule = committed(lambda: make_rule(slug="feed-pruned-rule"))
    committed(lambda: publish(rule, publisher))
    later = timezone.now() + datetime.timedelta(days=settings.CHANGE_FEED_RETENTION_DAYS + 1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        call_command("prune_changes", stdout=io.StringIO())
    body = problem(client.get(CHANGES, {"since": old}), 410, "cursor_expired")
    assert "重新下载导出文件" in body["detail"]
    english = client.get(CHANGES, {"since": old}, HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    assert "download the export again" in english
    # The export's cursor after pruning goes on from there.
    _store, fresh = exported(client)
    assert client.get(CHANGES, {"since": fresh}).json()["results"] == []


def test_a_cursor_beyond_the_feed_answers_gone(client):
    # No export gave it (a database restored from an older backup, a made-up number): the copy cannot be trusted.
    problem(client.get(CHANGES, {"since": 2**62}), 410, "cursor_expired")


@pytest.mark.parametrize("since", ["", "abc", "-1", "1.5", "5.0", " 5", "+5", "５", str(2**63)])
def test_a_malformed_cursor_is_a_bad_request_naming_it(client, since):
    body = problem(client.get(CHANGES, {"since": since}), 400, "invalid_parameter")
    assert [error["parameter"] for error in body["errors"]] == ["since"]


def test_the_cursor_is_required(client):
    body = problem(client.get(CHANGES), 400, "invalid_parameter")
    assert [error["parameter"] for error in body["errors"]] == ["since"]


def test_the_api_root_lists_the_feed(client):
    assert client.get("/api/v1/").json()["changes"].endswith("/api/v1/changes/")
