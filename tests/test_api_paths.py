"""Every address under /api, in any letter case and with or without its slash, answers in the API's JSON error
shape, never with an HTML page; over-long query strings are a JSON 400, also behind gunicorn."""

import tempfile
import urllib.error
import urllib.request

import pytest

from scripts.servers import free_port, production_env, start_gunicorn, stop
from tests.http import assert_problem

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/api", "/API/", "/API/v1/regions/", "/Api/v1/lookup/?region=420102", "/api/", "/api/v2/", "/api/v1/x/"]
)
def test_unknown_api_addresses_are_json_404s(client, path):
    body = assert_problem(client.get(path), 404, "not_found")
    assert body["instance"] == path.split("?")[0]


def test_a_missing_trailing_slash_redirects_without_an_html_body(client):
    response = client.get("/api/v1/regions")
    assert response.status_code == 301 and response["Location"] == "/api/v1/regions/"
    assert response.content == b""


def test_over_long_query_strings_are_a_json_400(client):
    body = assert_problem(client.get("/api/v1/regions/", {"search": "x" * 5000}), 400, "query_too_long")
    assert "x" * 100 not in body["detail"]


def test_a_query_just_under_the_limit_is_answered_by_the_api(client):
    response = client.get("/api/v1/regions/", {"ordering": "code", "_": "x" * 4000})
    assert response.status_code == 200


def fetch(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def test_gunicorn_lets_long_request_lines_through_to_the_json_400():
    # No view runs: the guard answers before the database is asked, so the server needs no database.
    with tempfile.TemporaryDirectory() as scratch:
        port = free_port()
        server = start_gunicorn(
            production_env(f"sqlite:///{scratch}/none.sqlite3"), port, workers=1, ready_path="/healthz"
        )
        try:
            # Request lines over gunicorn's default limit (4094 bytes) and over the most it takes as a limit (8190).
            for size in (6_000, 20_000):
                status, content_type, body = fetch(f"http://127.0.0.1:{port}/api/v1/regions/?search={'x' * size}")
                assert status == 400 and content_type == "application/problem+json", body[:200]
                assert b'"code":"query_too_long"' in body
            status, content_type, _ = fetch(f"http://127.0.0.1:{port}/API/v1/regions/")
            assert status == 404 and content_type == "application/problem+json"
        finally:
            stop(server)


@pytest.mark.parametrize(("language", "words"), [("zh-hans", "这个参数只能给一次"), ("en", "Give this parameter once")])
def test_refusals_before_any_view_speak_the_request_language(client, language, words):
    response = client.get("/api/v1/regions/?page=1&page=1", HTTP_ACCEPT_LANGUAGE=language)
    assert words in assert_problem(response, 400, "invalid_parameter", "page")["detail"]
