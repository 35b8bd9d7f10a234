"""The OpenAPI schema at /api/schema/ is exact: real responses, errors included, validate against it."""

import json

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse

pytestmark = pytest.mark.django_db

REQUESTS = [
    ("/api/v1/regions/", {"search": "wuhan"}, 200),
    ("/api/v1/regions/", {"level": "nation"}, 400),
    ("/api/v1/regions/420102/", {}, 200),
    ("/api/v1/regions/999999/", {}, 404),
    ("/api/v1/card-types/", {"medium": "electronic"}, 200),
    ("/api/v1/card-types/ssc-gen1/", {}, 200),
    ("/api/v1/channels/", {"kind": "hotline", "region_within": "510000"}, 200),
    ("/api/v1/channels/", {"region": "12"}, 400),
    ("/api/v1/password-rules/", {"valid_on": "2022-03-02", "region": "130700"}, 200),
    ("/api/v1/password-rules/", {"valid_on": "2022-03-32"}, 400),
    ("/api/v1/password-rules/wuhan-fixed-1234/", {}, 200),
    ("/api/v1/password-policies/", {"card_type": "medical-insurance-voucher"}, 200),
    ("/api/v1/procedures/", {"channel_kind": "app", "ordering": "-updated_at", "page_size": 5}, 200),
    ("/api/v1/procedures/", {"page_size": 101}, 400),
    ("/api/v1/procedures/change-password-nhsa-app/", {}, 200),
    ("/api/v1/faqs/", {"region": "410700"}, 200),
    ("/api/v1/sources/", {}, 200),
    ("/api/v1/lookup/", {"region": "420102"}, 200),
    ("/api/v1/lookup/", {"region": "320102", "card_type": "ssc-gen1", "on": "2023-01-01"}, 200),
    ("/api/v1/lookup/", {"region": "420102", "detail": "full", "include": "channels,faqs"}, 200),
    ("/api/v1/lookup/", {"region": "420102", "include": "faqs"}, 200),
    ("/api/v1/lookup/", {"region": "420102", "include": "notes"}, 400),
    ("/api/v1/lookup/", {"region": "99"}, 400),
    ("/api/v1/lookup/", {"region": "999999"}, 404),
]


