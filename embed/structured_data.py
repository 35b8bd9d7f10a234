"""schema.org JSON-LD for a widget page: a HowTo per procedure and a GovernmentService with its channels."""

import json
from typing import Any

from django.utils.html import _json_script_escapes, format_html
from django.utils.safestring import SafeString, mark_safe


def how_to_step(step: dict[str, Any]) -> dict[str, Any]:
    return {"@type": "HowToStep", "position": step["position"], "text": step["instruction"]} | (
        {"name": step["ui_path"]} if step["ui_path"] else {}
    )


def how_to(procedure: dict[str, Any]) -> dict[str, Any]:
    """A HowTo of the procedure's steps; one taken at several channels has a HowToSection per run of steps at one
    channel, named after it, as schema.org's HowTo groups steps into sections."""
    channels = {channel["slug"]: channel for channel in procedure["channels"]}
    if len(channels) > 1:
        steps: list[dict[str, Any]] = []
        for step in procedure["steps"]:
            if not steps or steps[-1]["_channel"] != step["channel"]:
                channel = channels[step["channel"]]
                # A section is itself a list item: numbered 1..n among the procedure's sections.
                section = {"@type": "HowToSection", "position": len(steps) + 1, "name": channel["name"]}
                section["itemListElement"] = []
                steps.append(section | {"_channel": step["channel"]})
            steps[-1]["itemListElement"].append(how_to_step(step))
        for section in steps:
            del section["_channel"]
    else:
        steps = [how_to_step(step) for step in procedure["steps"]]
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "HowTo",
        "name": procedure["title"],
        "step": steps,
    }
    if procedure["summary"]:
        data["description"] = procedure["summary"]
    if procedure["requirements"]:
        data["supply"] = [{"@type": "HowToSupply", "name": item} for item in procedure["requirements"]]
    if procedure["duration"]:
        data["totalTime"] = procedure["duration"]
    return data


def service_channel(channel: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"@type": "ServiceChannel", "name": channel["name"]}
    if channel.get("phone"):
        data["servicePhone"] = {"@type": "ContactPoint", "telephone": channel["phone"]}
    if channel.get("url"):
        data["serviceUrl"] = channel["url"]
    return data


def government_service(*, region: dict[str, Any], channels: list[dict], name: str) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "GovernmentService",
        "name": name,
        "areaServed": {"@type": "AdministrativeArea", "name": region["full_name"], "identifier": region["code"]},
        "availableChannel": [service_channel(channel) for channel in channels],
    }


def structured_data(answer: dict[str, Any], *, service_name: str) -> list[dict[str, Any]]:
    channels: dict[str, dict] = {c["slug"]: c for c in answer["channels"]}
    for procedure in answer["procedures"]:
        for channel in procedure["channels"]:
            channels.setdefault(channel["slug"], channel)
    return [
        government_service(region=answer["region"], channels=list(channels.values()), name=service_name),
        *(how_to(procedure) for procedure in answer["procedures"]),
    ]


def json_ld_script(data: Any) -> SafeString:
    """The JSON-LD element, its text escaped as Django's json_script escapes it (<, > and & as \\u escapes): no
    published text can close the element, or open a `<!--` that makes it swallow the rest of the page. json_script
    itself writes type="application/json", which search engines do not read as JSON-LD."""
    text = json.dumps(data, ensure_ascii=False).translate(_json_script_escapes)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))
