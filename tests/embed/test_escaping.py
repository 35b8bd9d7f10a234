"""Nothing a client sends and nothing published comes back from the widget, its error pages, the loader or oEmbed as
live markup: hostile strings through every parameter and every text field the widget shows, read back as HTML."""

import json
import re
from collections import Counter
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string

from curation.revisions import RevisionMemo
from embed.views import WIDGET_JS
from procedures.models import Channel
from tests.embed.hostile import HOSTILE, HOSTILE_REGION_NAME, REGION, benign, publish, url_for
from tests.http import assert_problem

pytestmark = pytest.mark.django_db

MARKUP = set("<>\"'&")
LIVE = [text for text in HOSTILE if MARKUP & set(text)]


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def shape(soup: BeautifulSoup) -> Counter:
    """Which elements a page has, with which attributes: what the template produced, whatever the text."""
    return Counter((tag.name, tuple(sorted(tag.attrs))) for tag in soup.find_all(True))


def assert_nothing_live(response) -> None:
    raw = response.content.decode()
    for text in LIVE:
        assert text not in raw, f"{text!r} came back unescaped"


def fresh() -> None:
    # What changes inside a test's transaction does not move the content revision; start from nothing cached.
    cache.clear()
    RevisionMemo.clear_all()


def widget_with(client, texts: list[str], region_name: str):
    publish(texts=texts, region_name=region_name)
    fresh()
    response = client.get(f"/embed/v1/{REGION}/")
    assert response.status_code == 200, response.content[:500]
    return response


def json_strings(value) -> set[str]:
    if isinstance(value, dict):
        return {text for item in value.values() for text in json_strings(item)}
    if isinstance(value, list):
        return {text for item in value for text in json_strings(item)}
    return {value} if isinstance(value, str) else set()


@pytest.fixture
def hostile_widget(client):
    """The widget of a region whose published content is made of hostile strings, and the shape of the same page
    made of harmless ones."""
    with transaction.atomic():
        reference = shape(soup_of(widget_with(client, benign(HOSTILE), "安全地区")))
        transaction.set_rollback(True)
    return widget_with(client, HOSTILE, HOSTILE_REGION_NAME), reference


def test_published_hostile_text_adds_no_element_to_the_widget(hostile_widget):
    response, reference = hostile_widget
    soup = soup_of(response)
    assert shape(soup) == reference
    assert_nothing_live(response)
    scripts = soup.find_all("script")
    assert [script.get("type") for script in scripts] == ["application/ld+json", None]
    assert scripts[1].string == WIDGET_JS


def test_published_hostile_text_is_shown_as_text_where_it_belongs(hostile_widget):
    response, _ = hostile_widget
    soup = soup_of(response)
    assert HOSTILE_REGION_NAME in soup.title.string and HOSTILE_REGION_NAME in soup.h1.get_text()
    assert HOSTILE_REGION_NAME in soup.find("meta", attrs={"name": "description"})["content"]
    sections = {
        name: soup.select_one(f"main > details#{name}").get_text()
        for name in ("passwords", "change_password", "hotlines", "changes")
    }
    footer = soup.find("footer").get_text()
    for text in HOSTILE:
        # Rule notes; channel names, procedure titles, steps, UI paths and what to bring; hotlines; change notes;
        # source titles and publishers.
        assert text in sections["passwords"], text
        # What to bring is one item a line, and str.splitlines breaks lines at U+2028 and U+2029 too.
        assert sections["change_password"].count(text) >= (5 if len(text.splitlines()) == 1 else 4), text
        assert text in sections["hotlines"], text
        assert text in sections["changes"], text
        assert footer.count(text) >= 2, text
    links = {a["href"] for a in soup.find_all("a")}
    assert {url_for(index, text) for index, text in enumerate(HOSTILE)} <= links
    assert all(href.startswith(("https://", "http://", "tel:")) for href in links), links


def test_json_ld_escapes_markup_characters_and_round_trips_the_text(hostile_widget):
    response, _ = hostile_widget
    (script,) = soup_of(response).select('script[type="application/ld+json"]')
    # As json_script does it: no "<" can open a comment or a script, no ">" or "&" is read as markup.
    assert not MARKUP - {'"', "'"} & set(script.string)
    graph = json.loads(script.string)
    strings = json_strings(graph)
    assert set(HOSTILE) <= strings
    assert {url_for(index, text) for index, text in enumerate(HOSTILE)} <= strings
    assert HOSTILE_REGION_NAME in graph[0]["areaServed"]["name"]


def test_the_model_refuses_a_javascript_address_for_a_channel():
    channel = Channel(url="javascript:alert(1)")
    with pytest.raises(ValidationError) as refused:
        channel.clean_fields()
    assert "url" in refused.value.message_dict


# Widget parameters: a refused value gets the widget's error page, which names no value it refused.
def widget_request(client, parameter: str, value: str):
    if parameter == "code":
        return client.get(f"/embed/v1/{quote(value, safe='')}/")
    return client.get("/embed/v1/420102/", {parameter: value})


REFERENCE_BAD_VALUE = {"code": "abc", "card_type": "gold", "lang": "fr", "sections": "gold", "embed_id": "a+b"}


