"""Hostile and malformed requests: each gets its 4xx in the documented JSON error shape, and nothing a client sent
comes back as live markup."""

import pytest
from django.test import override_settings

from tests.http import assert_problem

pytestmark = pytest.mark.django_db

LONG = "x" * 3000
# Beyond what any query needs (kb.api.guards.MAX_QUERY_STRING): refused before any view runs.
TOO_LONG = "x" * 5000
CONTROL = "\x00\x01\x1b[31m\r\n"
SQL = "'; DROP TABLE regions_region; --"
HTML = '<script>alert("x")</script>'

# (method, path, query, headers, status, code, parameter)
CASES = [
    # malformed and unknown codes
    ("get", "/api/v1/lookup/", {"region": "4201"}, {}, 400, "invalid_parameter", "region"),
    ("get", "/api/v1/lookup/", {"region": "42010a"}, {}, 400, "invalid_parameter", "region"),
    ("get", "/api/v1/lookup/", {"region": "４２０１００"}, {}, 400, "invalid_parameter", "region"),
    ("get", "/api/v1/lookup/", {"region": "999999"}, {}, 404, "not_found", None),
    ("get", "/api/v1/lookup/", {}, {}, 400, "invalid_parameter", "region"),
    ("get", "/api/v1/regions/999999/", {}, {}, 404, "not_found", None),
    ("get", "/api/v1/password-rules/", {"region": "0"}, {}, 400, "invalid_parameter", "region"),
    ("get", "/api/v1/procedures/", {"region_within": "99999999"}, {}, 400, "invalid_parameter", "region_within"),
    # impossible dates
    ("get", "/api/v1/lookup/", {"region": "420102", "on": "2022-02-30"}, {}, 400, "invalid_parameter", "on"),
    ("get", "/api/v1/lookup/", {"region": "420102", "on": "2022-3-32"}, {}, 400, "invalid_parameter", "on"),
    ("get", "/api/v1/password-rules/", {"valid_on": "2022-13-01"}, {}, 400, "invalid_parameter", "valid_on"),
    ("get", "/api/v1/regions/", {"updated_since": "yesterday"}, {}, 400, "invalid_parameter", "updated_since"),
    ("get", "/api/v1/sources/", {"updated_since": "2024-02-30T00:00Z"}, {}, 400, "invalid_parameter", "updated_since"),
    # unknown enumeration values and slugs
    ("get", "/api/v1/regions/", {"level": "city"}, {}, 400, "invalid_parameter", "level"),
    ("get", "/api/v1/password-rules/", {"kind": "birthday"}, {}, 400, "invalid_parameter", "kind"),
    ("get", "/api/v1/password-rules/", {"standing": "rumour"}, {}, 400, "invalid_parameter", "standing"),
    ("get", "/api/v1/procedures/", {"channel_kind": "pigeon"}, {}, 400, "invalid_parameter", "channel_kind"),
    (
        "get",
        "/api/v1/lookup/",
        {"region": "420102", "card_type": "platinum"},
        {},
        400,
        "invalid_parameter",
        "card_type",
    ),
    ("get", "/api/v1/procedures/", {"ordering": "password"}, {}, 400, "invalid_parameter", "ordering"),
    # page sizes and pages
    ("get", "/api/v1/regions/", {"page_size": "100000"}, {}, 400, "invalid_parameter", "page_size"),
    ("get", "/api/v1/regions/", {"page_size": "-1"}, {}, 400, "invalid_parameter", "page_size"),
    ("get", "/api/v1/regions/", {"page_size": "1e3"}, {}, 400, "invalid_parameter", "page_size"),
    ("get", "/api/v1/regions/", {"page": "0"}, {}, 400, "invalid_parameter", "page"),
    ("get", "/api/v1/regions/", {"page": "9999"}, {}, 404, "not_found", None),
    ("get", "/api/v1/regions/", {"page": "10001"}, {}, 400, "invalid_parameter", "page"),
    # very long and control-character strings
    ("get", "/api/v1/regions/", {"search": LONG}, {}, 400, "invalid_parameter", "search"),
    ("get", "/api/v1/procedures/", {"search": LONG}, {}, 400, "invalid_parameter", "search"),
    ("get", "/api/v1/lookup/", {"region": CONTROL}, {}, 400, "invalid_parameter", "region"),
    ("get", "/api/v1/regions/", {"level": CONTROL}, {}, 400, "invalid_parameter", "level"),
    ("get", "/api/v1/procedures/", {"card_type": LONG}, {}, 400, "invalid_parameter", "card_type"),
    ("get", "/api/v1/regions/", {"search": TOO_LONG}, {}, 400, "query_too_long", None),
    ("get", "/api/v1/lookup/", {"region": "420102", "x": TOO_LONG}, {}, 400, "query_too_long", None),
    # SQL and HTML injection in text parameters
    ("get", "/api/v1/lookup/", {"region": SQL}, {}, 400, "invalid_parameter", "region"),
    ("get", "/api/v1/lookup/", {"region": "420102", "card_type": SQL}, {}, 400, "invalid_parameter", "card_type"),
    ("get", "/api/v1/regions/", {"level": HTML}, {}, 400, "invalid_parameter", "level"),
    ("get", "/api/v1/channels/", {"kind": HTML}, {}, 400, "invalid_parameter", "kind"),
    ("get", "/api/v1/faqs/", {"region": HTML}, {}, 400, "invalid_parameter", "region"),
    ("get", "/api/v1/password-rules/", {"valid_on": SQL}, {}, 400, "invalid_parameter", "valid_on"),
    ("get", f"/api/v1/procedures/{HTML}/", {}, {}, 404, "not_found", None),
    # repeated parameters: refused, whichever the values
    ("get", "/api/v1/regions/?page=1&page=2", None, {}, 400, "invalid_parameter", "page"),
    ("get", "/api/v1/lookup/?region=420102&region=420102", None, {}, 400, "invalid_parameter", "region"),
    ("get", "/api/v1/lookup/?region=420102&region=bad", None, {}, 400, "invalid_parameter", "region"),
    ("get", "/api/v1/regions/?page_size=10&page_size=0", None, {}, 400, "invalid_parameter", "page_size"),
    # content negotiation
    ("get", "/api/v1/regions/", {}, {"HTTP_ACCEPT": "application/xml"}, 406, "not_acceptable", None),
    ("get", "/api/v1/regions/", {}, {"HTTP_ACCEPT": "text/html"}, 406, "not_acceptable", None),
    ("get", "/api/v1/lookup/", {"region": "420102"}, {"HTTP_ACCEPT": "image/png"}, 406, "not_acceptable", None),
    # methods and request bodies: the public API only reads; content writes need a staff token first
    ("post", "/api/v1/regions/", {}, {}, 405, "method_not_allowed", None),
    ("put", "/api/v1/regions/420100/", {}, {}, 405, "method_not_allowed", None),
    ("delete", "/api/v1/procedures/change-password-nhsa-app/", {}, {}, 401, "not_authenticated", None),
    ("patch", "/api/v1/lookup/", {}, {}, 405, "method_not_allowed", None),
    ("post", "/api/v1/regions/", {"content_type": "text/plain"}, {}, 405, "method_not_allowed", None),
    ("post", "/api/v1/procedures/", {"content_type": "application/xml"}, {}, 401, "not_authenticated", None),
    ("put", "/api/v1/procedures/", {}, {}, 405, "method_not_allowed", None),
    # no parameter takes personal data: an ID number sent anyway changes nothing, and appears nowhere
    ("get", "/api/v1/lookup/", {"region": "110101199003077777"}, {}, 400, "invalid_parameter", "region"),
]


