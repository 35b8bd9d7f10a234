"""The embeddable widget, its loader script and oEmbed: the lookup's answer for portals to show on their pages."""

import hashlib
import json
from base64 import b64encode
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from kb.api.problems import json_problem_response
from procedures.selectors import lookup_answer, published_card_type_slugs
from regions.models import code_validator

from .structured_data import structured_data

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
LANGUAGES = {"zh": "zh-hans", "zh-hans": "zh-hans", "en": "en"}
DEFAULT_WIDTH, DEFAULT_HEIGHT = 600, 900


class BadParameter(Exception):
    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(detail)
        self.parameter, self.detail = parameter, detail


def widget_language(request: HttpRequest) -> str:
    lang = request.GET.get("lang", "zh")
    if lang not in LANGUAGES:
        raise BadParameter("lang", _("Use zh or en."))
    return LANGUAGES[lang]


def widget_card_type(request: HttpRequest) -> str | None:
    card_type = request.GET.get("card_type") or None
    if card_type is not None and card_type not in published_card_type_slugs():
        raise BadParameter("card_type", _("No published card type has the slug %(slug)s.") % {"slug": card_type})
    return card_type


def group_by_channel(procedures: list[dict]) -> list[dict]:
    groups: dict[str, dict] = {}
    for procedure in procedures:
        channel = procedure["channel"]
        groups.setdefault(channel["slug"], {"channel": channel, "procedures": []})["procedures"].append(procedure)
    return list(groups.values())


def recent_changes(items: list[dict], limit: int = 5) -> list[dict]:
    """The newest public change notes of what the page shows, each once."""
    notes = {(change["date"], change["note"]): change for item in items for change in item.get("changes", [])}
    return [notes[key] for key in sorted(notes, reverse=True)[:limit]]


def problem_page(request: HttpRequest, status: int, detail: str) -> HttpResponse:
    response = HttpResponse(f"<!doctype html><title>{status}</title><p>{detail}</p>", status=status)
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors *"
    response.xframe_options_exempt = True
    return response


@require_GET
@xframe_options_exempt
def widget(request: HttpRequest, code: str) -> HttpResponse:
    try:
        language = widget_language(request)
        card_type = widget_card_type(request)
    except BadParameter as error:
        return problem_page(request, 400, f"{error.parameter}: {error.detail}")
    with translation.override(language):
        answer = lookup_answer(code=code, card_type=card_type, on=timezone.localdate())
        if answer is None:
            return problem_page(request, 404, _("No region has the code %(code)s.") % {"code": code})
        shown = [*answer["default_passwords"], *answer["password_policy"], *answer["procedures"], *answer["channels"]]
        sources = {s["slug"]: s for item in shown for s in item["sources"]}
        title = _("Medical insurance card passwords in %(region)s") % {"region": answer["region"]["full_name"]}
        page_url = request.build_absolute_uri(request.path)
        oembed_url = (
            request.build_absolute_uri(reverse("oembed")) + "?" + urlencode({"url": page_url, "format": "json"})
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
                "json_ld": json.dumps(structured_data(answer, service_name=title), ensure_ascii=False).replace(
                    "</", "<\\/"
                ),
                "oembed_url": oembed_url,
            },
        )
    response["Content-Security-Policy"] = WIDGET_CSP
    # Revalidate on every load: the ETag answers 304 until a publish changes the content.
    response["Cache-Control"] = "public, no-cache"
    return response


@require_GET
def loader(request: HttpRequest) -> HttpResponse:
    origin = f"{request.scheme}://{request.get_host()}"
    response = HttpResponse(
        render_to_string("embed/loader.js", {"origin": origin}), content_type="text/javascript; charset=utf-8"
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def oembed(request: HttpRequest) -> HttpResponse:
    """oEmbed (https://oembed.com) for widget addresses: a CMS that is given one turns it into the widget."""
    url = request.GET.get("url", "")
    format_ = request.GET.get("format", "json")
    if format_ != "json":
        return json_problem_response(request, 501, _("Only the json format is offered."), "not_implemented")
    parts = urlsplit(url)
    try:
        match = (
            resolve(parts.path) if parts.scheme in ("http", "https") and parts.netloc == request.get_host() else None
        )
    except Resolver404:
        match = None
    if match is None or match.url_name != "widget":
        return json_problem_response(request, 404, _("This address is not a widget of this site."), "not_found")
    code = match.kwargs["code"]
    try:
        code_validator(code)
        width = bounded(request, "maxwidth", DEFAULT_WIDTH)
        height = bounded(request, "maxheight", DEFAULT_HEIGHT)
    except BadParameter as error:
        return json_problem_response(request, 400, f"{error.parameter}: {error.detail}", "invalid_parameter")
    except ValidationError:
        return json_problem_response(request, 404, _("This address is not a widget of this site."), "not_found")
    answer = lookup_answer(code=code, card_type=None, on=timezone.localdate())
    if answer is None:
        raise Http404
    src = f"{parts.scheme}://{parts.netloc}{parts.path}" + (f"?{parts.query}" if parts.query else "")
    title = _("Medical insurance card passwords in %(region)s") % {"region": answer["region"]["full_name"]}
    html = (
        f'<iframe src="{src}" width="{width}" height="{height}" style="border:0;max-width:100%" '
        f'title="{title}" loading="lazy"></iframe>'
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
    response["Cache-Control"] = "public, no-cache"
    return response


def bounded(request: HttpRequest, name: str, default: int) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not 100 <= int(raw) <= 5000:
        raise BadParameter(name, _("Must be a whole number from 100 to 5000."))
    return min(int(raw), default)