@pytest.mark.parametrize("parameter", ["code", "card_type", "lang", "sections", "embed_id"])
def test_hostile_widget_parameters_are_refused_on_a_page_of_the_template_s_own_elements(client, parameter):
    reference = widget_request(client, parameter, REFERENCE_BAD_VALUE[parameter])
    assert reference.status_code in (400, 404) and reference["Content-Type"].startswith("text/html")
    for text in HOSTILE:
        response = widget_request(client, parameter, text)
        assert response.status_code in (400, 404), (text, response.status_code)
        assert response["Content-Type"].startswith("text/html"), text
        assert_nothing_live(response)
        if parameter == "code" and "/" in text:
            # The path no longer names a widget at all: the site's own 404.
            continue
        assert shape(soup_of(response)) == shape(soup_of(reference)), text


def test_the_widget_s_error_pages_are_framed_under_a_policy_that_forbids_forms_and_scripts(client):
    response = client.get("/embed/v1/420102/", {"card_type": "gold"})
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "form-action 'none'" in csp and "frame-ancestors *" in csp
    assert "X-Frame-Options" not in response


# oEmbed: the frame points at the canonical address of the widget, built from what was validated.
OEMBED_WIDGET = "http://testserver/embed/v1/420102/"


def oembed(client, **params):
    return client.get("/oembed", {"format": "json", **params})


def the_frame(response) -> dict:
    assert response.status_code == 200, response.content
    body = response.json()
    soup = BeautifulSoup(body["html"], "html.parser")
    (frame,) = soup.find_all(True)
    assert frame.name == "iframe" and set(frame.attrs) == {"src", "width", "height", "style", "title", "loading"}
    assert frame["title"] == body["title"]
    return frame.attrs


@pytest.mark.parametrize("text", HOSTILE)
def test_oembed_frames_the_canonical_widget_address_whatever_the_url_carries(client, text):
    encoded = quote(text, safe="")
    assert the_frame(oembed(client, url=f"{OEMBED_WIDGET}?lang=en&x={text}"))["src"] == f"{OEMBED_WIDGET}?lang=en"
    assert the_frame(oembed(client, url=f"{OEMBED_WIDGET}?lang=en&x={encoded}"))["src"] == f"{OEMBED_WIDGET}?lang=en"
    assert the_frame(oembed(client, url=f"{OEMBED_WIDGET}?{encoded}=1&card_type=ssc-gen2"))["src"] == (
        f"{OEMBED_WIDGET}?card_type=ssc-gen2"
    )
    assert the_frame(oembed(client, url=f"{OEMBED_WIDGET}#{text}"))["src"] == OEMBED_WIDGET
    assert the_frame(oembed(client, url=f"{OEMBED_WIDGET}?embed_id=yibao-1-abc"))["src"] == OEMBED_WIDGET


@pytest.mark.parametrize("text", HOSTILE)
def test_oembed_refuses_hostile_parameters_in_json(client, text):
    encoded = quote(text, safe="")
    cases = [
        ({"url": text}, 404, "not_found"),
        ({"url": f"http://testserver/embed/v1/{encoded}/"}, 404, "not_found"),
        ({"url": f"{OEMBED_WIDGET}?card_type={encoded}"}, 400, "invalid_parameter"),
        ({"url": f"{OEMBED_WIDGET}?lang={encoded}"}, 400, "invalid_parameter"),
        ({"url": f"{OEMBED_WIDGET}?embed_id={encoded}"}, 400, "invalid_parameter"),
        ({"url": f"{OEMBED_WIDGET}?sections={encoded}"}, 400, "invalid_parameter"),
        ({"url": OEMBED_WIDGET, "sections": text}, 400, "invalid_parameter"),
        ({"url": OEMBED_WIDGET, "maxwidth": text}, 400, "invalid_parameter"),
        ({"url": OEMBED_WIDGET, "maxheight": text}, 400, "invalid_parameter"),
        ({"url": OEMBED_WIDGET, "format": text}, 501, "not_implemented"),
    ]
    for params, status, code in cases:
        response = oembed(client, **params) if "format" not in params else client.get("/oembed", params)
        assert_problem(response, status, code)
        assert text not in response.json()["detail"], params


@pytest.mark.parametrize("url", ["http://[::1/embed/v1/420102/", "http://[testserver]/embed/v1/420102/"])
def test_oembed_answers_an_address_python_cannot_split_with_a_404(client, url):
    assert_problem(oembed(client, url=url), 404, "not_found")


def test_oembed_escapes_the_region_name_in_the_frame_s_title(client):
    from regions.models import Region

    region = Region.objects.get(code=REGION)
    region.name = HOSTILE_REGION_NAME
    region.save()
    fresh()
    frame = the_frame(oembed(client, url=f"http://testserver/embed/v1/{REGION}/"))
    assert HOSTILE_REGION_NAME in frame["title"] and frame["src"] == f"http://testserver/embed/v1/{REGION}/"


# The loader: its origin is a JavaScript string, whatever characters it holds.
ORIGIN_LITERAL = re.compile(r'^  var origin = "((?:[^"\\\n\u2028\u2029]|\\.)*)";$', re.MULTILINE)


@pytest.mark.parametrize("origin", ["http://testserver", *HOSTILE])
def test_the_loader_writes_its_origin_as_a_javascript_string(origin):
    script = render_to_string("embed/loader.js", {"origin": origin})
    (literal,) = ORIGIN_LITERAL.findall(script)
    # escapejs writes \uXXXX escapes, which JSON reads as JavaScript does.
    assert json.loads(f'"{literal}"') == origin
    assert len(script.splitlines()) == len(render_to_string("embed/loader.js", {"origin": "x"}).splitlines())
    assert not {"\u2028", "\u2029"} & set(script)
    if origin in LIVE:
        assert origin not in script
