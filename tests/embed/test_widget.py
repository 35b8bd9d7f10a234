"""The widget pages, the loader, oEmbed and the structured data, without a browser."""

import datetime
import json
import re
from urllib.parse import urlencode
from urllib.robotparser import RobotFileParser

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


def test_the_widget_speaks_english_on_request_labels_and_dates_alike(client):
    _, soup = page(client, lang="en")
    assert soup.html["lang"] == "en" and "Initial passwords" in soup.get_text()
    assert soup.find("h2").text == "Initial passwords"
    today = soup.select_one("main > p time")
    day = datetime.date.fromisoformat(today["datetime"])
    assert today.text == f"{day:%B} {day.day}, {day.year}" or today.text.endswith(f" {day.day}, {day.year}")
    assert "年" not in soup.select_one("footer").get_text()
    _, chinese = page(client)
    assert chinese.select_one("main > p time").text == f"{day.year}年{day.month}月{day.day}日"


def test_the_answer_comes_first_and_the_rest_is_one_click_away(client):
    _, soup = page(client, "/embed/v1/420100/")
    sections = soup.select("main > details")
    names = [section["id"] for section in sections]
    assert names[:3] == ["passwords", "change_password", "policy"] and names[-1] == "hotlines"
    assert [section["id"] for section in sections if section.has_attr("open")] == ["passwords", "change_password"]
    assert all(section.summary.h2 for section in sections)
    # Each way of changing the password is a summary to open, with its steps inside.
    procedures = soup.select("#change_password > details.procedure")
    assert len(procedures) > 5 and not any(procedure.has_attr("open") for procedure in procedures)
    assert all(procedure.summary.h3 and procedure.ol.find_all("li") for procedure in procedures)


def test_procedures_are_grouped_by_kind_each_with_its_channel_and_steps_in_order(client):
    _, soup = page(client, "/embed/v1/110101/")
    channels = [procedure.select_one("p.muted").get_text(" ") for procedure in soup.select("details.procedure")]
    assert any("北京医保公共服务平台" in channel for channel in channels)
    for section in soup.select("main > details"):
        for procedure in section.select("details.procedure"):
            assert procedure.find_parent("details") is section and procedure.ol.find_all("li")
    assert {section["id"] for section in soup.select("main > details")} >= {"change_password", "reset_password"}


def test_a_portal_chooses_the_sections_in_the_widget_s_order(client):
    _, soup = page(client, "/embed/v1/420100/", sections="hotlines,passwords")
    assert [section["id"] for section in soup.select("main > details")] == ["passwords", "hotlines"]
    assert soup.find("link", rel="canonical")["href"] == (
        "http://testserver/embed/v1/420100/?sections=passwords,hotlines"
    )
    # One section alone is shown open, whichever it is.
    _, soup = page(client, "/embed/v1/420100/", sections="report_loss")
    (section,) = soup.select("main > details")
    assert section["id"] == "report_loss" and section.has_attr("open")


def test_the_widget_names_card_types_and_words_lengths_naturally(client):
    _, soup = page(client, "/embed/v1/420100/")
    rules = soup.select_one("#passwords").get_text(" ")
    assert "医保电子凭证（医保码）" in rules and "medical-insurance-voucher" not in rules
    policies = [" ".join(li.get_text(" ").split()) for li in soup.select("#policy li")]
    assert any("6 位" in policy and "6 至 12 位" not in policy for policy in policies)
    assert not any("6 至 6" in policy for policy in policies) and any("6 至 12 位" in policy for policy in policies)
    _, english = page(client, "/embed/v1/420100/", lang="en", card_type="medical-insurance-voucher")
    policies = " ".join(english.select_one("#policy").get_text(" ").split())
    assert "6 characters" in policies and "6 to 6" not in policies
    assert "Card type: 医保电子凭证（医保码）" in english.select_one("main > p").get_text(" ")


def test_a_policy_that_states_only_the_lock_out_starts_with_it(client):
    _, soup = page(client, "/embed/v1/420100/")
    policies = [" ".join(li.get_text(" ").split()) for li in soup.select("#policy li")]
    assert "社保／医保账户密码 : 输错锁定后: 等待后自动解锁 (24 小时) 未经核实" in policies
    assert "社保／医保账户密码 : 6 至 12 位 · 数字或字母 · 新密码不能与原密码相同。 未经核实" in policies


def test_widget_pages_describe_themselves_to_search_engines(client):
    _, soup = page(client, "/embed/v1/420100/", embed_id="yibao-1-abc", lang="en")
    assert soup.find("link", rel="canonical")["href"] == "http://testserver/embed/v1/420100/?lang=en"
    description = soup.find("meta", attrs={"name": "description"})["content"]
    assert "湖北省武汉市" in description and "initial passwords" in description
    assert "湖北省武汉市" in page(client, "/embed/v1/420100/")[1].find("meta", attrs={"name": "description"})["content"]


