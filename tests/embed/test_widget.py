"""The widget pages, the loader, oEmbed and the structured data, without a browser."""

import json
import re
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup

from passwords.models import DefaultPasswordRule
from tests.http import assert_problem

pytestmark = pytest.mark.django_db


def page(client, path="/embed/v1/420102/", **params):
    response = client.get(path, params)
    assert response.status_code == 200, response.content[:500]
    return response, BeautifulSoup(response.content, "html.parser")


def test_the_widget_shows_the_rule_where_it_comes_from_and_its_sources(client):
    _, soup = page(client)
    text = soup.get_text(" ")
    assert soup.html["lang"] == "zh-Hans"
    assert "湖北省武汉市江岸区" in soup.h1.text and "1234" in text and "适用于武汉市" in text
    assert "未经核实" in text  # the rule's standing
    assert soup.find("footer").find_all("li"), "sources are listed"


def test_the_widget_speaks_english_on_request(client):
    _, soup = page(client, lang="en")
    assert soup.html["lang"] == "en" and "Initial passwords" in soup.get_text()
    assert soup.find("h2").text == "Initial passwords"


def test_steps_are_grouped_by_channel_and_in_order(client):
    _, soup = page(client, "/embed/v1/110101/")
    headings = [h3.get_text(" ") for h3 in soup.select("section[aria-labelledby=procedures] h3")]
    assert any("北京医保公共服务平台" in heading for heading in headings)
    for ordered_list in soup.select("section[aria-labelledby=procedures] ol"):
        assert ordered_list.find_all("li")


def test_nationwide_hearsay_is_marked_so(client):
    _, soup = page(client, "/embed/v1/320102/")
    assert "全国流传的说法" in soup.get_text()


def test_the_page_loads_nothing_from_elsewhere_and_only_its_own_inline_code_may_run(client):
    response, soup = page(client)
    assert not soup.select("link[rel=stylesheet], script[src], img[src^=http], iframe")
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors *" in csp and "sha256-" in csp
    assert "unsafe-inline" not in csp
    assert soup.find("meta", attrs={"name": "viewport"})


def test_json_ld_parses_and_carries_the_steps_in_order(client):
    _, soup = page(client, "/embed/v1/110101/")
    documents = [json.loads(script.string) for script in soup.select('script[type="application/ld+json"]')]
    (graph,) = documents
    service, *how_tos = graph
    assert service["@type"] == "GovernmentService" and service["areaServed"]["identifier"] == "110101"
    phones = [c["servicePhone"]["telephone"] for c in service["availableChannel"] if "servicePhone" in c]
    assert "12333" in phones
    assert how_tos and all(h["@type"] == "HowTo" for h in how_tos)
    for how_to in how_tos:
        assert [s["position"] for s in how_to["step"]] == list(range(1, len(how_to["step"]) + 1))
    assert any("supply" in h for h in how_tos)


def test_unknown_region_and_bad_parameters_are_4xx(client):
    assert client.get("/embed/v1/999999/").status_code == 404
    assert client.get("/embed/v1/420102/", {"lang": "fr"}).status_code == 400
    assert client.get("/embed/v1/420102/", {"card_type": "gold"}).status_code == 400


def test_the_widget_validates_its_parameters_as_the_lookup_does_and_says_why_in_chinese(client):
    pages = {
        "/embed/v1/4201/": (404, "区划代码必须是六位数字，例如 420100。"),
        "/embed/v1/420102/?card_type=gold": (400, "card_type: 没有标识为 gold 的已发布卡类型。"),
        "/embed/v1/420102/?lang=fr": (400, "lang: 请用 zh 或 en。"),
        "/embed/v1/420102/?embed_id=a+b": (400, "embed_id: 最多 64 个字符，只能是字母、数字、连字符和下划线。"),
    }
    for path, (status, message) in pages.items():
        response = client.get(path)
        assert response.status_code == status, path
        assert [p.get_text() for p in BeautifulSoup(response.content, "html.parser").find_all("p")] == [message]
    assert client.get("/embed/v1/420102/", {"card_type": "", "lang": "", "embed_id": "yibao-1-x0"}).status_code == 200


def test_embed_pages_may_be_framed_and_nothing_else_may(client):
    widget = client.get("/embed/v1/420102/")
    assert "X-Frame-Options" not in widget and "frame-ancestors *" in widget["Content-Security-Policy"]
    cached = client.get("/embed/v1/420102/")  # served from the response cache
    assert "X-Frame-Options" not in cached and "frame-ancestors *" in cached["Content-Security-Policy"]
    for path in ("/admin/login/", "/api/v1/regions/", "/api/v1/lookup/?region=420102", "/api/docs/"):
        assert client.get(path)["X-Frame-Options"] == "DENY", path


