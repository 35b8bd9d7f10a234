"""What a team generating a client from /api/schema/ gets: openapi-python-client builds it without a warning, Spectral's
OpenAPI rules find nothing to say, and the typed client reads every public operation and the errors a program must
handle from the app under gunicorn with production settings.

The tools are installed by `.ci/run`: openapi-python-client with the dev dependencies, Spectral with `make tools`
(npm ci in tools/). Without Spectral its test is skipped, unless KB_REQUIRE_TOOLS is set (CI sets it)."""

import importlib
import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from scripts.servers import ROOT, free_port, populate, production_env, staff_token, start_gunicorn, stop

# Builds its own database and servers: DATABASE_URL changes nothing here (.ci/run runs it once).
pytestmark = pytest.mark.own_database

SPECTRAL = ROOT / "tools" / "node_modules" / ".bin" / "spectral"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "yibao_kb_client"
EXPORT_RATE = 2


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("generated-client")
    env = production_env(f"sqlite:///{workdir / 'db.sqlite3'}") | {
        # Each test names its own client address (X-Forwarded-For), so that only the 429 test meets the throttle.
        "DJANGO_NUM_PROXIES": "1",
        "API_EXPORT_THROTTLE_RATE": f"{EXPORT_RATE}/day",
        "EXPORT_DIR": str(workdir / "exports"),
    }
    populate(env)
    token = staff_token(env, username="client-publisher", role="publishers")
    port = free_port()
    process = start_gunicorn(env, port, workers=1, ready_path="/readyz")
    try:
        yield {"base": f"http://127.0.0.1:{port}", "token": token}
    finally:
        stop(process)


