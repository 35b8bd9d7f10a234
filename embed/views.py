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

from curation.api.caching import EMBED_ID
from kb.api.guards import query_parameters
from kb.api.problems import flatten, json_problem_response
from kb.methods import method_not_allowed_message, read_only
from lookup.answer import lookup_answer
from lookup.cache import published_card_types
from lookup.views import LookupQuerySerializer

from .sections import SECTIONS, SECTIONS_MAX_LENGTH, parse_sections, widget_sections
from .structured_data import json_ld_script, structured_data

ASSETS = Path(__file__).resolve().parent / "assets"
WIDGET_CSS = (ASSETS / "widget.css").read_text(encoding="utf-8")
WIDGET_JS = (ASSETS / "widget.js").read_text(encoding="utf-8")


def csp_hash(source: str) -> str:
    return "'sha256-" + b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def widget_csp(request: HttpRequest) -> str:
    """Only the inline style and script shipped here may run; the page loads nothing else, and any site may frame it.
    The one address it may fetch is the site's robots.txt: crawlers' audits (Lighthouse) fetch it from within the
    page, under its policy."""
    return "; ".join(
        [
            "default-src 'none'",
            f"style-src {csp_hash(WIDGET_CSS)}",
            f"script-src {csp_hash(WIDGET_JS)}",
            "img-src data:",
            f"connect-src {request.build_absolute_uri(reverse('robots-txt'))}",
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
WIDGET_PARAMETERS = ("card_type", "lang", "sections", "embed_id")
CANONICAL_PARAMETERS = ("card_type", "lang", "sections")


class WidgetQuerySerializer(LookupQuerySerializer):
    """The widget's parameters: the region (the code in its address) and the card type, validated as the lookup
    validates them, and the widget's own language, sections and frame id. The widget answers for today only."""

    on = None
    lang = serializers.ChoiceField(
        choices=list(LANGUAGES), required=False, error_messages={"invalid_choice": gettext_lazy("Use zh or en.")}
    )
    # The loader's ids (yibao-<n>-<random>), which the widget hands back to the page that framed it.
    embed_id = serializers.RegexField(
        EMBED_ID,
        required=False,
        error_messages={"invalid": gettext_lazy("Use up to 64 letters, digits, hyphens and underscores.")},
    )
    sections = serializers.CharField(required=False, max_length=SECTIONS_MAX_LENGTH)

    def validate_sections(self, value: str) -> tuple[str, ...]:
        try:
            return parse_sections(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from error


def widget_query(code: str, params: QueryDict) -> WidgetQuerySerializer:
    """The widget's parameters, validated before anything is looked up; an empty parameter counts as absent."""
    data = {name: value for name in WIDGET_PARAMETERS if (value := params.get(name))}
    query = WidgetQuerySerializer(data={"region": code, **data})
    query.is_valid()
    return query


def widget_url(request: HttpRequest, params: dict) -> str:
    """The canonical address of the widget that these validated parameters describe."""
    path = reverse("widget", kwargs={"code": params["region"]})
    canonical = {name: params[name] for name in CANONICAL_PARAMETERS if name in params}
    if "sections" in canonical:
        canonical["sections"] = ",".join(canonical["sections"])
    query = urlencode(canonical, safe=",")
    return request.build_absolute_uri(path + ("?" + query if query else ""))


def named_card_types(rows: list[dict]) -> list[dict]:
    """Rules or policies, each with its card type's name beside the slug (copies: the rows are shared cache values)."""
    names = published_card_types()
    return [row | {"card_type_name": names.get(row["card_type"], row["card_type"])} for row in rows]


def widget_title(region: dict) -> str:
    return _("Medical insurance card passwords in %(region)s") % {"region": region["full_name"]}


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
        # The widget shows each row whole (notes, sources, dates), and the hotlines among the channels.
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
        answer |= {
            "default_passwords": named_card_types(answer["default_passwords"]),
            "password_policy": named_card_types(answer["password_policy"]),
            "card_availability": named_card_types(answer["card_availability"]),
        }
        shown = widget_sections(answer, shown=params.get("sections", SECTIONS))
        sources = {s["slug"]: s for item in shown.rows for s in item.get("sources", [])}
        title = widget_title(answer["region"])
        canonical_url = widget_url(request, params)
        description = _(
            "The initial passwords of medical insurance cards in %(region)s, and how to change or reset them: "
            "by app, at a counter, by phone or at a bank, each fact with its source."
        ) % {"region": answer["region"]["full_name"]}
        oembed_url = (
            request.build_absolute_uri(reverse("oembed")) + "?" + urlencode({"url": canonical_url, "format": "json"})
        )
        response = render(
            request,
            "embed/widget.html",
            {
                "answer": answer,
                "title": title,
                "description": description,
                "canonical_url": canonical_url,
                "language": language,
                "card_type_name": published_card_types().get(answer["card_type"]),
                "sections": shown.sections,
                "sources": sorted(sources.values(), key=lambda s: s["title"]),
                "updated": max((item["updated_at"] for item in shown.rows if "updated_at" in item), default=None),
                "verified": max((item["verified_at"] for item in shown.rows if item.get("verified_at")), default=None),
                "css": WIDGET_CSS,
                "js": WIDGET_JS,
                "json_ld": json_ld_script(
                    structured_data(
                        region=answer["region"],
                        procedures=shown.procedures,
                        channels=shown.channels,
                        name=title,
                        description=description,
                        url=canonical_url,
                    )
                ),
                "oembed_url": oembed_url,
                "atom_url": request.build_absolute_uri(
                    reverse("region-changes-atom", kwargs={"code": params["region"]})
                ),
                "atom_title": _("Medical insurance card passwords in %(region)s: changes")
                % {"region": answer["region"]["name"]},
            },
        )
    response["Content-Security-Policy"] = widget_csp(request)
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


@query_parameters("url", "format", "maxwidth", "maxheight", "sections")
@read_only()
def oembed(request: HttpRequest) -> HttpResponse:
    """oEmbed (https://oembed.com) for widget addresses: a CMS that is given one turns it into the widget. The frame
    points at the widget's canonical address, rebuilt from the validated code and parameters, never at the string the
    client sent. `sections` chooses the widget's sections as the widget's own parameter does, and wins over it; the
    title is in the widget's language, errors in the request's."""
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
        sections = chosen_sections(request)
    except BadParameter as error:
        errors = [{"parameter": error.parameter, "detail": error.detail}]
        return json_problem_response(
            request, 400, f"{error.parameter}: {error.detail}", "invalid_parameter", errors=errors
        )
    params = query.validated_data | ({"sections": sections} if sections else {})
    answer = lookup_answer(code=params["region"], card_type=None, on=timezone.localdate())
    if answer is None:
        detail = _("No region has the code %(code)s.") % {"code": params["region"]}
        return json_problem_response(request, 404, detail, "not_found")
    with translation.override(LANGUAGES[params.get("lang", "zh")]):
        title = widget_title(answer["region"])
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


def chosen_sections(request: HttpRequest) -> tuple[str, ...] | None:
    raw = request.GET.get("sections")
    if raw is None:
        return None
    try:
        return parse_sections(raw)
    except ValueError as error:
        raise BadParameter("sections", str(error)) from error


def bounded(request: HttpRequest, name: str, default: int) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not 100 <= int(raw) <= 5000:
        raise BadParameter(name, _("Must be a whole number from 100 to 5000."))
    return min(int(raw), default)
