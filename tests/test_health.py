"""Probes, and what clients get while the database is away."""

import pytest
from django.db import OperationalError
from django.test import override_settings

from tests.http import assert_problem

pytestmark = pytest.mark.django_db


def test_healthz_says_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_readyz_checks_database_and_cache(client):
    assert client.get("/readyz").json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


def test_readyz_reports_an_unreachable_cache_as_degraded_and_stays_ready(client, monkeypatch):
    from django.core.cache.backends.redis import RedisCache

    # A real Redis client pointed at a port where nothing listens. The service answers from the database without
    # it (tests/test_live_hardening.py kills a real one under a running server).
    monkeypatch.setattr("kb.health.cache", RedisCache("redis://127.0.0.1:1/0", {}))
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "checks": {"database": "ok", "cache": "degraded"}}


def test_readyz_is_503_when_the_database_is_unreachable(client, monkeypatch):
    def database_gone(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("kb.health.connection.cursor", database_gone)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "unreachable", "cache": "ok"}}


@override_settings(DEBUG=False)
def test_a_database_error_is_a_json_503_not_a_500_page(client, monkeypatch):
    from lookup import views as lookup

    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(lookup, "rendered_answer", database_gone)
    client.raise_request_exception = False
    response = client.get("/api/v1/lookup/", {"region": "420102"})
    assert_problem(response, 503, "service_unavailable")
    assert response["Retry-After"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_answer_head_and_options_and_refuse_other_methods_in_json(path):
    from django.test import Client

    # With CSRF checks on, as in production: a POST must meet the 405, not CSRF's 403 page.
    client = Client(enforce_csrf_checks=True)
    get = client.get(path)
    head = client.head(path)
    assert (head.status_code, head.content, head["Content-Type"]) == (200, b"", get["Content-Type"])
    options = client.options(path)
    assert (options.status_code, options.content, options["Allow"]) == (204, b"", "GET, HEAD, OPTIONS")
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(path)
        body = assert_problem(response, 405, "method_not_allowed")
        assert body["detail"] == "这个地址只接受 GET、HEAD 和 OPTIONS 请求。"
        assert response["Allow"] == "GET, HEAD, OPTIONS"