def run_generator(server, output: Path) -> subprocess.CompletedProcess:
    # The generator formats its output with ruff, which it looks for on PATH.
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "NO_COLOR": "1"}
    command = [
        str(GENERATOR), "generate", "--url", f"{server['base']}/api/schema/?format=json", "--meta", "none",
        "--output-path", str(output), "--config", str(ROOT / "tools" / "openapi-python-client.yaml"),
    ]  # fmt: skip
    return subprocess.run(command, cwd=output.parent, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def api(server, tmp_path_factory):
    """The client package generated from the live schema, importable as yibao_kb_client."""
    root = tmp_path_factory.mktemp("client")
    generated = run_generator(server, root / PACKAGE)
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0, output
    # The generator leaves out what it cannot parse and says so with a warning; the run must be clean.
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def module(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


def public_client(api, server, address: str):
    return api.Client(
        base_url=server["base"], headers={"X-Forwarded-For": address}, raise_on_unexpected_status=True, timeout=60
    )


def test_the_generated_client_has_english_names_and_one_class_per_shape(api):
    names = [path.stem for path in Path(api.__file__).parent.joinpath("models").glob("*.py")]
    assert names and all(name.isascii() for name in names)
    # The 412's changes and the public change notes are two shapes, each with its own class.
    problem = module("models.problem").Problem
    assert "list[VersionChange]" in problem.__annotations__["changes"]
    assert {"version", "changed_at", "changed_by", "fields"} <= module(
        "models.version_change"
    ).VersionChange.__annotations__.keys()
    assert {"date", "note"} <= module("models.change_note").ChangeNote.__annotations__.keys()
    # Both procedure filters that were titled "类型" in Chinese keep their operation.
    procedures = module("api.procedures.v1_procedures_list").sync_detailed.__annotations__
    assert {"kind", "channel_kind"} <= procedures.keys()


def test_spectral_finds_nothing_in_the_live_schema(server, tmp_path):
    if not SPECTRAL.exists():
        if os.environ.get("KB_REQUIRE_TOOLS"):
            pytest.fail("Spectral is not installed: run `make tools`")
        pytest.skip("Spectral is not installed: `make tools` installs it (npm ci in tools/)")
    schema = tmp_path / "schema.json"
    with urllib.request.urlopen(f"{server['base']}/api/schema/?format=json", timeout=60) as response:
        schema.write_bytes(response.read())
    command = [
        str(SPECTRAL), "lint", str(schema), "--ruleset", str(ROOT / "tools" / ".spectral.yaml"),
        "--fail-severity", "hint", "--format", "text",
    ]  # fmt: skip
    linted = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert linted.returncode == 0, linted.stdout + linted.stderr


RESOURCES = ["card_types", "channels", "password_rules", "password_policies", "procedures", "faqs", "sources"]


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_list_and_detail_reads_as_typed_models(api, server, resource):
    client = public_client(api, server, "10.2.0.1")
    listed = module(f"api.{resource}.v1_{resource}_list").sync_detailed(client=client, page_size=2)
    assert listed.status_code == 200
    page = listed.parsed
    assert page.count >= 1 and len(page.results) >= 1
    first = page.results[0]
    # Anonymous readers get the public representation, never the staff one.
    assert not type(first).__name__.startswith("Staff")
    detail = module(f"api.{resource}.v1_{resource}_retrieve").sync_detailed(first.slug, client=client)
    assert detail.status_code == 200 and type(detail.parsed) is type(first) and detail.parsed.slug == first.slug
    assert detail.headers["ETag"] and detail.headers["Last-Modified"] and detail.headers["X-Request-ID"]


def test_regions_lookup_and_export_read_as_typed_models(api, server):
    client = public_client(api, server, "10.2.0.2")
    regions = module("api.regions.v1_regions_list").sync_detailed(client=client, search="wuhan")
    assert regions.status_code == 200 and "420100" in [region.code for region in regions.parsed.results]
    region = module("api.regions.v1_regions_retrieve").sync_detailed("420102", client=client).parsed
    assert region.code == "420102" and region.name
    card_type = module("models.v1_lookup_retrieve_card_type").V1LookupRetrieveCardType("ssc-gen2")
    lookup = module("api.lookup.v1_lookup_retrieve").sync_detailed(client=client, region="420102", card_type=card_type)
    assert lookup.status_code == 200
    assert lookup.parsed.region.code == "420102" and lookup.parsed.procedures
    assert all(step.instruction for procedure in lookup.parsed.procedures for step in procedure.steps)
    # The compact default and the whole answer read as the same model.
    detail = module("models.v1_lookup_retrieve_detail").V1LookupRetrieveDetail("full")
    whole = module("api.lookup.v1_lookup_retrieve").sync_detailed(
        client=client, region="420102", detail=detail, include="channels,faqs"
    )
    assert whole.status_code == 200 and whole.parsed.faqs and whole.parsed.channels
    assert all(step.position for procedure in whole.parsed.procedures for step in procedure.steps)
    export = module("api.export.v1_export_retrieve").sync_detailed(client=client)
    assert export.status_code == 200
    lines = export.parsed.payload.read().decode().splitlines()
    assert json.loads(lines[0])["type"] == "region"


def test_a_conditional_get_is_a_304_without_a_body(api, server):
    client = public_client(api, server, "10.2.0.3")
    lookup = module("api.lookup.v1_lookup_retrieve")
    first = lookup.sync_detailed(client=client, region="420102")
    again = lookup.sync_detailed(client=client, region="420102", if_none_match=first.headers["ETag"])
    assert again.status_code == 304 and again.content == b"" and again.parsed is None
    since = lookup.sync_detailed(client=client, region="420102", if_modified_since=first.headers["Last-Modified"])
    assert since.status_code == 304


def test_errors_read_as_problems(api, server):
    client = public_client(api, server, "10.2.0.4")
    lookup = module("api.lookup.v1_lookup_retrieve")
    problem = module("models.problem").Problem
    malformed = lookup.sync_detailed(client=client, region="99")
    assert malformed.status_code == 400 and isinstance(malformed.parsed, problem)
    assert malformed.parsed.code == "invalid_parameter" and malformed.parsed.errors[0].parameter == "region"
    unknown = lookup.sync_detailed(client=client, region="999999")
    assert unknown.status_code == 404 and unknown.parsed.code == "not_found"
    html = lookup.sync_detailed(client=client.with_headers({"Accept": "text/html"}), region="420102")
    assert html.status_code == 406 and isinstance(html.parsed, problem) and html.parsed.status == 406


def test_the_throttle_reads_as_a_problem_with_retry_after(api, server):
    client = public_client(api, server, "10.2.0.5")
    export = module("api.export.v1_export_retrieve")
    statuses = [export.sync_detailed(client=client).status_code for _ in range(EXPORT_RATE + 1)]
    assert statuses == [200] * EXPORT_RATE + [429]
    throttled = export.sync_detailed(client=client)
    assert throttled.parsed.code == "throttled" and int(throttled.headers["Retry-After"]) > 0


def test_a_stale_or_missing_if_match_reads_as_a_problem_naming_the_changes(api, server):
    client = api.AuthenticatedClient(
        base_url=server["base"], token=server["token"], prefix="Token", raise_on_unexpected_status=True, timeout=60
    )
    rules = "api.password_rules.v1_password_rules_"
    published = module(f"{rules}retrieve").sync_detailed("wuhan-fixed-1234", client=client)
    edit = module(f"{rules}start_edit_create").sync_detailed(
        "wuhan-fixed-1234", client=client, if_match=published.headers["ETag"]
    )
    assert edit.status_code == 201 and edit.parsed.draft_of == "wuhan-fixed-1234"
    body = module("models.patched_staff_default_password_rule_request").PatchedStaffDefaultPasswordRuleRequest
    patch = module(f"{rules}partial_update").sync_detailed
    saved = patch(edit.parsed.slug, client=client, body=body(note="核对"), if_match=edit.headers["ETag"])
    assert saved.status_code == 200 and saved.parsed.version == edit.parsed.version + 1
    stale = patch(edit.parsed.slug, client=client, body=body(note="又改"), if_match=edit.headers["ETag"])
    assert stale.status_code == 412 and stale.parsed.code == "stale_version"
    [change] = stale.parsed.changes
    assert change.version == saved.parsed.version and change.changed_by == "client-publisher"
    assert "note" in change.fields
    missing = patch(edit.parsed.slug, client=client, body=body(note="又改"), if_match="")
    assert missing.status_code == 428 and missing.parsed.code == "precondition_required"
