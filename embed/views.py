"""The embeddable widget, its loader script and oEmbed: the lookup's answer for portals to show on their pages."""

import hashlib
from base64 import b64encode
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_exempt
from rest_framework import serializers

from kb.api.guards import query_parameters
from kb.api.problems import flatten, json_problem_response
from kb.methods import method_not_allowed_message, read_only
from lookup.answer import lookup_answer
from lookup.views import LookupQuerySerializer

from .structured_data import json_ld_script, structured_data

ASSETS = Path(__file__).resolve().parent / "assets"
WIDGET_CSS = (ASSETS / "widget.css").read_text(encoding="utf-8")
WIDGET_JS = (ASSETS / "widget.js").read_text(encoding="utf-8")


def csp_hash(source: str) -> str:
    return "'sha256-" + b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


# Only the inline style and script shipped here may run; the page loads nothing else, and any site may frame it.
WIDGET_CSP = "; ".join(
    [
        "default-src 'none'",
        f"style-src {csp_hash(WIDGET_CSS)}",
        f"script-src {csp_hash(WIDGET_JS)}",
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors *",
    ]
)
# The widget's error pages show text only: no script, no style, no form, no image, and any site may frame them.
PROBLEM_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors *"
LANGUAGES = {"zh": "zh-hans", "zh-hans": "zh-hans", "en": "en"}
DEFAULT_WIDTH, DEFAULT_HEIGHT = 600, 900
# What a widget's address may carry besides its code; the loader's frame id is left out of canonical addresses, as
# it names one frame on one page.
WIDGET_PARAMETERS = ("card_type", "lang", "embed_id")
CANONICAL_PARAMETERS = ("card_type", "lang")


class WidgetQuerySerializer(LookupQuerySerializer):
    """The widget's parameters: the region (the code in its address) and the card type, validated as the lookup
    validates them, and the widget's own language and frame id. The widget answers for today only."""

    on = None
    lang = serializers.ChoiceField(
        choices=list(LANGUAGES), required=False, error_messages={"invalid_choice": gettext_lazy("Use zh or en.")}
    )
    # The loader's ids (yibao-<n>-<random>), which the widget hands back to the page that framed it.
    embed_id = serializers.RegexField(
        r"^[A-Za-z0-9_-]{1,64}\Z",
        required=False,
        error_messages={"invalid": gettext_lazy("Use up to 64 letters, digits, hyphens and underscores.")},
    )


def widget_query(code: str, params: QueryDict) -> WidgetQuerySerializer:
    """The widget's parameters, validated before anything is looked up; an empty parameter counts as absent."""
    data = {name: value for name in WIDGET_PARAMETERS if (value := params.get(name))}
    query = WidgetQuerySerializer(data={"region": code, **data})
    query.is_valid()
    return query


def widget_url(request: HttpRequest, params: dict) -> str:
    """The canonical address of the widget that these validated parameters describe."""
    path = reverse("widget", kwargs={"code": params["region"]})
    query = urlencode({name: params[name] for name in CANONICAL_PARAMETERS if name in params})
    return request.build_absolute_uri(path + ("?" + query if query else ""))


def step_sections(procedure: dict) -> list[dict]:
    """The procedure's steps in runs done at one channel (pay in the app, then unlock at the counter), in order."""
    channels = {channel["slug"]: channel for channel in procedure["channels"]}
    sections: list[dict] = []
    for step in procedure["steps"]:
        if not sections or sections[-1]["channel"]["slug"] != step["channel"]:
            sections.append({"channel": channels[step["channel"]], "start": step["position"], "steps": []})
        sections[-1]["steps"].append(step)
    return sections


def group_by_channel(procedures: list[dict]) -> list[dict]:
    """Procedures under the channel they are done at, or start at; each with its steps in runs per channel. The
    answer's rows are the lookup's cached ones, so they are copied, never changed."""
    groups: dict[str, dict] = {}
    for procedure in procedures:
        channel = procedure["channel"]
        shown = {**procedure, "sections": step_sections(procedure)}
        groups.setdefault(channel["slug"], {"channel": channel, "procedures": []})["procedures"].append(shown)
    return list(groups.values())


def recent_changes(items: list[dict], limit: int = 5) -> list[dict]:
    """The newest public change notes of what the page shows, each once."""
    notes = {(change["date"], change["note"]): change for item in items for change in item.get("changes", [])}
    return [notes[key] for key in sorted(notes, reverse=True)[:limit]]


def problem_page(request: HttpRequest, status: int, errors: list[dict]) -> HttpResponse:
    """The widget's error page: what a portal's frame shows instead of the widget. Each error is a `detail`, with the
    `parameter` it concerns when there is one."""
    response = render(request, "embed/problem.html", {"status": status, "errors": errors}, status=status)
    response["Content-Security-Policy"] = PROBLEM_CSP
    response.xframe_options_exempt = True
    return response


def widget_method_not_allowed(request: HttpRequest) -> HttpResponse:
    return problem_page(request, 405, [{"detail": method_not_allowed_message()}])