def send(client, method, path, query, headers):
    if method == "get":
        return client.get(path, query, **headers) if query is not None else client.get(path, **headers)
    content_type = (query or {}).get("content_type", "application/json")
    return getattr(client, method)(path, data="<x/>", content_type=content_type, **headers)


@override_settings(DEBUG=False)
@pytest.mark.parametrize(("method", "path", "query", "headers", "status", "code", "parameter"), CASES)
def test_a_hostile_request_gets_its_4xx_in_the_error_shape(
    client, method, path, query, headers, status, code, parameter
):
    response = send(client, method, path, query, headers)
    body = assert_problem(response, status, code, parameter)
    raw = response.content.decode()
    assert "<script" not in raw and "<x/>" not in raw, "nothing comes back as markup"
    assert "\x00" not in raw and "\x1b" not in raw
    assert len(raw) < 4000, "a long value is not echoed whole"
    assert "110101199003077777" not in body.get("instance", "")


@pytest.mark.parametrize("language", ["xx-invalid", "*;q=abc", "en" * 400, "\u00e9\u00e9"])
def test_an_unusable_accept_language_falls_back_to_chinese(client, language):
    # Language negotiation is lenient by design (RFC 9110 §12.5.4): an unusable header is ignored, not refused.
    response = client.get("/api/v1/regions/420100/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200 and response.json()["level_label"] == "地级"
