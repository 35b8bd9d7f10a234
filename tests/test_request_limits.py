"""What a client cannot make the server do: read a huge body, recurse on deep JSON, store thousands of steps or links,
skip the throttle with a token that is not staff's, or write a version that changes nothing."""

import gzip
import json
import logging

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from curation.api.staff import MAX_LINES, MAX_LINKS
from kb.api.parsers import MAX_JSON_DEPTH
from kb.observability import RepeatedProblemFilter
from procedures.models import MAX_STEPS, Procedure, Step
from tests.factories import make_procedure
from tests.http import assert_problem
from tests.staff import procedure_body, rule_body, staff_client, write

pytestmark = pytest.mark.django_db

PROCEDURES = "/api/v1/procedures/"
RULES = "/api/v1/password-rules/"


@pytest.fixture
def editor():
    return staff_client("editors", "editor-li")


def post_raw(client, path: str, body: bytes):
    return client.generic("POST", path, body, content_type="application/json")


# Bodies.


@override_settings(API_MAX_BODY_BYTES=1000)
def test_a_body_over_the_limit_is_a_413_before_anyone_reads_it(editor, client):
    body = json.dumps(rule_body(note="很长" * 400), ensure_ascii=False).encode()
    response = post_raw(editor, RULES, body)
    problem = assert_problem(response, 413, "body_too_large")
    assert "1000" in problem["detail"]
    # Anonymous clients too, and whatever the address: the length alone decides.
    assert_problem(post_raw(client, "/api/v1/lookup/", body), 413, "body_too_large")


