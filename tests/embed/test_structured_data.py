"""The widget's schema.org data as a search engine reads it (extracted with extruct), checked against what schema.org
expects of each type: every property emitted belongs to its type, the ones a reader needs are present, references
point at nodes of the page, and dates and durations are ISO 8601."""

import re

import extruct
import pytest

pytestmark = pytest.mark.django_db

# schema.org's properties of Thing, which every type below inherits.
THING = {
    "@context", "@type", "@id", "additionalType", "alternateName", "description", "disambiguatingDescription",
    "identifier", "image", "mainEntityOfPage", "name", "potentialAction", "sameAs", "subjectOf", "url",
}  # fmt: skip
CREATIVE_WORK = {
    "about", "author", "citation", "dateCreated", "dateModified", "datePublished", "inLanguage", "isPartOf",
    "keywords", "license", "publisher", "text",
}  # fmt: skip
# Per type: the properties it must carry (here) and those it may (schema.org's, inherited ones included). A subset
# of schema.org's lists, so that anything else the widget starts to emit has to be looked up and added.
TYPES: dict[str, tuple[set[str], set[str]]] = {
    "GovernmentService": (
        {"@id", "name", "description", "url", "areaServed", "availableChannel"},
        THING
        | {
            "areaServed",
            "audience",
            "availableChannel",
            "category",
            "hoursAvailable",
            "jurisdiction",
            "provider",
            "serviceOperator",
            "serviceOutput",
            "serviceType",
            "termsOfService",
        },
    ),
    "ServiceChannel": (
        {"name", "providesService"},
        THING
        | {
            "availableLanguage",
            "processingTime",
            "providesService",
            "serviceLocation",
            "servicePhone",
            "servicePostalAddress",
            "serviceSmsNumber",
            "serviceUrl",
        },
    ),
    "ContactPoint": (
        {"telephone", "contactType"},
        THING
        | {
            "areaServed",
            "availableLanguage",
            "contactOption",
            "contactType",
            "email",
            "faxNumber",
            "hoursAvailable",
            "productSupported",
            "telephone",
        },
    ),
    "AdministrativeArea": ({"name", "identifier"}, THING | {"address", "containedInPlace", "containsPlace", "geo"}),
    "HowTo": (
        {"@id", "url", "name", "step", "about", "inLanguage"},
        THING
        | CREATIVE_WORK
        | {"estimatedCost", "performTime", "prepTime", "step", "supply", "tool", "totalTime", "yield"},
    ),
    # A HowToStep is a ListItem, an ItemList and a CreativeWork.
    "HowToStep": (
        {"position", "text"},
        THING | CREATIVE_WORK | {"item", "itemListElement", "nextItem", "position", "previousItem"},
    ),
    # The steps done at one channel, of a procedure taken at several: a ListItem, an ItemList and a CreativeWork.
    "HowToSection": (
        {"name", "position", "itemListElement"},
        THING | CREATIVE_WORK | {"item", "itemListElement", "nextItem", "position", "previousItem", "steps"},
    ),
    "HowToSupply": ({"name"}, THING | {"estimatedCost", "requiredQuantity"}),
    "MonetaryAmount": (
        {"currency"},
        THING | {"currency", "maxValue", "minValue", "validFrom", "validThrough", "value"},
    ),
}
# Properties whose value is a node of a given type, or of one of given types (or a reference to one by @id).
NODE_TYPES = {
    "areaServed": "AdministrativeArea",
    "jurisdiction": "AdministrativeArea",
    "availableChannel": "ServiceChannel",
    "servicePhone": "ContactPoint",
    "providesService": "GovernmentService",
    "about": "GovernmentService",
    "step": ("HowToStep", "HowToSection"),
    "itemListElement": "HowToStep",
    "supply": "HowToSupply",
    "estimatedCost": "MonetaryAmount",
}
ISO_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
ISO_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$")
URL = re.compile(r"^https?://[^\s]+$")


def extracted(client, path: str, **params) -> list[dict]:
    response = client.get(path, params)
    assert response.status_code == 200
    data = extruct.extract(response.content.decode(), base_url=f"http://testserver{path}", syntaxes=["json-ld"])
    return data["json-ld"]


def nodes(
    value, expected: str | tuple[str, ...] | None = None, found: list | None = None
) -> list[tuple[str | tuple[str, ...] | None, dict]]:
    """Every object in the data with the type its property expects."""
    found = [] if found is None else found
    if isinstance(value, list):
        for item in value:
            nodes(item, expected, found)
    elif isinstance(value, dict):
        found.append((expected, value))
        for name, item in value.items():
            nodes(item, NODE_TYPES.get(name), found)
    return found


