"""schema.org JSON-LD for a widget page: the GovernmentService the page describes, with the channels it is offered
through, and a HowTo per procedure, each linked to the service and to the place on the page that shows it.

Only what the content states is emitted: a procedure's duration and fee are free text ("约5分钟"), so there is no
ISO 8601 `totalTime`, and the fee is a MonetaryAmount in yuan described by its text, without an invented value; a
channel's phone and address are given where the content has them. The content names no operator of a service and
no language of a channel, so there is no `provider`, `serviceOperator` or `availableLanguage`."""

import json
from typing import Any

from django.utils.html import _json_script_escapes, format_html
from django.utils.safestring import SafeString, mark_safe

CONTEXT = "https://schema.org"
# The language the content is written in, whatever the language of the page's labels.
CONTENT_LANGUAGE = "zh-Hans"


def area(region: dict[str, Any]) -> dict[str, Any]:
    return {"@type": "AdministrativeArea", "name": region["full_name"], "identifier": region["code"]}


def how_to_step(step: dict[str, Any]) -> dict[str, Any]:
    return {"@type": "HowToStep", "position": step["position"], "text": step["instruction"]} | (
        {"name": step["ui_path"]} if step["ui_path"] else {}
    )


def how_to_steps(procedure: dict[str, Any]) -> list[dict[str, Any]]:
    """The procedure's steps; one taken at several channels has a HowToSection per run of steps at one channel
    (`runs`, as the page shows them: embed/sections.py), named after it, as schema.org's HowTo groups steps into
    sections."""
    if len(procedure["channels"]) <= 1:
        return [how_to_step(step) for step in procedure["steps"]]
    return [
        # A section is itself a list item: numbered 1..n among the procedure's sections.
        {
            "@type": "HowToSection",
            "position": position,
            "name": run["channel"]["name"],
            "itemListElement": [how_to_step(step) for step in run["steps"]],
        }
        for position, run in enumerate(procedure["runs"], start=1)
    ]


def how_to(procedure: dict[str, Any], *, page_url: str, service_id: str) -> dict[str, Any]:
    url = f"{page_url}#procedure-{procedure['slug']}"
    data: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "HowTo",
        "@id": url,
        "url": url,
        "name": procedure["title"],
        "inLanguage": CONTENT_LANGUAGE,
        "about": {"@id": service_id},
        "step": how_to_steps(procedure),
    }
    if procedure["summary"]:
        data["description"] = procedure["summary"]
    if procedure["requirements"]:
        data["supply"] = [{"@type": "HowToSupply", "name": item} for item in procedure["requirements"]]
    if procedure["fee"]:
        data["estimatedCost"] = {"@type": "MonetaryAmount", "currency": "CNY", "description": procedure["fee"]}
    if procedure.get("updated_at"):
        data["dateModified"] = procedure["updated_at"]
    return data


def service_channel(channel: dict[str, Any], *, service_id: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@type": "ServiceChannel",
        "name": channel["name"],
        "providesService": {"@id": service_id},
    }
    if channel.get("description"):
        data["description"] = channel["description"]
    if channel.get("phone"):
        data["servicePhone"] = {
            "@type": "ContactPoint",
            "telephone": channel["phone"],
            "contactType": channel["kind_label"],
        }
    if channel.get("url"):
        data["serviceUrl"] = channel["url"]
    return data


def government_service(
    *, region: dict[str, Any], channels: list[dict], name: str, description: str, url: str
) -> dict[str, Any]:
    service_id = f"{url}#service"
    return {
        "@context": CONTEXT,
        "@type": "GovernmentService",
        "@id": service_id,
        "url": url,
        "name": name,
        "description": description,
        "areaServed": area(region),
        "jurisdiction": area(region),
        "availableChannel": [service_channel(channel, service_id=service_id) for channel in channels],
    }


def structured_data(
    *, region: dict[str, Any], procedures: list[dict], channels: list[dict], name: str, description: str, url: str
) -> list[dict[str, Any]]:
    """The service described by the page at `url` (its canonical address) with the channels the page shows, then a
    HowTo per procedure it shows."""
    service = government_service(region=region, channels=channels, name=name, description=description, url=url)
    return [service, *(how_to(p, page_url=url, service_id=service["@id"]) for p in procedures)]


def json_ld_script(data: Any) -> SafeString:
    """The JSON-LD element, its text escaped as Django's json_script escapes it (<, > and & as \\u escapes): no
    published text can close the element, or open a `<!--` that makes it swallow the rest of the page. json_script
    itself writes type="application/json", which search engines do not read as JSON-LD."""
    text = json.dumps(data, ensure_ascii=False).translate(_json_script_escapes)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))