def test_json_nested_deeper_than_the_limit_is_a_400_not_a_recursion_error(editor):
    for levels in (MAX_JSON_DEPTH + 1, 1000, 100_000):
        response = post_raw(editor, RULES, b"[" * levels + b"]" * levels)
        problem = assert_problem(response, 400, "parse_error")
        assert str(MAX_JSON_DEPTH) in problem["detail"] or "JSON" in problem["detail"]
    nested = {"note": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": "x"}}}}}}}}}
    assert_problem(write(editor, "post", RULES, rule_body(**nested)), 400, "parse_error")


def test_a_body_within_the_depth_is_parsed_as_before(editor):
    response = write(editor, "post", PROCEDURES, procedure_body())
    assert response.status_code == 201, response.content
    assert [step["position"] for step in response.json()["steps"]] == [1, 2]


def test_a_procedure_takes_at_most_the_documented_number_of_steps(editor):
    steps = [{"instruction": f"第{n}步"} for n in range(1, MAX_STEPS + 2)]
    problem = assert_problem(
        write(editor, "post", PROCEDURES, procedure_body(steps=steps)), 400, "invalid_parameter", "steps"
    )
    assert str(MAX_STEPS) in problem["detail"]
    # Thousands are refused just as fast, before each step is validated.
    huge = [{"instruction": "x"}] * 5000
    assert_problem(write(editor, "post", PROCEDURES, procedure_body(steps=huge)), 400, "invalid_parameter", "steps")
    assert not Procedure.objects.filter(slug="api-test-procedure").exists()
    ok = write(editor, "post", PROCEDURES, procedure_body(steps=steps[:MAX_STEPS]))
    assert ok.status_code == 201 and len(ok.json()["steps"]) == MAX_STEPS


def test_the_model_refuses_a_step_beyond_the_limit_whatever_writes_it():
    procedure = make_procedure(slug="long-one", steps=1)
    with pytest.raises(ValidationError) as refused:
        Step(procedure=procedure, position=MAX_STEPS + 1, instruction="太多了").full_clean()
    assert "position" in refused.value.message_dict


@pytest.mark.parametrize(
    ("field", "items", "limit"),
    [
        ("sources", [f"source-{n}" for n in range(MAX_LINKS + 1)], MAX_LINKS),
        ("card_types", [f"card-{n}" for n in range(5000)], MAX_LINKS),
        ("requirements", [f"证件{n}" for n in range(MAX_LINES + 1)], MAX_LINES),
    ],
)
def test_every_list_in_a_body_has_a_cap(editor, django_assert_max_num_queries, field, items, limit):
    # Refused before the slugs are looked up one by one: the token, the permissions and the other fields.
    with django_assert_max_num_queries(20):
        response = write(editor, "post", PROCEDURES, procedure_body(**{field: items}))
    problem = assert_problem(response, 400, "invalid_parameter", field)
    assert str(limit) in problem["detail"]


def test_the_schema_states_every_cap(client):
    schemas = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    procedure = schemas["StaffProcedureRequest"]["properties"]
    assert procedure["steps"]["maxItems"] == MAX_STEPS
    assert procedure["sources"]["maxItems"] == procedure["card_types"]["maxItems"] == MAX_LINKS
    assert procedure["requirements"]["maxItems"] == MAX_LINES
    faq = schemas["StaffFaqRequest"]["properties"]
    assert faq["regions"]["maxItems"] == faq["procedures"]["maxItems"] == MAX_LINKS
    # Every array of every request body.
    for name, component in schemas.items():
        if name.endswith("Request"):
            for field, schema in component.get("properties", {}).items():
                if schema.get("type") == "array":
                    assert "maxItems" in schema, (name, field)


# Writes that change nothing, and slugs.


def test_a_patch_of_read_only_fields_changes_nothing(editor):
    created = write(editor, "post", RULES, rule_body()).json()
    path = f"{RULES}{created['slug']}/"
    etag = f'"v{created["version"]}"'
    history = editor.get(f"{path}history/").json()
    for body in ({"status": "published", "version": 99, "updated_at": "2030-01-01T00:00:00Z"}, {"value": "654321"}):
        response = write(editor, "patch", path, body, etag=etag)
        assert response.status_code == 200, response.content
        assert response["ETag"] == etag and response.json()["version"] == created["version"]
    assert editor.get(f"{path}history/").json() == history
    changed = write(editor, "patch", path, {"value": "112233"}, etag=etag)
    assert changed.json()["version"] == created["version"] + 1


def test_slugs_are_lower_case(editor):
    for slug in ("Wuhan-Rule", "wuhan_rule", "wuhan--rule", "-wuhan"):
        problem = assert_problem(write(editor, "post", RULES, rule_body(slug=slug)), 400, "invalid_parameter", "slug")
        assert "lower-case" in problem["detail"] or "小写" in problem["detail"]
    assert write(editor, "post", RULES, rule_body(slug="wuhan-rule-2")).status_code == 201


def test_a_malformed_admin_workflow_address_is_a_404(admin_client):
    for path in (
        "/admin/passwords/defaultpasswordrule/abc/workflow/publish/",
        "/admin/passwords/defaultpasswordrule/999999999/workflow/publish/",
        "/admin/procedures/procedure/abc/history/1/revert/",
    ):
        assert admin_client.post(path).status_code == 404, path


# Throttling.


def test_a_token_of_someone_who_is_not_staff_is_throttled_like_none(client):
    outsider = staff_client(None, "not-staff", is_staff=False)
    staff = staff_client("editors", "editor-wu")
    with override_settings(API_ANON_THROTTLE_RATE="2/day"):
        statuses = [outsider.get("/api/v1/card-types/").status_code for _ in range(3)]
        staff_statuses = [staff.get("/api/v1/card-types/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert staff_statuses == [200, 200, 200]


def test_a_forwarded_for_that_is_no_address_counts_as_the_connection(client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    settings.API_ANON_THROTTLE_RATE = "2/day"
    statuses = [
        client.get("/api/v1/card-types/", HTTP_X_FORWARDED_FOR=forged).status_code
        for forged in ("not-an-address", "1.2.3.4, <script>", "::1::")
    ]
    assert statuses == [200, 200, 429]


# The export.


def test_the_export_is_built_once_per_revision_and_then_costs_no_query(
    client, revision_cached, django_assert_num_queries
):
    first = client.get("/api/v1/export/")
    body = b"".join(first.streaming_content)
    with django_assert_num_queries(0):
        again = client.get("/api/v1/export/")
        assert b"".join(again.streaming_content) == body
        zipped = client.get("/api/v1/export/", HTTP_ACCEPT_ENCODING="br, gzip;q=0.8")
        compressed = b"".join(zipped.streaming_content)
    assert zipped["Content-Encoding"] == "gzip" and "Accept-Encoding" in zipped["Vary"]
    assert gzip.decompress(compressed) == body and len(compressed) < len(body) / 4
    assert int(zipped["Content-Length"]) == len(compressed)
    # Each encoding has its own validator, and each answers 304 to its own.
    assert zipped["ETag"] != first["ETag"]
    assert client.get("/api/v1/export/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert (
        client.get("/api/v1/export/", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=zipped["ETag"]).status_code == 304
    )
    refused = client.get("/api/v1/export/", HTTP_ACCEPT_ENCODING="gzip;q=0, identity")
    assert not refused.has_header("Content-Encoding")


def test_the_export_has_a_stricter_throttle_of_its_own(client):
    with override_settings(API_ANON_THROTTLE_RATE="100/day", API_EXPORT_THROTTLE_RATE="2/day"):
        statuses = [client.get("/api/v1/export/").status_code for _ in range(3)]
        lookup = client.get("/api/v1/lookup/", {"region": "420102"})
    assert statuses == [200, 200, 429]
    assert lookup.status_code == 200


# Logs during an outage.


def database_error(logger: logging.Logger, path: str) -> None:
    from django.db import OperationalError

    try:
        raise OperationalError("connection refused")
    except OperationalError:
        logger.error("Service Unavailable: %s", path, exc_info=True)


def test_repeats_of_one_problem_are_held_back_and_counted(caplog):
    problem_filter = RepeatedProblemFilter(interval=60)
    logger = logging.getLogger("django.request")
    logger.addFilter(problem_filter)
    try:
        with caplog.at_level(logging.ERROR, logger="django.request"):
            for path in ("/a", "/b", "/c"):
                database_error(logger, path)
            logger.error("something else entirely")
            # The interval is over: the next one is let through and says how many were held back.
            problem_filter.seen = {kind: (when - 61, held) for kind, (when, held) in problem_filter.seen.items()}
            database_error(logger, "/d")
    finally:
        logger.removeFilter(problem_filter)
    messages = [(record.getMessage(), getattr(record, "repeated", 0)) for record in caplog.records]
    assert messages == [
        ("Service Unavailable: /a", 0),
        ("something else entirely", 0),
        ("Service Unavailable: /d", 2),
    ]