def problems(graph: list[dict]) -> list[str]:
    found = nodes(graph)
    ids = {node["@id"] for _, node in found if "@id" in node and "@type" in node}
    wrong = []
    for expected, node in found:
        if "@type" not in node:
            # A reference: it names a node of the page.
            if set(node) != {"@id"} or node["@id"] not in ids:
                wrong.append(f"dangling reference {node}")
            continue
        kind = node["@type"]
        if kind not in TYPES:
            wrong.append(f"unexpected type {kind}")
            continue
        if expected is not None and kind not in ((expected,) if isinstance(expected, str) else expected):
            wrong.append(f"{kind} where {expected} is expected")
        required, allowed = TYPES[kind]
        wrong += [f"{kind} has no {name}" for name in sorted(required - set(node))]
        wrong += [f"{kind} may not have {name}" for name in sorted(set(node) - allowed)]
        for name in ("totalTime", "performTime", "prepTime", "processingTime"):
            if name in node and not ISO_DURATION.match(node[name]):
                wrong.append(f"{kind}.{name} {node[name]!r} is no ISO 8601 duration")
        for name in ("dateModified", "dateCreated", "datePublished"):
            if name in node and not ISO_DATE_TIME.match(node[name]):
                wrong.append(f"{kind}.{name} {node[name]!r} is no ISO 8601 date")
        for name in ("url", "serviceUrl", "@id"):
            if name in node and not URL.match(node[name]):
                wrong.append(f"{kind}.{name} {node[name]!r} is no absolute address")
    return wrong


@pytest.mark.parametrize("code", ["420100", "110101", "130700", "310000"])
def test_every_node_has_the_properties_schema_org_expects_of_its_type(client, code):
    graph = extracted(client, f"/embed/v1/{code}/")
    assert problems(graph) == []
    assert [node["@type"] for node in graph][:1] == ["GovernmentService"]


def test_the_service_and_its_how_tos_name_the_page_and_each_other(client):
    service, *how_tos = extracted(client, "/embed/v1/420100/", embed_id="yibao-1-abc", lang="en")
    page = "http://testserver/embed/v1/420100/?lang=en"
    assert (service["url"], service["@id"]) == (page, f"{page}#service")
    assert "湖北省武汉市" in service["description"] and service["jurisdiction"]["identifier"] == "420100"
    assert how_tos and all(how_to["about"] == {"@id": service["@id"]} for how_to in how_tos)
    assert all(how_to["url"] == how_to["@id"] and how_to["url"].startswith(f"{page}#procedure-") for how_to in how_tos)
    assert not any("totalTime" in how_to for how_to in how_tos), "durations are free text: no totalTime"


def test_each_how_to_points_at_the_procedure_on_the_page(client):
    response = client.get("/embed/v1/420100/")
    graph = extruct.extract(response.content.decode(), syntaxes=["json-ld"])["json-ld"]
    html = response.content.decode()
    for how_to in graph[1:]:
        fragment = how_to["url"].partition("#")[2]
        assert f'id="{fragment}"' in html, fragment


def test_channels_carry_their_phone_and_address_and_fees_are_amounts_in_yuan(client):
    service, *how_tos = extracted(client, "/embed/v1/110101/")
    channels = {channel["name"]: channel for channel in service["availableChannel"]}
    hotline = next(channel for channel in channels.values() if "12333" in channel["name"])
    assert hotline["servicePhone"] == {"@type": "ContactPoint", "telephone": "12333", "contactType": "服务热线"}
    assert channels["北京医保公共服务平台"]["serviceUrl"] == "https://fw.ybj.beijing.gov.cn/"
    costs = [how_to["estimatedCost"] for how_to in how_tos if "estimatedCost" in how_to]
    assert costs and all(cost["@type"] == "MonetaryAmount" and cost["currency"] == "CNY" for cost in costs)
    assert all(cost["description"] and "value" not in cost for cost in costs), "no amount the content does not state"


def test_a_widget_of_chosen_sections_describes_only_what_it_shows(client):
    service, *how_tos = extracted(client, "/embed/v1/420100/", sections="passwords,hotlines")
    assert how_tos == []
    assert all("servicePhone" in channel for channel in service["availableChannel"])
    _, *resets = extracted(client, "/embed/v1/420100/", sections="reset_password")
    assert resets and all("#procedure-" in how_to["url"] for how_to in resets)


def test_the_checks_catch_what_schema_org_does_not_allow():
    service = {"@type": "GovernmentService", "@id": "http://x/#s", "name": "n", "description": "d", "url": "http://x/"}
    how_to = {
        "@type": "HowTo", "@id": "http://x/#h", "url": "http://x/#h", "name": "n", "inLanguage": "zh-Hans",
        "about": {"@id": "http://x/#nowhere"}, "totalTime": "约5分钟", "step": [{"@type": "HowToStep", "text": "t"}],
    }  # fmt: skip
    assert sorted(problems([service | {"areaServed": [], "availableChannel": [], "telephone": "1"}, how_to])) == [
        "GovernmentService may not have telephone",
        "HowTo.totalTime '约5分钟' is no ISO 8601 duration",
        "HowToStep has no position",
        "dangling reference {'@id': 'http://x/#nowhere'}",
    ]