@query_parameters(*WIDGET_PARAMETERS, refuse=lambda request, errors: problem_page(request, 400, errors))
@read_only(refuse=widget_method_not_allowed)
@xframe_options_exempt
def widget(request: HttpRequest, code: str) -> HttpResponse:
    query = widget_query(code, request.GET)
    if query.errors:
        if "region" in query.errors:
            # The code is part of the address: an invalid one names no widget. Nothing has been looked up with it.
            return problem_page(request, 404, [{"detail": detail} for detail in query.errors["region"]])
        return problem_page(request, 400, flatten(query.errors))
    params = query.validated_data
    language = LANGUAGES[params.get("lang", "zh")]
    with translation.override(language):
        # The widget shows each row whole (notes, sources, dates) and groups procedures beside the hotlines.
        answer = lookup_answer(
            code=params["region"],
            card_type=params.get("card_type"),
            on=timezone.localdate(),
            include=frozenset({"channels"}),
            full=True,
        )
        if answer is None:
            return problem_page(
                request, 404, [{"detail": _("No region has the code %(code)s.") % {"code": params["region"]}}]
            )
        shown = [*answer["default_passwords"], *answer["password_policy"], *answer["procedures"], *answer["channels"]]
        sources = {s["slug"]: s for item in shown for s in item["sources"]}
        title = _("Medical insurance card passwords in %(region)s") % {"region": answer["region"]["full_name"]}
        oembed_url = (
            request.build_absolute_uri(reverse("oembed"))
            + "?"
            + urlencode({"url": widget_url(request, params), "format": "json"})
        )
        response = render(
            request,
            "embed/widget.html",
            {
                "answer": answer,
                "title": title,
                "language": language,
                "groups": group_by_channel(answer["procedures"]),
                "hotlines": [c for c in answer["channels"] if c["kind"] == "hotline"],
                "sources": sorted(sources.values(), key=lambda s: s["title"]),
                "updated": max((item["updated_at"] for item in shown), default=None),
                "verified": max((item["verified_at"] for item in shown if item.get("verified_at")), default=None),
                "changes": recent_changes(shown),
                "css": WIDGET_CSS,
                "js": WIDGET_JS,
                "json_ld": json_ld_script(structured_data(answer, service_name=title)),
                "oembed_url": oembed_url,
                "atom_url": request.build_absolute_uri(
                    reverse("region-changes-atom", kwargs={"code": params["region"]})
                ),
                "atom_title": _("Medical insurance card passwords in %(region)s: changes")
                % {"region": answer["region"]["name"]},
            },
        )
    response["Content-Security-Policy"] = WIDGET_CSP
    return response


@query_parameters()
@read_only()
def loader(request: HttpRequest) -> HttpResponse:
    origin = f"{request.scheme}://{request.get_host()}"
    response = HttpResponse(
        render_to_string("embed/loader.js", {"origin": origin}), content_type="text/javascript; charset=utf-8"
    )
    return response


def widget_address(request: HttpRequest, url: str) -> WidgetQuerySerializer | None:
    """The parameters of a widget address of this site, validated; None for any other address."""
    try:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc != request.get_host():
            return None
        match = resolve(parts.path)
    # urlsplit refuses some addresses outright ("http://[::1" and other broken IPv6 hosts).
    except (ValueError, Resolver404):
        return None
    if match.url_name != "widget":
        return None
    return widget_query(match.kwargs["code"], QueryDict(parts.query))


@query_parameters("url", "format", "maxwidth", "maxheight")
@read_only()
def oembed(request: HttpRequest) -> HttpResponse:
    """oEmbed (https://oembed.com) for widget addresses: a CMS that is given one turns it into the widget. The frame
    points at the widget's canonical address, rebuilt from the validated code and parameters, never at the string the
    client sent."""
    format_ = request.GET.get("format", "json")
    if format_ != "json":
        return json_problem_response(request, 501, _("Only the json format is offered."), "not_implemented")
    query = widget_address(request, request.GET.get("url", ""))
    if query is None or "region" in query.errors:
        return json_problem_response(request, 404, _("This address is not a widget of this site."), "not_found")
    if query.errors:
        errors = [{"parameter": "url", "detail": f"{e['parameter']}: {e['detail']}"} for e in flatten(query.errors)]
        detail = "; ".join(f"{e['parameter']}: {e['detail']}" for e in errors)
        return json_problem_response(request, 400, detail, "invalid_parameter", errors=errors)
    try:
        width = bounded(request, "maxwidth", DEFAULT_WIDTH)
        height = bounded(request, "maxheight", DEFAULT_HEIGHT)
    except BadParameter as error:
        errors = [{"parameter": error.parameter, "detail": error.detail}]
        return json_problem_response(
            request, 400, f"{error.parameter}: {error.detail}", "invalid_parameter", errors=errors
        )
    params = query.validated_data
    answer = lookup_answer(code=params["region"], card_type=None, on=timezone.localdate())
    if answer is None:
        detail = _("No region has the code %(code)s.") % {"code": params["region"]}
        return json_problem_response(request, 404, detail, "not_found")
    title = _("Medical insurance card passwords in %(region)s") % {"region": answer["region"]["full_name"]}
    html = format_html(
        '<iframe src="{}" width="{}" height="{}" style="border:0;max-width:100%" title="{}" loading="lazy"></iframe>',
        widget_url(request, params),
        width,
        height,
        title,
    )
    response = JsonResponse(
        {
            "version": "1.0",
            "type": "rich",
            "title": title,
            "provider_name": "Yibao KB",
            "provider_url": request.build_absolute_uri("/"),
            "html": html,
            "width": width,
            "height": height,
            "cache_age": 3600,
        },
        json_dumps_params={"ensure_ascii": False},
    )
    return response


class BadParameter(Exception):
    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(detail)
        self.parameter, self.detail = parameter, detail


def bounded(request: HttpRequest, name: str, default: int) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not 100 <= int(raw) <= 5000:
        raise BadParameter(name, _("Must be a whole number from 100 to 5000."))
    return min(int(raw), default)
