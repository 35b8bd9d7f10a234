"""Every response names its request; the request log is structured and holds nothing personal."""

import json
import logging

import pytest

from kb.observability import JsonFormatter, RequestIdFilter

pytestmark = pytest.mark.django_db


def test_every_response_carries_a_request_id(client):
    first = client.get("/api/v1/regions/420100/")["X-Request-ID"]
    second = client.get("/api/v1/regions/420100/")["X-Request-ID"]  # served from the cache
    assert len(first) == 32 and first != second
    assert client.get("/admin/login/")["X-Request-ID"]


def test_a_well_formed_incoming_id_is_kept_and_a_hostile_one_replaced(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="portal-req-12345")["X-Request-ID"] == "portal-req-12345"
    replaced = client.get("/healthz", HTTP_X_REQUEST_ID='x"\n{"level":"ERROR"}')["X-Request-ID"]
    assert len(replaced) == 32 and "\n" not in replaced


def test_the_request_log_is_json_with_the_id_and_no_query_string(client, caplog):
    with caplog.at_level(logging.INFO, logger="kb.requests"):
        # A client that typed an ID number into the search box: the log must not keep it.
        response = client.get("/api/v1/regions/", {"search": "110101199003077777"})
    (record,) = [r for r in caplog.records if r.name == "kb.requests"]
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["path"] == "/api/v1/regions/" and line["status"] == 200 and line["method"] == "GET"
    assert line["request_id"] == response["X-Request-ID"]
    assert "110101199003077777" not in json.dumps(line)