@pytest.fixture(scope="module")
def openapi(django_db_setup, django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    spec = response.json()
    # Strict: a field a response carries but the schema does not name is a disagreement too.
    for component in spec["components"]["schemas"].values():
        if "properties" in component:
            component["additionalProperties"] = False
    # Errors are served as application/problem+json, which is JSON to read.
    config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
    return OpenAPI.from_dict(spec, config=config)


@pytest.mark.parametrize(("path", "params", "status"), REQUESTS, ids=[f"{p}?{q}" for p, q, _status in REQUESTS])
def test_response_matches_the_schema(client, openapi, path, params, status):
    response = client.get(path, params)
    # The answer meant, not any the schema allows: a 404 for a request meant to succeed validates too.
    assert response.status_code == status
    openapi.validate_request(DjangoOpenAPIRequest(response.wsgi_request)) if response.status_code < 400 else None
    openapi.validate_response(DjangoOpenAPIRequest(response.wsgi_request), DjangoOpenAPIResponse(response))


def test_the_schema_is_openapi_3_and_documents_every_filter_with_its_values(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert schema["openapi"].startswith("3.")
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/procedures/"]["get"]["parameters"]}
    assert {"region", "region_within", "card_type", "kind", "channel_kind", "standing", "search", "updated_since"} <= (
        parameters.keys()
    )
    assert "hotline" in parameters["channel_kind"]["schema"]["enum"]
    assert parameters["page_size"]["schema"]["maximum"] == 100
    assert parameters["updated_since"]["schema"]["format"] == "date-time"
    responses = schema["paths"]["/api/v1/procedures/{slug}/"]["get"]["responses"]
    assert {"200", "400", "404", "410", "429"} <= responses.keys()
    assert "application/problem+json" in responses["404"]["content"]


def test_change_notes_and_the_last_check_match_the_schema(client, openapi):
    from curation import workflow
    from curation.models import ChangeNote
    from passwords.models import DefaultPasswordRule

    rule = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    ChangeNote.objects.create(content_object=rule, note="核对了来源")
    workflow.mark_verified(rule, None)
    for path, params in [
        ("/api/v1/password-rules/wuhan-fixed-1234/", {}),
        ("/api/v1/password-rules/", {"region": "420100"}),
        ("/api/v1/lookup/", {"region": "420102", "detail": "full"}),
    ]:
        response = client.get(path, params)
        assert "核对了来源" in response.content.decode()
        request = DjangoOpenAPIRequest(response.wsgi_request)
        openapi.validate_response(request, DjangoOpenAPIResponse(response))


# The write API: each answer a staff tool can get, success or error, validates against the schema too.


def write_requests():
    """(who, method, path, body, If-Match) in an order that moves one draft through the workflow; `"etag"` stands
    for the ETag of the previous answer."""
    from tests.staff import procedure_body, rule_body

    rule = "/api/v1/password-rules/schema-rule/"
    procedure = "/api/v1/procedures/schema-procedure/"
    return [
        (None, "post", "/api/v1/password-rules/", rule_body(slug="schema-rule"), None),
        (None, "patch", rule, {"note": "x"}, None),
        ("editors", "post", "/api/v1/password-rules/", rule_body(slug="schema-rule", value=""), None),
        ("editors", "post", "/api/v1/password-rules/", rule_body(slug="schema-rule"), None),
        ("editors", "patch", rule, {"note": "改"}, None),
        ("editors", "patch", rule, {"note": "改"}, '"v999"'),
        ("editors", "patch", rule, {"note": "改"}, "etag"),
        ("editors", "get", rule, None, None),
        ("editors", "get", "/api/v1/password-rules/", {"status": "draft"}, None),
        ("editors", "post", f"{rule}submit/", {}, "etag"),
        ("editors", "post", f"{rule}publish/", {}, "etag"),
        ("publishers", "post", f"{rule}publish/", {"note": "新规则"}, '"v3"'),
        ("publishers", "patch", rule, {"note": "改"}, '"v4"'),
        ("publishers", "post", f"{rule}start-edit/", {}, '"v4"'),
        ("publishers", "post", f"{rule}start-edit/", {}, '"v4"'),
        ("publishers", "get", f"{rule}history/", None, None),
        ("publishers", "post", f"{rule}verify/", {}, '"v4"'),
        ("publishers", "post", f"{rule}archive/", {"replaced_by": None}, "etag"),
        ("publishers", "post", "/api/v1/procedures/", procedure_body(slug="schema-procedure"), None),
        ("publishers", "post", f"{procedure}schedule/", {"publish_at": "2999-01-01T00:00:00Z"}, "etag"),
        ("publishers", "post", f"{procedure}submit/", {}, "etag"),
        ("publishers", "post", f"{procedure}schedule/", {"publish_at": "2999-01-01T00:00:00Z"}, "etag"),
        ("publishers", "post", f"{procedure}return/", {"reason": "再查"}, "etag"),
        ("publishers", "post", f"{procedure}revert/", {"history_id": 1}, "etag"),
        ("publishers", "delete", procedure, None, "etag"),
    ]


def test_write_responses_match_the_schema(openapi):
    from tests.staff import staff_client

    clients = {None: None, "editors": staff_client("editors"), "publishers": staff_client("publishers")}
    etag = None
    statuses = []
    for who, method, path, body, if_match in write_requests():
        from rest_framework.test import APIClient

        client = clients[who] or APIClient()
        headers = {"HTTP_IF_MATCH": etag if if_match == "etag" else if_match} if if_match else {}
        if method == "get":
            response = client.get(path, body or {})
        else:
            response = getattr(client, method)(path, body, format="json", **headers)
        statuses.append(response.status_code)
        openapi.validate_response(DjangoOpenAPIRequest(response.wsgi_request), DjangoOpenAPIResponse(response))
        etag = response.get("ETag", etag)
    assert statuses == [
        401, 401, 400, 201, 428, 412, 200, 200, 200, 200, 403, 200, 409, 201, 200, 200, 200, 200, 201, 409, 200,
        200, 200, 400, 204,
    ]  # fmt: skip


def test_the_schema_documents_the_token_and_every_write_error(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }
    paths = schema["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            if method in ("get", "head") and not path.endswith("/history/"):
                assert {} in operation["security"], (method, path)
                continue
            assert operation["security"] == [{"tokenAuth": []}], (method, path)
            assert "401" in operation["responses"] and "403" in operation["responses"], (method, path)
            if method != "get":
                assert {"400", "415"} <= operation["responses"].keys(), (method, path)
            if "{slug}" in path and method != "get":
                assert {"409", "412", "428"} <= operation["responses"].keys(), (method, path)
                names = [(p["in"], p["name"], p["required"]) for p in operation["parameters"]]
                assert ("header", "If-Match", True) in names, (method, path)
    publish = paths["/api/v1/procedures/{slug}/publish/"]["post"]
    assert publish["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/PublishRequest")
    created = paths["/api/v1/procedures/"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert created["$ref"].endswith("/StaffProcedure")


def test_the_schema_is_the_same_english_bytes_whatever_accept_language(client):
    answers = [
        client.get("/api/schema/", {"format": "json"}, **headers).content
        for headers in ({}, {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}, {"HTTP_ACCEPT_LANGUAGE": "en"})
    ]
    assert answers[0] == answers[1] == answers[2]
    schema = json.loads(answers[0])
    titles = [
        parameter["schema"].get("title", "")
        for operations in schema["paths"].values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
    ]
    assert all(title.isascii() for title in titles)
    kinds = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/procedures/"]["get"]["parameters"]}
    assert (kinds["kind"]["title"], kinds["channel_kind"]["title"]) == ("ProcedureKindEnum", "ChannelKindEnum")
    # The Chinese schema is still there for the documentation pages, which ask for it in the page's language.
    chinese = client.get("/api/schema/", {"format": "json", "lang": "zh-hans"}).json()
    assert "修改密码" in chinese["components"]["schemas"]["ProcedureKindEnum"]["description"]
    assert "Change the password" in schema["components"]["schemas"]["ProcedureKindEnum"]["description"]


def test_the_documentation_pages_read_the_schema_in_their_language(client):
    from bs4 import BeautifulSoup

    for headers, language in (({}, "zh-hans"), ({"HTTP_ACCEPT_LANGUAGE": "en"}, "en")):
        html = BeautifulSoup(client.get("/api/docs/", **headers).content, "html.parser")
        init = next(tag["src"] for tag in html.find_all("script") if "script=" in tag.get("src", ""))
        # Written into a JavaScript string, with \u escapes.
        script = client.get(init, **headers).content.decode("unicode_escape")
        assert f'"/api/schema/?lang={language}"' in script
        redoc = client.get("/api/redoc/", **headers).content.decode("unicode_escape")
        assert f'"/api/schema/?lang={language}"' in redoc


def test_the_two_kinds_of_change_are_two_components_each_as_sent(client):
    schemas = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    assert "Change" not in schemas
    assert set(schemas["ChangeNote"]["required"]) == {"date", "note"}
    assert set(schemas["VersionChange"]["required"]) == {"version", "changed_at", "changed_by", "fields"}
    assert schemas["Problem"]["properties"]["changes"]["items"]["$ref"].endswith("/VersionChange")
    assert schemas["Procedure"]["properties"]["changes"]["items"]["$ref"].endswith("/ChangeNote")


def test_a_412_naming_the_changes_since_matches_the_schema(openapi):
    from tests.staff import rule_body, staff_client

    editor = staff_client("editors")
    rule = "/api/v1/password-rules/stale-rule/"
    created = editor.post("/api/v1/password-rules/", rule_body(slug="stale-rule"), format="json")
    saved = editor.patch(rule, {"note": "改"}, format="json", HTTP_IF_MATCH=created["ETag"])
    assert saved.status_code == 200
    stale = editor.patch(rule, {"note": "再改"}, format="json", HTTP_IF_MATCH=created["ETag"])
    assert stale.status_code == 412 and [change["fields"] for change in stale.json()["changes"]] == [["note"]]
    openapi.validate_response(DjangoOpenAPIRequest(stale.wsgi_request), DjangoOpenAPIResponse(stale))


def test_a_card_types_availability_is_written_and_its_history_read_as_the_schema_says(openapi):
    from tests.staff import SOURCE, staff_client

    editor = staff_client("editors")
    card = "/api/v1/card-types/schema-card/"
    body = {"slug": "schema-card", "name": "模式卡", "medium": "physical", "has_financial_account": False,
            "sources": [SOURCE], "availability": [{"region": "410000", "withdrawn_from": "2020-01-01",
                                                   "source": SOURCE, "note": "停发"}]}  # fmt: skip
    created = editor.post("/api/v1/card-types/", body, format="json")
    assert created.status_code == 201, created.content
    changed = editor.patch(
        card,
        {"availability": [{"region": "410000", "issued_from": "2015-01-01", "withdrawn_from": "2020-01-01",
                           "source": SOURCE}]},
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )  # fmt: skip
    refused = editor.patch(
        card, {"availability": [{"region": "410000", "source": SOURCE}]}, format="json", HTTP_IF_MATCH=changed["ETag"]
    )
    history = editor.get(f"{card}history/")
    assert (changed.status_code, refused.status_code, history.status_code) == (200, 400, 200)
    assert history.json()[0]["diff"]["rows"][0]["key"]["id"] == "410000"
    for response in (created, changed, refused, history):
        request = DjangoOpenAPIRequest(response.wsgi_request)
        if response.wsgi_request.method != "GET" and response.status_code < 400:
            openapi.validate_request(request)
        openapi.validate_response(request, DjangoOpenAPIResponse(response))


def test_the_schema_documents_a_card_types_availability(client):
    schemas = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    availability = schemas["StaffCardTypeRequest"]["properties"]["availability"]
    assert availability["type"] == "array" and availability["maxItems"] == 100
    row = schemas[availability["items"]["$ref"].rsplit("/", 1)[1]]
    assert set(row["properties"]) == {"region", "issued_from", "withdrawn_from", "source", "note"}
    assert set(row["required"]) == {"region", "source"}
    rows = schemas["VersionDiff"]["properties"]["rows"]["items"]["$ref"].rsplit("/", 1)[1]
    assert set(schemas[rows]["properties"]) == {"field", "label", "change", "key", "values"}


def test_responses_document_their_headers_and_reads_their_304(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert schema["servers"] == [{"url": "http://testserver", "description": "This server"}]
    headers = schema["components"]["headers"]
    assert {"ETag", "Last-Modified", "Cache-Control", "Retry-After", "X-Request-ID"} <= headers.keys()
    lookup = schema["paths"]["/api/v1/lookup/"]["get"]
    assert lookup["tags"] == ["lookup"]
    assert {"If-None-Match", "If-Modified-Since"} <= {p["name"] for p in lookup["parameters"] if p["in"] == "header"}
    named = {status: set(response["headers"]) for status, response in lookup["responses"].items()}
    assert {"ETag", "Last-Modified", "Cache-Control", "X-Request-ID"} <= named["200"] and "content" not in (
        lookup["responses"]["304"]
    )
    assert "ETag" in named["304"] and "Retry-After" in named["429"] and "Retry-After" in named["503"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation["tags"] == [path.split("/")[3]], (method, path)
            for response in operation["responses"].values():
                assert "X-Request-ID" in response["headers"], (method, path)
    export = schema["paths"]["/api/v1/export/"]["get"]["responses"]["200"]["content"]
    assert export == {"application/x-ndjson": {"schema": {"type": "string", "format": "binary"}}}


def test_every_query_value_is_bounded_and_the_api_refuses_beyond(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                value = parameter["schema"]
                if parameter["in"] in ("query", "path") and value.get("type") == "string":
                    assert "maxLength" in value, (method, path, parameter["name"])
                if value.get("type") == "array":
                    assert "maxItems" in value, (method, path, parameter["name"])
                if value.get("type") == "integer":
                    assert "maximum" in value, (method, path, parameter["name"])
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/procedures/"]["get"]["parameters"]}
    assert parameters["search"]["maxLength"] == 100 and parameters["region"]["maxLength"] == 6
    assert parameters["ordering"]["maxItems"] == 5 and parameters["page"]["maximum"] == 10_000
    for params in (
        {"search": "x" * 101},
        {"ordering": "kind,-kind,title,slug,region,updated_at"},
        {"page": 10_001},
        {"updated_since": "2024-01-01T00:00:00." + "0" * 20 + "+08:00"},
    ):
        response = client.get("/api/v1/procedures/", params)
        assert response.status_code == 400, params
        assert response.json()["errors"][0]["parameter"] == next(iter(params))
    assert client.get("/api/v1/procedures/", {"ordering": "kind,title,slug,region,-updated_at"}).status_code == 200
