"""/api/v1/procedures/, /api/v1/channels/, /api/v1/faqs/, /api/v1/sources/ and /api/v1/export/."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from procedures.filtersets import ProcedureFilterSet
from procedures.models import Procedure, Step
from regions.models import Region
from tests.factories import make_channel, make_procedure
from tests.http import assert_problem, results

pytestmark = pytest.mark.django_db


def test_procedure_detail_has_steps_in_order_and_its_channel(client):
    body = client.get("/api/v1/procedures/change-password-nhsa-app/").json()
    assert [step["position"] for step in body["steps"]] == list(range(1, len(body["steps"]) + 1))
    assert body["steps"][1]["ui_path"] == "【医保码】→【修改密码】"
    assert body["channel"] | {"kind": "app"} == body["channel"]
    assert {"slug", "kind", "name", "phone", "url"} <= body["channel"].keys()
    assert isinstance(body["requirements"], list) and body["sources"]


def test_reordered_steps_come_back_in_their_new_order(client):
    procedure = make_procedure(slug="reorder-me", steps=3, status="published")
    Step.objects.filter(procedure=procedure, position=1).update(position=9)
    Step.objects.filter(procedure=procedure, position=3).update(position=1)
    instructions = [s["instruction"] for s in client.get("/api/v1/procedures/reorder-me/").json()["steps"]]
    assert instructions == ["第3步", "第2步", "第1步"]


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"kind": "report_loss"}, lambda p: p["kind"] == "report_loss"),
        ({"channel_kind": "hotline"}, lambda p: p["channel"]["kind"] == "hotline"),
        ({"region": "310000"}, lambda p: p["region"]["code"] == "310000"),
        ({"region_within": "410000"}, lambda p: p["region"]["code"] in {"410000", "410700"}),
        (
            {"card_type": "medical-insurance-voucher"},
            lambda p: (
                p["card_types"] in ([], ["medical-insurance-voucher"]) or "medical-insurance-voucher" in p["card_types"]
            ),
        ),
        ({"standing": "unverified"}, lambda p: p["standing"] == "unverified"),
    ],
)
def test_procedure_filters(client, params, check):
    found = results(client.get("/api/v1/procedures/", params | {"page_size": 100}))
    assert found and all(check(p) for p in found)


def test_filters_combine(client):
    found = results(client.get("/api/v1/procedures/", {"channel_kind": "hotline", "kind": "report_loss"}))
    assert [(p["region"]["code"], p["kind"]) for p in found] == [("310000", "report_loss")]


@pytest.mark.parametrize("term", ["亲情账户", "修改医保码密码", "23111111"])
def test_search_over_titles_and_steps_lists_each_procedure_once(client, term):
    found = [p["slug"] for p in results(client.get("/api/v1/procedures/", {"search": term, "page_size": 100}))]
    assert found and len(found) == len(set(found))


def test_filterset_directly():
    queryset = ProcedureFilterSet({"channel_kind": "hotline", "region": "510700"}, Procedure.objects.published()).qs
    assert list(queryset.values_list("channel__phone", flat=True)) == ["0816-12393"]


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/api/v1/procedures/", {"kind": "teleport"}, "kind"),
        ("/api/v1/procedures/", {"channel_kind": "pigeon"}, "channel_kind"),
        ("/api/v1/procedures/", {"card_type": "gold"}, "card_type"),
        ("/api/v1/channels/", {"kind": "fax"}, "kind"),
        ("/api/v1/channels/", {"region": "0816"}, "region"),
        ("/api/v1/faqs/", {"region": "abc"}, "region"),
        ("/api/v1/sources/", {"updated_since": "2024-13-01T00:00:00Z"}, "updated_since"),
    ],
)
def test_malformed_filters_are_400(client, path, params, parameter):
    assert_problem(client.get(path, params), 400, "invalid_parameter", parameter)


def test_channel_detail_and_kind_filter(client):
    hotlines = results(client.get("/api/v1/channels/", {"kind": "hotline", "region": "510600"}))
    assert [(c["name"], c["phone"]) for c in hotlines] == [(hotlines[0]["name"], "0838-26733")]
    assert client.get(f"/api/v1/channels/{hotlines[0]['slug']}/").json()["region"]["code"] == "510600"


def test_channel_search(client):
    found = results(client.get("/api/v1/channels/", {"search": "fw.ybj.beijing.gov.cn"}))
    assert [c["region"]["code"] for c in found] == ["110000"]


def test_faqs_for_a_region_include_its_own_and_general_ones(client):
    faqs = results(client.get("/api/v1/faqs/", {"region": "410700", "page_size": 100}))
    regions = [set(f["regions"]) for f in faqs]
    assert any("410700" in r for r in regions) and any(not r for r in regions)
    assert all(not r or r & {"410700", "410000", "000000"} for r in regions)


def test_sources_list(client):
    assert len(results(client.get("/api/v1/sources/"))) == 5


@pytest.mark.parametrize(
    "path", ["/api/v1/procedures/", "/api/v1/channels/", "/api/v1/faqs/", "/api/v1/sources/", "/api/v1/card-types/"]
)
def test_list_query_counts_do_not_grow_with_page_size(client, django_assert_num_queries, revision_cached, path):
    with CaptureQueriesContext(connection) as small:
        client.get(path, {"page_size": 1})
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(results(client.get(path, {"page_size": 100}))) > 1


@pytest.mark.parametrize("count", [1, 60])
def test_procedure_query_count_is_the_same_for_1_and_60_rows(client, django_assert_num_queries, revision_cached, count):
    county = Region.objects.get(code="420102")
    channel = make_channel(status="published")
    for index in range(count):
        make_procedure(slug=f"bulk-{index}", region=county, channel=channel, status="published", steps=5)
    # region filter, count, the page's ids, its rows (region and channel joined), card types, steps, sources, change
    # notes
    with django_assert_num_queries(8):
        assert len(results(client.get("/api/v1/procedures/", {"region": "420102", "page_size": 100}))) == count


def test_export_streams_every_published_row_as_ndjson(client):
    make_procedure(slug="not-yet", status="draft")
    response = client.get("/api/v1/export/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    counts: dict[str, int] = {}
    for line in lines:
        counts[line["type"]] = counts.get(line["type"], 0) + 1
    assert counts["region"] == Region.objects.count()
    assert counts["procedure"] == Procedure.objects.published().count()
    assert "not-yet" not in {line["data"].get("slug") for line in lines}
    wuhan = next(line["data"] for line in lines if line["type"] == "region" and line["data"]["code"] == "420100")
    assert wuhan["name"] == "武汉市"


def test_export_answers_304_until_content_changes(client, django_capture_on_commit_callbacks):
    first = client.get("/api/v1/export/")
    assert first["ETag"] and first["Last-Modified"]
    assert client.get("/api/v1/export/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        make_procedure(slug="new-one", status="published")
    assert client.get("/api/v1/export/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "check"),
    [
        ("/api/v1/card-types/", {"medium": "electronic"}, lambda r: r["medium"] == "electronic"),
        ("/api/v1/card-types/", {"has_financial_account": "true"}, lambda r: r["has_financial_account"]),
        ("/api/v1/channels/", {"region_within": "510000"}, lambda r: r["region"]["code"].startswith("51")),
        ("/api/v1/faqs/", {"procedure": "help-family-nhsa-app"}, lambda r: "help-family-nhsa-app" in r["procedures"]),
        ("/api/v1/faqs/", {"search": "亲情账户"}, lambda r: "亲情账户" in r["question"] + r["answer"]),
        ("/api/v1/faqs/", {"card_type": "ssc-gen1"}, lambda r: not r["card_types"] or "ssc-gen1" in r["card_types"]),
        ("/api/v1/password-policies/", {"password": "voucher_payment"}, lambda r: r["password"] == "voucher_payment"),
        ("/api/v1/password-policies/", {"region_within": "410000"}, lambda r: r["region"]["code"] == "410700"),
    ],
)
def test_every_other_filter_narrows_the_list(client, path, params, check):
    found = results(client.get(path, params | {"page_size": 100}))
    everything = client.get(path, {"page_size": 100}).json()["count"]
    assert all(check(row) for row in found)
    assert 0 < len(found) < everything


def test_updated_since_in_the_future_lists_nothing_and_in_the_past_everything(client):
    assert results(client.get("/api/v1/channels/", {"updated_since": "2999-01-01T00:00:00Z"})) == []
    everything = client.get("/api/v1/channels/").json()["count"]
    assert client.get("/api/v1/channels/", {"updated_since": "2000-01-01T00:00:00Z"}).json()["count"] == everything


def test_sources_order_by_publication_date(client):
    dates = [s["published_on"] for s in results(client.get("/api/v1/sources/", {"ordering": "-published_on"}))]
    known = [date for date in dates if date]  # where unknown dates sort differs between databases
    assert "2023-07-19" in known and known == sorted(known, reverse=True)
