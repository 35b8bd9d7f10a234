"""Staff tools write where and when a card type is issued or withdrawn, in the card type's body: each statement
checked by the model, the whole list kept in the card type's history, and the public lookup answering from it once
it is published."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from passwords.models import CardType, CardTypeAvailability
from regions.models import Region
from sources.models import Source
from tests.http import assert_problem
from tests.staff import SOURCE, staff_client, write

pytestmark = pytest.mark.django_db

CARD_TYPES = "/api/v1/card-types/"
OTHER_SOURCE = "xinxiang-yibaoka-yuanshi-mima"


@pytest.fixture
def editor():
    return staff_client("editors", "editor-li")


@pytest.fixture
def publisher():
    return staff_client("publishers", "publisher-wang")


def card_body(**fields) -> dict:
    return {
        "slug": "api-card",
        "name": "测试卡",
        "medium": "physical",
        "has_financial_account": False,
        "sources": [SOURCE],
    } | fields


def statement(**fields) -> dict:
    return {"region": "420000", "withdrawn_from": "2021-05-01", "source": SOURCE} | fields


def etag_of(body: dict) -> str:
    return f'"v{body["version"]}"'


def stored(slug: str) -> list[tuple]:
    card_type = CardType.objects.get(slug=slug)
    return list(
        card_type.availability.order_by("region__code").values_list(
            "region__code", "issued_from", "withdrawn_from", "source__slug", "note"
        )
    )


def test_a_new_card_type_is_written_with_its_availability_and_one_history_record(editor):
    body = card_body(
        availability=[
            statement(region="420000", note="湖北停发"),
            statement(region="110000", issued_from="2019-01-01", withdrawn_from=None, source=OTHER_SOURCE),
        ]
    )
    response = write(editor, "post", CARD_TYPES, body)

    assert response.status_code == 201, response.content
    # Answered as stored: by region, every column, dates in ISO 8601.
    assert response.json()["availability"] == [
        {"region": "110000", "issued_from": "2019-01-01", "withdrawn_from": None, "source": OTHER_SOURCE, "note": ""},
        {"region": "420000", "issued_from": None, "withdrawn_from": "2021-05-01", "source": SOURCE, "note": "湖北停发"},
    ]
    assert stored("api-card") == [
        ("110000", datetime.date(2019, 1, 1), None, OTHER_SOURCE, ""),
        ("420000", None, datetime.date(2021, 5, 1), SOURCE, "湖北停发"),
    ]
    (record,) = CardType.objects.get(slug="api-card").history.all()
    assert record.history_user == editor.user
    assert [row["region"] for row in record.related_snapshot["availability"]] == ["110000", "420000"]
    assert editor.get(f"{CARD_TYPES}api-card/")["ETag"] == '"v1"'


@pytest.mark.parametrize(
    ("availability", "parameter"),
    [
        ([statement(region="999999")], "availability[0].region"),
        ([statement(region=420000)], "availability[0].region"),
        ([statement(source="no-such-source")], "availability[0].source"),
        ([statement(issued_from="2021-06-01", withdrawn_from="2021-05-01")], "availability[0].withdrawn_from"),
        ([statement(issued_from="2021-05-01")], "availability[0].withdrawn_from"),  # the same day
        ([statement(withdrawn_from=None)], "availability[0].non_field_errors"),  # no date at all
        ([statement(withdrawn_from="2021-02-30")], "availability[0].withdrawn_from"),
        ([statement(withdrawn_from=20210501)], "availability[0].withdrawn_from"),
        ([statement(note=None)], "availability[0].note"),
        ([statement(note="停\x00发")], "availability[0].note"),
        ([statement(), statement(withdrawn_from="2022-01-01")], "availability[1].region"),
        (["420000"], "availability[0].non_field_errors"),
        ({"region": "420000"}, "availability.non_field_errors"),
        ([statement(region=f"{code:06d}") for code in range(101)], "availability"),
    ],
    ids=[
        "unknown region", "code as a number", "unknown source", "withdrawn before issued", "withdrawn the day issued",
        "no date", "no such day", "date as a number", "null note", "nul character", "region twice", "not an object",
        "not a list", "more than 100",
    ],
)  # fmt: skip
def test_a_bad_statement_is_a_400_naming_it_and_nothing_is_stored(editor, availability, parameter):
    response = write(editor, "post", CARD_TYPES, card_body(availability=availability))

    assert_problem(response, 400, "invalid_parameter", parameter)
    assert not CardType.objects.filter(slug="api-card").exists()


def test_writing_the_list_replaces_it_with_the_version_and_if_match_of_every_write(editor):
    created = write(editor, "post", CARD_TYPES, card_body(availability=[statement()])).json()
    path = f"{CARD_TYPES}api-card/"
    replacement = [statement(region="410000", withdrawn_from="2020-01-01", source=OTHER_SOURCE)]

    assert_problem(write(editor, "patch", path, {"availability": replacement}), 428, "precondition_required")
    changed = write(editor, "patch", path, {"availability": replacement}, etag_of(created))
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] == '"v2"' and [row["region"] for row in changed.json()["availability"]] == ["410000"]
    assert [row[0] for row in stored("api-card")] == ["410000"]

    # Based on the first version: refused, naming what changed since.
    stale = write(editor, "patch", path, {"availability": []}, etag_of(created))
    assert "availability" in assert_problem(stale, 412, "stale_version")["changes"][0]["fields"]
    # The same list again (in another order of keys) changes nothing and records nothing.
    again = write(editor, "patch", path, {"availability": [dict(reversed(replacement[0].items()))]}, '"v2"')
    assert (again.status_code, again["ETag"]) == (200, '"v2"')
    assert CardType.objects.get(slug="api-card").history.count() == 2
    # A PATCH without the list leaves it; an empty list removes every statement.
    write(editor, "patch", path, {"description": "说明"}, '"v2"')
    assert [row[0] for row in stored("api-card")] == ["410000"]
    assert write(editor, "patch", path, {"availability": []}, '"v3"').json()["availability"] == []
    assert stored("api-card") == []


def test_a_published_withdrawal_changes_what_the_lookup_answers(
    client, editor, publisher, django_capture_on_commit_callbacks
):
    def lookup(on: str) -> dict:
        response = client.get("/api/v1/lookup/", {"region": "420102", "card_type": "ssc-gen1", "on": on})
        assert response.status_code == 200, response.content
        return response.json()

    before = lookup("2023-06-01")
    assert before["card_availability"] == [] and before["default_passwords"]

    path = f"{CARD_TYPES}ssc-gen1/"
    original = editor.get(path)
    edit = write(editor, "post", f"{path}start-edit/", etag=original["ETag"]).json()
    edit_path = f"{CARD_TYPES}{edit['slug']}/"
    withdrawal = statement(region="420000", withdrawn_from="2023-01-01", note="湖北停止发放一代卡")
    edit = write(editor, "patch", edit_path, {"availability": [withdrawal]}, etag_of(edit)).json()
    edit = write(editor, "post", f"{edit_path}submit/", etag=etag_of(edit)).json()
    # Not public before it is published.
    assert client.get(path).json()["availability"] == []
    with django_capture_on_commit_callbacks(execute=True):
        published = write(publisher, "post", f"{edit_path}publish/", etag=etag_of(edit))
    assert published.status_code == 200, published.content

    (public,) = client.get(path).json()["availability"]
    assert (public["region"]["code"], public["withdrawn_from"], public["source"]["slug"]) == (
        "420000",
        "2023-01-01",
        SOURCE,
    )
    after = lookup("2023-06-01")
    (availability,) = after["card_availability"]
    assert (availability["card_type"], availability["status"], availability["region"]["code"]) == (
        "ssc-gen1",
        "withdrawn",
        "420000",
    )
    assert after["default_passwords"] == [] and after["password_policy"] == []
    # The day before, the card was still issued there, and the rules still answer.
    earlier = lookup("2022-12-31")
    assert [a["status"] for a in earlier["card_availability"]] == ["issued"]
    assert earlier["default_passwords"] == before["default_passwords"]


def test_the_history_shows_the_availability_change_and_revert_restores_it(
    editor, publisher, django_capture_on_commit_callbacks
):
    created = write(editor, "post", CARD_TYPES, card_body(availability=[statement(note="原说法")])).json()
    path = f"{CARD_TYPES}api-card/"
    rows = [
        statement(note="新说法", source=OTHER_SOURCE),
        statement(region="410000", withdrawn_from="2020-01-01"),
    ]
    changed = write(editor, "patch", path, {"availability": rows}, etag_of(created)).json()

    history = publisher.get(f"{path}history/").json()
    assert history[0]["changed_fields"] == ["availability"]
    diff = history[0]["diff"]
    assert (diff["fields"], diff["links"], diff["steps"]) == ([], [], [])
    added, edited = diff["rows"]
    assert (added["field"], added["change"]) == ("availability", "added")
    assert added["key"] == {"id": "410000", "name": "河南省（410000）"}
    assert {value["field"]: (value["old"], value["new"]) for value in added["values"]} == {
        "withdrawn_from": (None, "2020-01-01"),
        "source": (None, "居民医保卡初始密码多少（健康新闻频道（站点未署名））"),  # by its name, not its slug
    }
    assert (edited["change"], edited["key"]["id"]) == ("changed", "420000")
    values = {value["field"]: value for value in edited["values"]}
    assert (values["note"]["old"], values["note"]["new"]) == ("原说法", "新说法")
    assert {"op": "insert", "text": "新"} in values["note"]["segments"]
    assert values["source"]["new"].startswith("新乡医保卡原始密码是多少及修改方法")
    assert values["withdrawn_from"]["segments"] == [{"op": "equal", "text": "2021-05-01"}]
    assert history[-1]["diff"]["rows"] == []

    first = history[-1]["history_id"]
    changed = write(publisher, "post", f"{path}submit/", etag=etag_of(changed)).json()
    reverted = write(publisher, "post", f"{path}revert/", {"history_id": first}, etag_of(changed))
    assert reverted.status_code == 200, reverted.content
    assert [(row["region"], row["note"]) for row in reverted.json()["availability"]] == [("420000", "原说法")]
    assert [row[0] for row in stored("api-card")] == ["420000"]


def test_staff_read_the_statements_of_every_card_type_in_one_query(editor, django_assert_num_queries):
    editor.get(CARD_TYPES)
    with CaptureQueriesContext(connection) as before:
        editor.get(CARD_TYPES, {"page_size": 100})
    source = Source.objects.get(slug=SOURCE)
    for card_type in CardType.objects.all():
        for code in ("110000", "420000", "510000"):
            CardTypeAvailability.objects.get_or_create(
                card_type=card_type,
                region=Region.objects.get(code=code),
                defaults={"source": source, "issued_from": "2020-01-01"},
            )
    # The statements (with their regions and sources) are one prefetch, read whether there are none or many.
    with django_assert_num_queries(len(before.captured_queries)):
        body = editor.get(CARD_TYPES, {"page_size": 100}).json()
    assert all(len(card["availability"]) >= 3 for card in body["results"])
