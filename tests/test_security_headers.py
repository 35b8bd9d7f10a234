"""Content-Security-Policy on every page: HTML pages load only this site's scripts, and none inline, so that the
admin and the API docs render under the policy; the embed widget keeps its own policy with its hashes."""

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def inline_scripts(response) -> list[str]:
    soup = BeautifulSoup(response.content, "html.parser")
    return [
        str(tag)[:80]
        for tag in soup.find_all("script")
        if not tag.get("src") and tag.get("type") != "application/ld+json"
    ]


@pytest.mark.parametrize("path", ["/admin/login/", "/api/docs/", "/api/redoc/", "/api/v1/regions/"])
def test_pages_carry_a_policy_that_allows_no_inline_script(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/procedures/procedure/",
        "/admin/procedures/procedure/add/",
        "/admin/regions/region/",
        "/api/docs/",
        "/api/redoc/",
    ],
)
def test_admin_and_docs_pages_render_without_inline_scripts(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 200
    assert inline_scripts(response) == []


def test_a_procedures_change_page_with_sortable_steps_has_no_inline_script(admin_client):
    from tests.factories import make_procedure

    # A draft: published steps are read-only and not sortable.
    procedure = make_procedure(steps=3)
    response = admin_client.get(f"/admin/procedures/procedure/{procedure.pk}/change/")
    assert response.status_code == 200 and b"adminsortable2" in response.content
    assert inline_scripts(response) == []


@pytest.mark.parametrize("model", ["passwords/defaultpasswordrule", "procedures/channel", "procedures/procedure"])
def test_the_export_page_has_no_inline_event_handler(admin_client, model):
    """Its "Select all" box is wired by a script file: the policy would block an onchange attribute."""
    response = admin_client.get(f"/admin/{model}/export/")
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    handlers = [(tag.name, name) for tag in soup.find_all(True) for name in tag.attrs if name.startswith("on")]
    assert handlers == [] and inline_scripts(response) == []
    assert soup.select_one("input.select-toggle") is not None
    assert soup.select_one("script[src$='curation/export_fields.js']") is not None


def test_swagger_ui_loads_its_init_script_from_this_site(client):
    html = BeautifulSoup(client.get("/api/docs/").content, "html.parser")
    sources = [tag["src"] for tag in html.find_all("script")]
    init = next(src for src in sources if "script=" in src)
    response = client.get(init)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in response.content and b"/api/schema/" in response.content


def test_the_embed_widget_keeps_its_own_policy(client):
    response = client.get("/embed/v1/420100/")
    assert response.status_code == 200
    policy = directives(response)
    assert policy["frame-ancestors"] == ["*"]
    assert any(source.startswith("'sha256-") for source in policy["script-src"])


def test_redoc_loads_no_outside_font(client):
    response = client.get("/api/redoc/")
    assert response.status_code == 200 and b"<redoc" in response.content
    assert b"googleapis" not in response.content and b"gstatic" not in response.content


def policy_headers(middleware_class, request, response) -> dict[str, str]:
    answered = middleware_class(lambda _request: response)(request)
    return {name: value for name, value in answered.items() if name.startswith("Content-Security-Policy")}


def plain(**attributes):
    from django.http import HttpResponse

    response = HttpResponse("{}")
    for name, value in attributes.items():
        setattr(response, name, value)
    return response


@pytest.mark.parametrize(
    "make_response",
    [
        plain,
        lambda: plain(_csp_update={"img-src": ["https://example.org"]}),
        lambda: plain(_csp_exempt=True),
        lambda: plain(_csp_replace_ro={"default-src": ["'none'"]}),
    ],
    ids=["plain", "csp_update", "csp_exempt", "report-only replaced"],
)
@pytest.mark.parametrize("report_only", [False, True])
def test_the_sites_middleware_sets_what_django_csps_own_sets(rf, settings, make_response, report_only):
    """kb/csp.py builds the settings' policies once: every response gets what django-csp would give it, also after
    the settings change (here, a report-only policy added)."""
    from csp.middleware import CSPMiddleware as DjangoCSPMiddleware

    from kb.csp import CSPMiddleware

    if report_only:
        settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
            "DIRECTIVES": {"default-src": ["'self'"], "report-uri": "/csp-reports/"},
            "EXCLUDE_URL_PREFIXES": ["/admin/"],
        }
    ours = {}
    for path in ("/api/v1/regions/", "/admin/"):
        ours[path] = policy_headers(CSPMiddleware, rf.get(path), make_response())
        assert ours[path] == policy_headers(DjangoCSPMiddleware, rf.get(path), make_response())
    assert ("Content-Security-Policy-Report-Only" in ours["/api/v1/regions/"]) is report_only
    assert "Content-Security-Policy-Report-Only" not in ours["/admin/"]
