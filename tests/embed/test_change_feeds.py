"""Atom feeds of the public change notes, nationwide and per region, linked from the widget and the API root."""

import xml.etree.ElementTree as ET

import pytest

from curation.models import ChangeNote
from passwords.models import DefaultPasswordRule
from tests.factories import make_rule

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
NATIONWIDE = "/embed/v1/changes.atom"


def entries(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    return [
        {
            "title": entry.findtext(f"{ATOM}title"),
            "summary": entry.findtext(f"{ATOM}summary"),
            "link": entry.find(f"{ATOM}link").get("href"),
        }
        for entry in feed.iter(f"{ATOM}entry")
    ]


def feed_title(response) -> str:
    return ET.fromstring(response.content).findtext(f"{ATOM}title")


def note_on(slug: str, text: str) -> ChangeNote:
    return ChangeNote.objects.create(content_object=DefaultPasswordRule.objects.get(slug=slug), note=text)


def test_the_nationwide_feed_lists_notes_of_published_content_only(client, committed):
    committed(lambda: note_on("wuhan-fixed-1234", "武汉的初始密码改为1234"))
    committed(lambda: ChangeNote.objects.create(content_object=make_rule(slug="atom-draft"), note="草稿的说明"))
    found = entries(client.get(NATIONWIDE))
    notes = [entry["summary"] for entry in found]
    assert "武汉的初始密码改为1234" in notes and "草稿的说明" not in notes
    wuhan = next(entry for entry in found if entry["summary"] == "武汉的初始密码改为1234")
    assert wuhan["link"] == "http://testserver/api/v1/password-rules/wuhan-fixed-1234/"


def test_a_regions_feed_holds_the_notes_of_the_region_and_its_ancestors(client, committed):
    committed(lambda: note_on("wuhan-fixed-1234", "武汉的说明"))
    committed(lambda: note_on("national-common-123456", "全国的说明"))
    jiangan = [entry["summary"] for entry in entries(client.get("/embed/v1/changes/420102.atom"))]
    assert "武汉的说明" in jiangan and "全国的说明" in jiangan
    zhangjiakou = [entry["summary"] for entry in entries(client.get("/embed/v1/changes/130700.atom"))]
    assert "全国的说明" in zhangjiakou and "武汉的说明" not in zhangjiakou


def test_feeds_speak_chinese_by_default_and_english_when_asked(client):
    assert feed_title(client.get(NATIONWIDE)) == "全国医保卡密码：变更说明"
    assert feed_title(client.get("/embed/v1/changes/420102.atom")) == "江岸区医保卡密码：变更说明"
    english = feed_title(client.get(NATIONWIDE, HTTP_ACCEPT_LANGUAGE="en"))
    assert english == "Medical insurance card passwords: changes nationwide"


def test_feeds_are_cached_by_the_public_revision(client, committed):
    first = client.get(NATIONWIDE)
    committed(lambda: make_rule(slug="atom-cached-draft"))
    assert client.get(NATIONWIDE, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    committed(lambda: note_on("wuhan-fixed-1234", "新的说明"))
    assert client.get(NATIONWIDE, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_an_unknown_region_or_parameter_is_refused(client):
    missing = client.get("/embed/v1/changes/999999.atom")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert client.get(NATIONWIDE, {"page": "2"}).status_code == 400


def test_the_widget_and_the_api_root_link_the_feeds(client):
    from bs4 import BeautifulSoup

    page = BeautifulSoup(client.get("/embed/v1/420102/").content, "html.parser")
    link = page.find("link", rel="alternate", type="application/atom+xml")
    assert link["href"] == "http://testserver/embed/v1/changes/420102.atom"
    assert entries(client.get(link["href"])) is not None
    root = client.get("/api/v1/").json()
    assert root["changes_atom"] == "http://testserver/embed/v1/changes.atom"
    assert root["region_changes_atom"] == "http://testserver/embed/v1/changes/{code}.atom"
