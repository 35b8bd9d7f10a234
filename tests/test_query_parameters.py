"""Every address takes exactly the query parameters its schema lists: any other is a 400 naming it, and so cannot make
each request a miss of the response cache. `_` (jQuery's cache buster) is the one exception, and it is not part of
the cache key."""

import re

import pytest
from django.test import override_settings
from django.urls import resolve

from kb.api.guards import IGNORED_PARAMETERS, known_parameters
from tests.http import assert_problem

pytestmark = pytest.mark.django_db

# A real address for each kind of path parameter, so that the checks reach the view.
PATH_VALUES = {"code": "420100", "slug": "change-password-nhsa-app"}


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda match: PATH_VALUES.get(match[1], "x"), path)


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        return Client().get("/api/schema/", {"format": "json"}).json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_the_schema_lists_exactly_the_parameters_each_address_takes(schema):
    for path, method, operation in operations(schema):
        documented = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        match = resolve(concrete(path))
        assert known_parameters(match.func, method, match.view_name) == documented, (method, path)


def test_every_operation_refuses_a_parameter_it_does_not_take(client, schema):
    checked = 0
    for path, method, _operation in operations(schema):
        response = getattr(client, method)(f"{concrete(path)}?regoin=420100", content_type="application/json")
        body = assert_problem(response, 400, "invalid_parameter", "regoin")
        assert "regoin" in body["detail"]
        checked += 1
    assert checked > 80


def test_the_error_says_which_parameters_the_address_takes(client):
    params = {"region": "420102", "regoin": "1"}
    body = assert_problem(client.get("/api/v1/lookup/", params, HTTP_ACCEPT_LANGUAGE="en"), 400, "invalid_parameter")
    assert body["errors"] == [
        {
            "parameter": "regoin",
            "detail": "This address takes no such parameter; "
            "it takes: card_type, detail, include, insurance, on, region.",
        }
    ]
    english = client.get("/api/v1/regions/420100/", {"page": "2"}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["errors"] == [{"parameter": "page", "detail": "This address takes no query parameters."}]
    chinese = client.get("/api/v1/regions/420100/", {"page": "2"}).json()
    assert chinese["errors"][0]["detail"] == "此地址不接受查询参数。"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/export/", {"since": "2024-01-01"}),
        ("/api/schema/", {"format": "json", "version": "2"}),
        ("/api/v1/", {"x": "1"}),
    ],
)
def test_the_export_the_schema_and_the_root_refuse_unknown_parameters(client, path, params):
    assert_problem(client.get(path, params), 400, "invalid_parameter", next(iter(set(params) - {"format"})))


def test_documented_parameters_of_the_schema_and_docs_are_taken(client):
    assert client.get("/api/schema/", {"format": "json", "lang": "en"}).status_code == 200
    assert client.get("/api/docs/", {"script": ""}).status_code == 200


def test_the_cache_buster_is_taken_and_left_out_of_the_cache_key(client, django_assert_num_queries, revision_cached):
    assert {"_"} == IGNORED_PARAMETERS
    first = client.get("/api/v1/lookup/", {"region": "420102"})
    with django_assert_num_queries(0):
        busted = client.get("/api/v1/lookup/", {"region": "420102", "_": "1732612345678"})
    assert busted.status_code == 200 and busted.content == first.content
    assert busted["ETag"] == first["ETag"]


@override_settings(API_ANON_THROTTLE_RATE=None)
def test_new_unknown_parameters_never_reach_a_view(client, django_assert_num_queries, revision_cached):
    client.get("/api/v1/procedures/", {"region": "420102"})
    # Refused before any view runs: no SQL, however many different ones a client makes up.
    with django_assert_num_queries(0):
        for n in range(20):
            assert client.get("/api/v1/procedures/", {"region": "420102", f"x{n}": "1"}).status_code == 400