def test_widget_and_loader_carry_validators_and_answer_304(client, django_capture_on_commit_callbacks):
    for path in ("/embed/v1/420102/", "/embed/v1/loader.js"):
        response = client.get(path)
        assert response["ETag"] and response["Cache-Control"]
        assert client.get(path, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    first = client.get("/embed/v1/420102/")
    rule = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    rule.value = "4321"
    with django_capture_on_commit_callbacks(execute=True):
        rule.save()
    again = client.get("/embed/v1/420102/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and "4321" in again.content.decode()


def test_the_loader_knows_its_origin_and_leaks_no_global_name(client):
    script = client.get("/embed/v1/loader.js").content.decode()
    assert '"http://testserver"' in script
    code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("//"))
    assert code.strip().startswith("(function () {") and code.strip().endswith("})();")


def test_oembed_turns_a_widget_address_into_a_frame(client):
    response = client.get("/oembed", {"url": "http://testserver/embed/v1/420102/?lang=en", "format": "json"})
    body = response.json()
    assert body["version"] == "1.0" and body["type"] == "rich" and body["width"] == 600
    assert re.search(r'<iframe src="http://testserver/embed/v1/420102/\?lang=en"', body["html"])
    narrow = client.get("/oembed", {"url": "http://testserver/embed/v1/420102/", "maxwidth": "320"}).json()
    assert narrow["width"] == 320


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"url": "http://testserver/embed/v1/420102/", "format": "xml"}, 501),
        ({"url": "http://elsewhere.example/embed/v1/420102/"}, 404),
        ({"url": "http://testserver/admin/"}, 404),
        ({"url": "http://testserver/embed/v1/abc/"}, 404),
        ({"url": "http://testserver/embed/v1/420102/", "maxwidth": "-5"}, 400),
        ({}, 404),
    ],
)
def test_oembed_refuses_what_it_cannot_embed(client, params, status):
    response = client.get("/oembed", params)
    assert response.status_code == status and response["Content-Type"] == "application/problem+json"


def test_widget_pages_advertise_oembed(client):
    _, soup = page(client)
    link = soup.find("link", attrs={"type": "application/json+oembed"})
    assert link and "/oembed?url=http" in link["href"] and "format=json" in link["href"]


def test_the_widget_shows_what_changed_and_when_it_was_last_verified(client, django_capture_on_commit_callbacks):
    from curation import workflow
    from curation.models import ChangeNote

    _, soup = page(client, lang="en")
    assert "Content last changed" in soup.find("footer").get_text() and not soup.select("#changes")
    rule = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    with django_capture_on_commit_callbacks(execute=True):
        ChangeNote.objects.create(content_object=rule, note="Checked against the city's notice")
        workflow.mark_verified(rule, None)
    _, soup = page(client, lang="en")
    assert [li.get_text() for li in soup.select("section[aria-labelledby=changes] li")] == [
        f"{rule.change_notes.get().changed_on.isoformat()}: Checked against the city's notice"
    ]
    footer = soup.find("footer").get_text()
    assert "Last verified against sources" in footer and "Content last changed" not in footer
    assert "Last verified" in soup.select_one(".rule").get_text()


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/embed/v1/420102/", {"lang": "en"}),
        ("/embed/v1/loader.js", {}),
        ("/oembed", {"url": "http://testserver/embed/v1/420102/"}),
    ],
)
def test_embed_addresses_answer_head_and_options_and_refuse_other_methods(path, params):
    from django.test import Client

    # With CSRF checks on, as in production: a POST must meet the 405, not CSRF's 403 page.
    client = Client(enforce_csrf_checks=True)
    get = client.get(path, params)
    head = client.head(path, params)
    assert (head.status_code, head.content) == (200, b"")
    assert (head["Content-Type"], head["ETag"]) == (get["Content-Type"], get["ETag"])
    options = client.options(path + "?" + urlencode(params))
    assert (options.status_code, options.content, options["Allow"]) == (204, b"", "GET, HEAD, OPTIONS")
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(path)
        assert response.status_code == 405 and response["Allow"] == "GET, HEAD, OPTIONS", method
        if path.startswith("/embed/v1/4"):
            # What a portal's frame shows: the widget's own error page.
            assert response["Content-Type"].startswith("text/html") and b"OPTIONS" in response.content
        else:
            assert_problem(response, 405, "method_not_allowed")


def test_a_nul_in_the_code_is_a_404_before_any_query(client, revision_cached, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/embed/v1/%00/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_oembed_for_an_unknown_region_is_problem_json(client):
    response = client.get("/oembed", {"url": "http://testserver/embed/v1/999999/", "format": "json"})
    assert "999999" in assert_problem(response, 404, "not_found")["detail"]
