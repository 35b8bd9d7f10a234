"""Conventions every API endpoint keeps: errors, conditional GETs, CORS, throttling, languages and the schema."""

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from passwords.models import DefaultPasswordRule
from tests.http import assert_problem

pytestmark = pytest.mark.django_db

LIST_PATHS = [
    "/api/v1/regions/",
    "/api/v1/card-types/",
    "/api/v1/channels/",
    "/api/v1/password-rules/",
    "/api/v1/password-policies/",
    "/api/v1/procedures/",
    "/api/v1/faqs/",
    "/api/v1/sources/",
]
GET_PATHS = [
    *LIST_PATHS,
    "/api/v1/",
    "/api/v1/regions/420100/",
    "/api/v1/card-types/ssc-gen2/",
    "/api/v1/procedures/change-password-nhsa-app/",
    "/api/v1/lookup/?region=420102",
]


def test_api_root_lists_every_resource_the_lookup_and_the_export(client):
    body = client.get("/api/v1/").json()
    assert {path.split("/")[3] for path in LIST_PATHS} | {"lookup", "export"} <= body.keys()


@pytest.mark.parametrize("path", GET_PATHS)
def test_every_get_carries_etag_and_last_modified_and_answers_304(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response["ETag"] and response["Last-Modified"]
    assert client.get(path, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    assert client.get(path, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"]).status_code == 304


@pytest.mark.parametrize(
    "headers", [{"HTTP_IF_NONE_MATCH": "*"}, {"HTTP_IF_MODIFIED_SINCE": "Fri, 01 Jan 2999 00:00:00 GMT"}]
)
def test_a_condition_that_names_no_answer_is_not_a_304_for_a_request_refused(client, headers):
    """`*` and a date match any answer: a malformed request or an unknown address keeps its error."""
    assert client.get("/api/v1/lookup/", {"region": "420102"}, **headers).status_code == 304
    assert client.get("/api/v1/lookup/", {"region": "99"}, **headers).status_code == 400
    assert client.get("/api/v1/procedures/no-such-procedure/", **headers).status_code == 404


@pytest.mark.parametrize(
    ("path", "status"),
    [("/api/v1/lookup/?region=420102", 200), ("/api/v1/procedures/no-such-procedure/", 404), ("/api/v1/lookup/", 400)],
)
def test_every_answer_at_the_api_varies_on_authorization_304s_and_errors_too(client, path, status):
    """A token can turn any of them into another answer (a draft's 404 into a 200): a shared cache must not serve
    one to the other."""
    response = client.get(path)
    assert response.status_code == status
    assert "Authorization" in response["Vary"]
    if status == 200:
        revalidated = client.get(path, HTTP_IF_NONE_MATCH=response["ETag"])
        assert revalidated.status_code == 304 and "Authorization" in revalidated["Vary"]


def test_a_content_change_moves_last_modified_and_the_etag(client, django_capture_on_commit_callbacks):
    first = client.get("/api/v1/lookup/", {"region": "420102", "detail": "full"})
    rule = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    rule.note = "新的备注"
    with django_capture_on_commit_callbacks(execute=True):
        rule.save()
    second = client.get("/api/v1/lookup/", {"region": "420102", "detail": "full"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200 and second["ETag"] != first["ETag"]
    assert "新的备注" in second.content.decode()


@pytest.mark.parametrize("path", ["/api/v1/procedures/", "/api/v1/lookup/?region=420102"])
def test_any_origin_may_get(client, path):
    response = client.get(path, HTTP_ORIGIN="https://portal.example.org")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]


def test_cors_preflight_allows_only_reading(client):
    response = client.options(
        "/api/v1/procedures/", HTTP_ORIGIN="https://portal.example.org", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    assert set(response["Access-Control-Allow-Methods"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}


def test_the_admin_is_not_opened_to_other_origins(client):
    response = client.get("/admin/login/", HTTP_ORIGIN="https://portal.example.org")
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_are_refused_with_405(client, method):
    response = getattr(client, method)("/api/v1/regions/", data={}, content_type="application/json")
    assert_problem(response, 405, "method_not_allowed")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_content_writes_need_a_staff_token(client, method):
    # Content is writable by staff tools (tests/test_write_api.py); anonymous clients are asked for a token.
    path = "/api/v1/procedures/" if method == "post" else "/api/v1/procedures/change-password-nhsa-app/"
    response = getattr(client, method)(path, data={}, content_type="application/json")
    assert_problem(response, 401, "not_authenticated")


def test_an_accept_header_that_is_not_json_is_406(client):
    assert_problem(client.get("/api/v1/regions/", HTTP_ACCEPT="application/xml"), 406, "not_acceptable")


@override_settings(DEBUG=False)
def test_an_unknown_api_address_is_a_json_404(client):
    assert_problem(client.get("/api/v1/no-such-thing/"), 404, "not_found")


def test_anonymous_clients_are_throttled_with_retry_after(client):
    cache.clear()
    with override_settings(API_ANON_THROTTLE_RATE="3/day"):
        statuses = [client.get("/api/v1/card-types/").status_code for _ in range(4)]
        response = client.get("/api/v1/card-types/")
    cache.clear()
    assert statuses == [200, 200, 200, 429]
    assert_problem(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    # A refusal now is no answer for later: no cache on the way may keep it.
    assert response["Cache-Control"] == "no-store"


def test_labels_and_errors_are_chinese_by_default_and_english_on_request(client):
    chinese = client.get("/api/v1/regions/420100/").json()
    english = client.get("/api/v1/regions/420100/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert (chinese["level"], chinese["level_label"]) == ("prefecture", "地级")
    assert (english["level"], english["level_label"]) == ("prefecture", "Prefecture-level")
    error_zh = client.get("/api/v1/lookup/", {"region": "42"}).json()
    error_en = client.get("/api/v1/lookup/", {"region": "42"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert "六位数字" in error_zh["detail"] and error_zh["title"] == "请求有误"
    assert "six digits" in error_en["detail"] and error_en["title"] == "Bad request"


def test_dates_are_iso_8601(client):
    rule = client.get("/api/v1/password-rules/zhangjiakou-123456-from-2022-03-02/").json()
    assert rule["valid_from"] == "2022-03-02"
    assert timezone.datetime.fromisoformat(rule["updated_at"])


def test_there_is_no_parameter_for_personal_data(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    names = {
        parameter["name"]
        for path in schema["paths"].values()
        for operation in path.values()
        for parameter in operation.get("parameters", [])
    }
    assert not {
        name for name in names if any(word in name for word in ("id_number", "card_number", "id_card", "secret"))
    }
    assert "password" in names  # which password a rule is about, an enumeration, never a secret
    assert set(schema["components"]["schemas"]["PasswordEnum"]["enum"]) == {
        "medical_account",
        "financial_account",
        "voucher_payment",
        "voucher_account",
    }


def test_docs_are_served_without_any_outside_asset(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html and "cdn." not in html and "unpkg" not in html


@pytest.mark.parametrize(
    ("value", "count"),
    [
        ("0001-01-01", 3212),
        ("0001-01-01T07:59:59+08:00", 3212),
        ("9999-12-31T23:59:59-01:00", 0),
        # An offset ISO 8601 allows and PostgreSQL does not (beyond ±15:59).
        ("2000-01-25T09:58:57-22:45", 3212),
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_answered_not_500(client, value, count):
    # Any valid date-time is accepted (the schema says date-time); one before 1900 means everything, one after 2999
    # nothing, without the time-zone shift that would overflow at year 1 or 9999.
    response = client.get("/api/v1/regions/", {"updated_since": value})
    assert response.status_code == 200 and response.json()["count"] == count


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/regions/", "updated_since"),
        ("/api/v1/regions/", "parent"),
        ("/api/v1/procedures/", "region"),
        ("/api/v1/procedures/", "card_type"),
        ("/api/v1/password-rules/", "valid_on"),
        ("/api/v1/card-types/", "has_financial_account"),
        ("/api/v1/faqs/", "procedure"),
        ("/api/v1/lookup/?region=420102", "on"),
        ("/api/v1/lookup/?region=420102", "card_type"),
        ("/api/v1/lookup/", "region"),
    ],
)
def test_an_empty_parameter_is_a_400_naming_it_not_an_absent_one(client, path, parameter):
    separator = "&" if "?" in path else "?"
    response = client.get(f"{path}{separator}{parameter}=")
    body = assert_problem(response, 400, "invalid_parameter", parameter)
    assert "empty" in body["detail"] or "空" in body["detail"]


def test_an_empty_search_means_no_search(client):
    response = client.get("/api/v1/regions/?search=&page_size=1")
    assert response.status_code == 200 and response.json()["count"] == 3212


@pytest.mark.parametrize("ordering", ["", ",", "code,", "code,,level"])
def test_ordering_names_at_least_one_field_and_none_empty(client, ordering):
    assert_problem(client.get("/api/v1/regions/", {"ordering": ordering}), 400, "invalid_parameter", "ordering")


@pytest.mark.parametrize(("value", "status"), [("true", 200), ("false", 200), ("null", 400), ("1", 400)])
def test_a_boolean_filter_takes_true_or_false_only(client, value, status):
    assert client.get("/api/v1/card-types/", {"has_financial_account": value}).status_code == status


@pytest.mark.parametrize(
    ("path", "parameter"),
    [("/api/v1/regions/", "parent"), ("/api/v1/procedures/", "region"), ("/api/v1/channels/", "region_within")],
)
def test_an_unknown_region_code_is_a_404_like_in_the_lookup(client, path, parameter):
    body = assert_problem(client.get(path, {parameter: "999999"}), 404, "not_found")
    assert body["detail"].startswith(f"{parameter}: ")


def test_the_schema_lists_the_published_card_types_and_refuses_empty_values(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/procedures/"]["get"]["parameters"]}
    assert "ssc-gen2" in parameters["card_type"]["enum"]
    assert parameters["card_type"]["minLength"] == 1 and parameters["region"]["minLength"] == 1
    assert "minLength" not in parameters["search"]


@pytest.mark.parametrize(
    ("headers", "params", "status"), [({"HTTP_ACCEPT": "text/html"}, {}, 406), ({}, {"format": "xml"}, 404)]
)
def test_schema_errors_are_json_too(client, headers, params, status):
    response = client.get("/api/schema/", params, **headers)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json" and response.json()["status"] == status


@override_settings(DEBUG=False)
def test_a_foreign_host_and_too_many_parameters_are_json_400s(client):
    assert_problem(client.get("/api/v1/regions/", HTTP_HOST="evil.example"), 400, "bad_request")
    assert_problem(client.get("/api/v1/regions/?" + "&".join(["a="] * 1100)), 400, "bad_request")


def test_a_forged_forwarded_for_does_not_escape_the_throttle(client):
    cache.clear()
    with override_settings(API_ANON_THROTTLE_RATE="2/day"):
        statuses = [client.get("/api/v1/card-types/", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code for n in range(3)]
    cache.clear()
    assert statuses == [200, 200, 429]