def test_a_method_the_address_does_not_take_is_a_405_whatever_its_parameters(client):
    for method, path in (("trace", "/api/v1/card-types/"), ("put", "/api/v1/lookup/"), ("delete", "/api/v1/export/")):
        response = client.generic(method.upper(), f"{path}?medium=electronic&page=1")
        assert_problem(response, 405, "method_not_allowed")


def test_the_widget_oembed_and_loader_refuse_unknown_parameters(client):
    page = client.get("/embed/v1/420100/", {"lang": "en", "utm_source": "x"})
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
    assert "utm_source" in page.content.decode()
    oembed = client.get("/oembed", {"url": "http://testserver/embed/v1/420100/", "callback": "f"})
    assert_problem(oembed, 400, "invalid_parameter", "callback")
    assert_problem(client.get("/embed/v1/loader.js", {"v": "2"}), 400, "invalid_parameter", "v")


def test_each_frame_s_id_is_left_out_of_the_widget_s_cache_key(client, django_assert_num_queries, revision_cached):
    first = client.get("/embed/v1/420100/", {"embed_id": "yibao-1-abcdef"})
    with django_assert_num_queries(0):
        second = client.get("/embed/v1/420100/", {"embed_id": "yibao-2-ghijkl", "_": "1"})
    assert second.status_code == 200 and second.content == first.content
    # One the widget refuses is refused, stored answer or not.
    for embed_id in ("a+b", "y" * 65):
        refused = client.get("/embed/v1/420100/", {"embed_id": embed_id})
        assert refused.status_code == 400 and "embed_id" in refused.content.decode(), embed_id


def test_writing_accept_differently_does_not_miss_the_cache(client, django_assert_num_queries, revision_cached):
    first = client.get("/api/v1/procedures/", {"region": "420102"}, HTTP_ACCEPT="application/json")
    with django_assert_num_queries(0):
        for n in range(5):
            accept = f"text/x-made-up-{n}, application/json;q=0.{n};charset=utf-{n}"
            again = client.get("/api/v1/procedures/", {"region": "420102"}, HTTP_ACCEPT=accept)
            assert again.status_code == 200 and again.content == first.content
    # What the site cannot answer in is still a 406, even with a JSON answer stored.
    assert client.get("/api/v1/procedures/", {"region": "420102"}, HTTP_ACCEPT="application/xml").status_code == 406
    yaml = client.get("/api/schema/", HTTP_ACCEPT="application/yaml")
    json_schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert yaml["Content-Type"].startswith("application/yaml")
    assert json_schema["Content-Type"].startswith("application/vnd.oai.openapi+json")


def test_every_free_string_parameter_says_in_the_schema_what_it_accepts(schema):
    """A generated client (or the fuzzer) builds values from the schema: a string parameter described only as "a
    string" gets a NUL or a control character, which the API refuses with a 400 the schema did not announce."""
    for path, method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            described = parameter["schema"]
            if parameter["in"] == "query" and described.get("type") == "string":
                assert {"enum", "pattern", "format"} & described.keys(), (method, path, parameter["name"])


@pytest.mark.parametrize("value", ["\x10A\x00", "Change-Password", "change_password", "-x", "a" * 81])
def test_a_slug_parameter_refuses_what_cannot_be_a_slug(client, schema, value):
    body = assert_problem(client.get("/api/v1/faqs/", {"procedure": value}), 400, "invalid_parameter", "procedure")
    (documented,) = [p for p in schema["paths"]["/api/v1/faqs/"]["get"]["parameters"] if p["name"] == "procedure"]
    assert re.fullmatch(documented["schema"]["pattern"], value) is None or len(value) > 80
    assert body["errors"][0]["parameter"] == "procedure"


def test_a_well_formed_slug_nothing_has_matches_nothing(client):
    response = client.get("/api/v1/faqs/", {"procedure": "no-such-procedure-1"})
    assert response.status_code == 200
    assert response.json()["results"] == []