def test_robots_txt_lets_crawlers_read_the_widget_and_the_api_reference_only(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"] == "text/plain; charset=utf-8"
    robots = RobotFileParser()
    robots.parse(response.content.decode().splitlines())
    for path in ("/embed/v1/420100/", "/embed/v1/420100/?lang=en", "/api/docs/", "/api/schema/"):
        assert robots.can_fetch("Googlebot", f"http://testserver{path}"), path
    for path in ("/api/v1/lookup/?region=420100", "/api/v1/export/", "/admin/", "/oembed?url=x"):
        assert not robots.can_fetch("Googlebot", f"http://testserver{path}"), path
    # The widget's policy lets the page fetch robots.txt, which crawlers' audits do from within it, and nothing else.
    csp = client.get("/embed/v1/420100/")["Content-Security-Policy"]
    assert "connect-src http://testserver/robots.txt;" in csp


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
    for sections in ("passwords,gold", "passwords,,hotlines", "x" * 300):
        assert client.get("/embed/v1/420102/", {"sections": sections}).status_code == 400, sections


def test_the_widget_validates_its_parameters_as_the_lookup_does_and_says_why_in_chinese(client):
    pages = {
        "/embed/v1/4201/": (404, "区划代码必须是六位数字，例如 420100。"),
        "/embed/v1/420102/?card_type=gold": (400, "card_type: 没有标识为 gold 的已发布卡类型。"),
        "/embed/v1/420102/?lang=fr": (400, "lang: 请用 zh 或 en。"),
        "/embed/v1/420102/?embed_id=a+b": (400, "embed_id: 最多 64 个字符，只能是字母、数字、连字符和下划线。"),
        "/embed/v1/420102/?sections=passwords,faqs": (
            400,
            "sections: 请用逗号分隔的栏目名：passwords, change_password, policy, reset_password, "
            "activate_medical_account, activate_financial_account, unlock, report_loss, replace_card, "
            "set_voucher_password, help_family_member, hotlines, changes。",
        ),
    }
    for path, (status, message) in pages.items():
        response = client.get(path)
        assert response.status_code == status, path
        assert [p.get_text() for p in BeautifulSoup(response.content, "html.parser").find_all("p")] == [message]
    empty = {"card_type": "", "lang": "", "sections": "", "embed_id": "yibao-1-x0"}
    assert client.get("/embed/v1/420102/", empty).status_code == 200


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
        # One type whatever is asked: browsers, each writing Accept its own way, share one answer in every cache.
        assert "accept" not in {name.strip().lower() for name in response["Vary"].split(",")}
        browser = client.get(path, HTTP_ACCEPT="text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
        assert browser["ETag"] == response["ETag"]
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


def test_oembed_titles_the_frame_in_the_widget_s_language_and_chooses_its_sections(client):
    widget = "http://testserver/embed/v1/420102/"
    english = client.get("/oembed", {"url": f"{widget}?lang=en&sections=hotlines"}).json()
    assert english["title"] == "Medical insurance card passwords in 湖北省武汉市江岸区"
    assert f'src="{widget}?lang=en&amp;sections=hotlines"' in english["html"]
    chosen = client.get("/oembed", {"url": f"{widget}?sections=hotlines", "sections": "passwords,change_password"})
    assert f'src="{widget}?sections=passwords,change_password"' in chosen.json()["html"]
    assert chosen.json()["title"] == "湖北省武汉市江岸区医保卡密码指南"


def test_oembed_refuses_unknown_sections_in_json_in_the_request_s_language(client):
    refused = client.get("/oembed", {"url": "http://testserver/embed/v1/420102/", "sections": "passwords,faqs"})
    body = assert_problem(refused, 400, "invalid_parameter")
    assert body["errors"][0]["parameter"] == "sections" and "请用逗号分隔的栏目名" in body["detail"]
    inside = client.get(
        "/oembed", {"url": "http://testserver/embed/v1/420102/?sections=faqs"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert (
        "url: sections: Use section names separated by commas"
        in assert_problem(inside, 400, "invalid_parameter")["detail"]
    )


@pytest.mark.parametrize(
    ("language", "title", "detail"),
    [("zh-hans", "未实现", "只提供 json 格式。"), ("en", "Not implemented", "Only the json format is offered.")],
)
def test_oembed_s_501_answers_in_the_request_s_language(client, language, title, detail):
    response = client.get(
        "/oembed", {"url": "http://testserver/embed/v1/420102/", "format": "xml"}, HTTP_ACCEPT_LANGUAGE=language
    )
    body = assert_problem(response, 501, "not_implemented")
    assert (body["title"], body["detail"]) == (title, detail)


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
    assert soup.select_one("#sources summary").get_text() == f"{len(soup.select('#sources li'))} sources"
    rule = DefaultPasswordRule.objects.get(slug="wuhan-fixed-1234")
    with django_capture_on_commit_callbacks(execute=True):
        ChangeNote.objects.create(content_object=rule, note="Checked against the city's notice")
        workflow.mark_verified(rule, None)
    _, soup = page(client, lang="en")
    changed_on = rule.change_notes.get().changed_on
    (change,) = soup.select("#changes li")
    assert change.time["datetime"] == changed_on.isoformat()
    assert change.get_text() == f"{change.time.text}: Checked against the city's notice" and "年" not in change.text
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


def test_a_withdrawn_card_is_named_and_dated_in_the_page_s_language(client):
    # Henan stopped issuing the old resident card on 2020-01-01; the widget for one of its cities says so by name.
    _, soup = page(client, "/embed/v1/410700/")
    notice = soup.select_one("p.notice").get_text(" ", strip=True)
    assert "None" not in notice and "resident-medical-card" not in notice
    assert "2020年1月1日" in notice and "河南省" in notice
    _, soup = page(client, "/embed/v1/410700/", lang="en")
    assert "2020" in soup.select_one("p.notice").get_text() and "None" not in soup.select_one("p.notice").get_text()
